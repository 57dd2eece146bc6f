#!/usr/bin/env bash
# smoke.sh: end-to-end check of fetch.sh, kafka.sh and registry.sh, with Kafka's own console tools.
#
#   scripts/kafka/smoke.sh [--dir DIR]     (default: a fresh temp dir, removed on success)
#
# 1. a 1-node cluster and the registry: a topic, 3 records produced and consumed back, then
#    registry.sh check (register, BACKWARD, a compatible and an incompatible change -> 409);
# 2. a 3-node cluster: a topic with replication 3 and min.insync.replicas=2, one node SIGKILLed,
#    records still written with acks=all and read back, the node started again, all in sync.
set -euo pipefail
prog=smoke
. "$(dirname "$0")/lib.sh"
dir=
[ "${1:-}" = --dir ] && dir=${2:?}
[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/holostream-kafka-smoke.XXXXXX")
k() { "$here/kafka.sh" "$@" --dir "$dir"; }
t() { "$here/kafka.sh" tool --dir "$dir" "$@"; }
cleanup() { "$here/registry.sh" stop --dir "$dir" >/dev/null 2>&1 || true; k stop >/dev/null 2>&1 || true; }
trap 'cleanup; log "FAILED; logs in $dir/logs"' ERR
step() { log "$(printf '%4ss' $((SECONDS - t0))) $*"; }
t0=$SECONDS

"$here/fetch.sh"
step "1-node cluster"
k start --nodes 1 >/dev/null
step "registry"
"$here/registry.sh" start --dir "$dir" >/dev/null
t topics --create --topic smoke --partitions 2 --replication-factor 1 >/dev/null
printf 'a:1\nb:2\nc:3\n' | t produce --topic smoke --producer-property acks=all \
	--property parse.key=true --property key.separator=:
got=$(t consume --topic smoke --from-beginning --max-messages 3 --timeout-ms 30000 \
	--property print.key=true --property key.separator=: 2>/dev/null | sort | tr '\n' ' ')
[ "$got" = "a:1 b:2 c:3 " ] || { log "consumed '$got', want 'a:1 b:2 c:3 '"; false; }
step "produced and consumed 3 records"
"$here/registry.sh" check --dir "$dir"
step "registry check passed"
"$here/registry.sh" stop --dir "$dir"
k stop

step "3-node cluster"
k start --nodes 3 >/dev/null
t topics --create --topic ha --partitions 3 --replication-factor 3 --config min.insync.replicas=2 >/dev/null
k kill-node 2
seq 1 5 | sed 's/^/before-/' | t produce --topic ha --producer-property acks=all \
	--producer-property delivery.timeout.ms=60000 --producer-property request.timeout.ms=10000
step "5 records written with acks=all while node 2 is down"
k start-node 2
seq 1 5 | sed 's/^/after-/' | t produce --topic ha --producer-property acks=all
n=$(t consume --topic ha --from-beginning --max-messages 10 --timeout-ms 30000 2>/dev/null | wc -l)
[ "$n" = 10 ] || { log "read $n records back, want 10"; false; }
deadline=$((SECONDS + 60))
until [ -z "$(t topics --describe --topic ha --under-replicated-partitions)" ]; do
	[ $SECONDS -lt $deadline ] || { log "partitions still under-replicated after 60s"; false; }
	sleep 2
done
step "node 2 back, 10 records read, no under-replicated partitions"
k stop
trap - ERR
step "all passed"
case $dir in "${TMPDIR:-/tmp}"/holostream-kafka-smoke.*) rm -rf "$dir" ;; esac
