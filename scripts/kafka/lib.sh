# shellcheck shell=bash disable=SC2034 # the variables here are for the scripts that source it
# lib.sh: shared by fetch.sh, kafka.sh and registry.sh; source it, don't run it.
#
# Layout of the cache ($HOLOSTREAM_DEPS/kafka, default <repo>/.deps/kafka, git-ignored):
#   lib/*.jar             the Kafka broker, its CLI tools and a log4j2 binding (fetch.sh)
#   apicurio/             Apicurio Registry, its tarball unpacked (java -jar apicurio/*-runner.jar)
#   stamp                 what fetch.sh put there: versions and the digest of deps.sha256
#   m2/                   only if HOLOSTREAM_M2=cache: Maven's local repository
# Runtime state (pids, data, logs) lives in a separate dir, default <repo>/out/kafka.

KAFKA_VERSION=4.1.2       # sarama v1.46.3 knows up to V4_1_0_0 (MaxVersion)
LOG4J_VERSION=2.25.3      # the log4j-core that kafka-server 4.1.2 depends on
APICURIO_VERSION=3.0.9    # io.apicurio:apicurio-registry-app:<v>:tar.gz:all; 3.3.x needs Java 21

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
deps=${HOLOSTREAM_DEPS:-$root/.deps}/kafka
lib=$deps/lib
apicurio=$deps/apicurio
run_dir=${HOLOSTREAM_KAFKA_DIR:-$root/out/kafka}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

# shellcheck disable=SC2154 # each script sets prog before sourcing this
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }

need_fetched() { # WHAT (kafka|apicurio)
	[ -f "$deps/stamp" ] || die "nothing fetched in $deps: run scripts/kafka/fetch.sh first"
	case $1 in
	kafka) [ -f "$lib/kafka_2.13-$KAFKA_VERSION.jar" ] || die "Kafka $KAFKA_VERSION missing in $lib: run scripts/kafka/fetch.sh" ;;
	apicurio) [ -n "$(apicurio_jar)" ] || die "Apicurio missing in $apicurio: run scripts/kafka/fetch.sh" ;;
	esac
}

# apicurio_jar prints the jar to run: 3.0.x ships a legacy Quarkus layout (<name>-runner.jar with
# lib/), 3.1+ the fast-jar one (quarkus-run.jar with app/ lib/ quarkus/).
apicurio_jar() {
	local j
	for j in "$apicurio"/quarkus-run.jar "$apicurio"/*-runner.jar; do
		[ -f "$j" ] && { echo "$j"; return; }
	done
	return 0
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { # PORT
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

alive() { # PIDFILE
	local pid
	[ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_pids sends SIGTERM to every live pid in the given pid files, waits up to GRACE seconds for
# all of them, then SIGKILLs what is left. Pid files are removed.
stop_pids() { # GRACE PIDFILE...
	local grace=$1 f pid deadline left
	shift
	for f in "$@"; do
		alive "$f" && kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
	deadline=$((SECONDS + grace))
	while :; do
		left=0
		for f in "$@"; do alive "$f" && left=1; done
		[ $left = 0 ] && break
		if [ $SECONDS -ge $deadline ]; then
			for f in "$@"; do
				if alive "$f"; then
					log "pid $(cat "$f") ($f) ignored SIGTERM for ${grace}s: SIGKILL"
					kill -KILL "$(cat "$f")" 2>/dev/null || true
				fi
			done
			sleep 0.5
			break
		fi
		sleep 0.3
	done
	rm -f "$@"
}

# usage prints the script's header comment (its first comment block, without the shebang).
usage() {
	awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}
