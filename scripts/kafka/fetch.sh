#!/usr/bin/env bash
# fetch.sh: put a runnable Apache Kafka broker and Apicurio Registry into $HOLOSTREAM_DEPS/kafka.
#
#   scripts/kafka/fetch.sh              fetch what is missing (a second run does nothing)
#   scripts/kafka/fetch.sh --force      fetch again even if the stamp says it is all there
#   scripts/kafka/fetch.sh --update-lock  rewrite deps.sha256 from what Maven fetched
#                                       (after a version bump; review the diff before commit)
#
# Everything comes from Maven Central through Maven itself (java 17 + mvn are the only tools it
# needs besides coreutils and tar): the broker jars by `dependency:copy-dependencies` on pom.xml,
# Apicurio's tarball by `dependency:copy`. Maven checks each download against Central's .sha1
# (--strict-checksums), and every file is then checked against the sha256 pinned in deps.sha256.
# Maven's local repository is ~/.m2 by default (shared, and what CI caches usually keep);
# HOLOSTREAM_M2=cache puts it under the cache dir instead, HOLOSTREAM_M2=/some/dir anywhere.
set -euo pipefail
prog=fetch
. "$(dirname "$0")/lib.sh"

force=0 update_lock=0
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	--update-lock) update_lock=1 force=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument $a (see --help)" ;;
	esac
done

lock=$here/deps.sha256
stamp() { # what the stamp file says once pom.xml and deps.sha256 as they are now were fetched
	local l=none
	[ ! -f "$lock" ] || l=$(sha256sum "$lock" | cut -c1-16)
	echo "kafka=$KAFKA_VERSION log4j=$LOG4J_VERSION apicurio=$APICURIO_VERSION pom=$(sha256sum "$here/pom.xml" | cut -c1-16) lock=$l"
}
want=$(stamp)
if [ $force = 0 ] && [ -f "$deps/stamp" ] && [ "$(cat "$deps/stamp")" = "$want" ]; then
	log "up to date in $deps ($want)"
	exit 0
fi

command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
"$java" -version 2>&1 | grep -q 'version "\(1[7-9]\|2[0-9]\)' || die "$java is not Java 17 or newer"
start=$SECONDS
mvn_args=(-q -B --strict-checksums -f "$here/pom.xml"
	-Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" -Dholostream.deps="$deps")
case ${HOLOSTREAM_M2:-} in
'') ;;
cache) mvn_args+=(-Dmaven.repo.local="$deps/m2") ;;
*) mvn_args+=(-Dmaven.repo.local="$HOLOSTREAM_M2") ;;
esac

# mvn_q runs Maven quietly; Maven 3.8 with -q still prints bare ANSI resets, drop them.
mvn_q() {
	local out st=0
	out=$(mvn "${mvn_args[@]}" "$@" 2>&1) || st=$?
	printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^$' >&2 || true
	return $st
}

mkdir -p "$deps"
tmp=$(mktemp -d "$deps/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "Kafka $KAFKA_VERSION (kafka_2.13 + kafka-tools + log4j-slf4j-impl $LOG4J_VERSION) from Maven Central"
mvn_q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib" ||
	die "mvn dependency:copy-dependencies failed"
tarball=apicurio-registry-app-$APICURIO_VERSION-all.tar.gz
log "Apicurio Registry $APICURIO_VERSION ($tarball, ~110 MB) from Maven Central"
# Plugin 2.8 on purpose: 3.x reads the artifact's pom and its parent, and Central lacks
# io.apicurio:apicurio-registry:pom:3.0.9 (the parent), so 3.x fails; 2.8 copies the file alone.
mvn_q org.apache.maven.plugins:maven-dependency-plugin:2.8:copy -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
	-DoutputDirectory="$tmp" || die "mvn dependency:copy of Apicurio failed"

if [ $update_lock = 1 ]; then
	(cd "$tmp" && sha256sum "$tarball" lib/*.jar) >"$lock"
	log "wrote $lock ($(wc -l <"$lock") files): review and commit it"
else
	[ -f "$lock" ] || die "$lock missing: run with --update-lock once and commit it"
	(cd "$tmp" && sha256sum --quiet --strict -c "$lock") || die "sha256 mismatch against $lock (see above)"
	for f in "$tmp"/lib/*; do
		awk -v n="lib/${f##*/}" '$2 == n { found = 1 } END { exit !found }' "$lock" || die "${f##*/} is not in $lock (run with --update-lock if this was intended)"
	done
fi

# The tarball is a Quarkus app dir with no top-level dir (3.0.x: <name>-runner.jar + lib/;
# 3.1+: quarkus-run.jar + app/ lib/ quarkus/); find the jar anyway, in case a release wraps it.
mkdir -p "$tmp/unpack"
tar -xzf "$tmp/$tarball" -C "$tmp/unpack"
run_jar=$(cd "$tmp/unpack" && find . -maxdepth 3 \( -name quarkus-run.jar -o -name '*-runner.jar' \) | head -1)
[ -n "$run_jar" ] || die "no quarkus-run.jar or *-runner.jar in $tarball"
mv "$(cd "$tmp/unpack/$(dirname "$run_jar")" && pwd)" "$tmp/apicurio"

rm -rf "$lib" "$apicurio"
mv "$tmp/lib" "$lib"
mv "$tmp/apicurio" "$apicurio"
stamp >"$deps/stamp"
log "done in $((SECONDS - start))s: $(du -sh "$lib" | cut -f1) in $lib, $(du -sh "$apicurio" | cut -f1) in $apicurio"
