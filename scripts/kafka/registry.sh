#!/usr/bin/env bash
# registry.sh: run Apicurio Registry (Confluent-compatible API) on 127.0.0.1, schemas kept in Kafka.
#
#   scripts/kafka/registry.sh start  [--dir DIR] [--bootstrap HOST:PORT,...] [--port P]
#                                    [--compat LEVEL] [--timeout S]
#   scripts/kafka/registry.sh stop   [--dir DIR]
#   scripts/kafka/registry.sh status [--dir DIR]      exit 0 iff it answers
#   scripts/kafka/registry.sh check  [--dir DIR]      register/compat smoke test (subject hs-check-*)
#
# Storage is kafkasql: the registry's journal is the topic kafkasql-journal (it creates it) on the
# cluster at --bootstrap (default: DIR/bootstrap, written by kafka.sh). HTTP on 127.0.0.1:P (a free
# port without --port). start returns once /health/ready and GET <ccompat>/subjects both answer
# 200, or fails after --timeout seconds (default 120). DIR (default as kafka.sh's):
#   registry_url    the Confluent-compatible API's base URL, http://127.0.0.1:P/apis/ccompat/v7
#   registry.pid    logs/registry.log (Quarkus log), logs/registry.out (JVM stdout/stderr)
# --compat sets the global default compatibility (the apicurio.rules.global.compatibility
# property; default BACKWARD, which is Confluent's default; NONE turns it off). Per subject,
# PUT <url>/config/<subject> {"compatibility": "..."} overrides it. Heap: $REGISTRY_HEAP.
set -euo pipefail
prog=registry
. "$(dirname "$0")/lib.sh"

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start | stop | status | check) ;;
-h | --help | help) usage; exit 0 ;;
*) usage >&2; exit 2 ;;
esac
dir=$run_dir bootstrap='' port='' compat=BACKWARD timeout=120
while [ $# -gt 0 ]; do
	case $1 in
	--dir) dir=${2:?}; shift 2 ;;
	--bootstrap) bootstrap=${2:?}; shift 2 ;;
	--port) port=${2:?}; shift 2 ;;
	--compat) compat=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidf=$dir/registry.pid
heap=${REGISTRY_HEAP:--Xms128m -Xmx512m}

url() { cat "$dir/registry_url"; }
base() { url | sed 's|/apis/ccompat/v7$||'; }

http() { # METHOD PATH [BODY]: prints "CODE BODY"
	local out
	out=$(curl -sS -m 10 -X "$1" -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
		${3:+--data "$3"} -w '\n%{http_code}' "$(url)$2") || return 1
	echo "$(tail -n1 <<<"$out") $(sed '$d' <<<"$out")"
}

healthy() {
	[ -f "$dir/registry_url" ] &&
		curl -sf -m 5 -o /dev/null "$(base)/health/ready" &&
		curl -sf -m 5 -o /dev/null "$(url)/subjects"
}

do_start() {
	need_fetched apicurio
	alive "$pidf" && die "already running in $dir (pid $(cat "$pidf"), $(url))"
	if [ -z "$bootstrap" ]; then
		[ -f "$dir/bootstrap" ] || die "no --bootstrap and no $dir/bootstrap: start Kafka first (kafka.sh start)"
		bootstrap=$(cat "$dir/bootstrap")
	fi
	case $compat in
	NONE | BACKWARD | BACKWARD_TRANSITIVE | FORWARD | FORWARD_TRANSITIVE | FULL | FULL_TRANSITIVE) ;;
	*) die "--compat $compat: not a compatibility level" ;;
	esac
	if [ -n "$port" ]; then
		port_open "$port" && die "port $port is in use"
	else
		port=$(free_port)
	fi
	local t0=$SECONDS jar
	jar=$(apicurio_jar)
	mkdir -p "$dir/logs"
	echo "http://127.0.0.1:$port/apis/ccompat/v7" >"$dir/registry_url"
	# Quarkus and Apicurio read their config from the environment. 3.0.x has no management port
	# (health is on the HTTP port); 3.1+ does (9000): pin it to 127.0.0.1 and a free port too.
	local global=()
	[ "$compat" = NONE ] || global=(APICURIO_RULES_GLOBAL_COMPATIBILITY="$compat")
	# shellcheck disable=SC2086 # $heap is a list of JVM flags
	env APICURIO_STORAGE_KIND=kafkasql \
		APICURIO_KAFKASQL_BOOTSTRAP_SERVERS="$bootstrap" \
		"${global[@]}" \
		QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" \
		QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$(free_port)" \
		QUARKUS_LOG_CONSOLE_ENABLE=false QUARKUS_LOG_FILE_ENABLE=true \
		QUARKUS_LOG_FILE_PATH="$dir/logs/registry.log" \
		setsid nohup "$java" $heap -Djava.awt.headless=true -jar "$jar" \
		>"$dir/logs/registry.out" 2>&1 </dev/null &
	echo $! >"$pidf"
	local deadline=$((SECONDS + timeout))
	until healthy; do
		alive "$pidf" || die "registry exited during start-up: see $dir/logs/registry.out and registry.log"
		[ $SECONDS -lt $deadline ] || die "registry not healthy after ${timeout}s (logs in $dir/logs)"
		sleep 0.5
	done
	# The property above enforces the default, but ccompat's GET /config reports only a stored
	# global rule (it says NONE otherwise); store it too, so that clients read what is enforced.
	if [ "$compat" != NONE ]; then
		local r
		r=$(http PUT /config "{\"compatibility\":\"$compat\"}") || r="000 (no answer)"
		[ "${r%% *}" = 200 ] || die "PUT /config $compat: $r"
	fi
	log "Apicurio Registry $APICURIO_VERSION up in $((SECONDS - t0))s on Kafka $bootstrap; url in $dir/registry_url"
	url
}

do_stop() {
	[ -f "$pidf" ] || { log "not running in $dir"; return 0; }
	stop_pids 20 "$pidf"
	log "stopped"
}

do_status() {
	if alive "$pidf" && healthy; then
		echo "registry: up (pid $(cat "$pidf"), $(url))"
	else
		echo "registry: down"
		return 1
	fi
}

# do_check registers an Avro schema, sets BACKWARD on the subject, and checks that a compatible
# change is accepted and an incompatible one (a field's type changed) refused with 409.
do_check() {
	healthy || die "registry not healthy in $dir"
	local subj="hs-check-$$-$RANDOM-value" r
	local v1='{"type":"record","name":"T","fields":[{"name":"a","type":"int"}]}'
	local v2='{"type":"record","name":"T","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}'
	local bad='{"type":"record","name":"T","fields":[{"name":"a","type":"string"},{"name":"b","type":"string","default":""}]}'
	body() { python3 -c 'import json,sys; print(json.dumps({"schema": sys.argv[1]}))' "$1"; }
	expect() { # WANT-CODE WHAT RESPONSE
		[ "${3%% *}" = "$1" ] || die "$2: want HTTP $1, got ${3}"
		log "ok: $2 -> ${3}"
	}
	r=$(http POST "/subjects/$subj/versions" "$(body "$v1")"); expect 200 "register v1" "$r"
	[[ $r == *'"id":'* ]] || die "register v1: no id in $r"
	r=$(http PUT "/config/$subj" '{"compatibility":"BACKWARD"}'); expect 200 "set BACKWARD" "$r"
	r=$(http GET "/config/$subj"); expect 200 "get config" "$r"
	[[ $r == *BACKWARD* ]] || die "config of $subj is not BACKWARD: $r"
	r=$(http POST "/subjects/$subj/versions" "$(body "$v2")"); expect 200 "register v2 (adds a field with a default)" "$r"
	r=$(http POST "/subjects/$subj/versions" "$(body "$bad")"); expect 409 "register an int->string change" "$r"
	r=$(http GET "/subjects/$subj/versions"); expect 200 "list versions" "$r"
	[[ ${r#* } == '[1,2]' ]] || die "versions of $subj: want [1,2], got ${r#* }"
	r=$(http DELETE "/subjects/$subj"); expect 200 "soft-delete the subject" "$r"
	r=$(http DELETE "/subjects/$subj?permanent=true"); expect 200 "hard-delete the subject" "$r"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
check) do_check ;;
esac
