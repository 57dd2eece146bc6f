#!/usr/bin/env bash
# integration.sh: run the Go tests with a real Apache Kafka broker and a real Schema Registry.
#
# Fetches (cached) and starts a one-node Kafka 4.1 (KRaft) and Apicurio Registry 3 on 127.0.0.1
# (scripts/kafka/), points the integration tests at them through HOLOSTREAM_TEST_BROKERS and
# HOLOSTREAM_TEST_REGISTRY, runs `go test` with the given arguments, and stops both whatever
# happens. It also makes (cached) the Python venv of the foreign-producer tests
# (scripts/pyclients.sh) and sets HOLOSTREAM_TEST_PYTHON to its python. Logs: out/kafka/logs/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# cgo flags for the TFLite and libjpeg-turbo in .deps, when not run from make (which sets them).
[ -n "${CGO_CFLAGS:-}" ] || . "$root/scripts/env.sh"
dir=${HOLOSTREAM_KAFKA_DIR:-$root/out/kafka}
export HOLOSTREAM_KAFKA_DIR=$dir

stop() {
	"$root/scripts/kafka/registry.sh" stop --dir "$dir" >/dev/null 2>&1 || true
	"$root/scripts/kafka/kafka.sh" stop --dir "$dir" >/dev/null 2>&1 || true
}
trap stop EXIT
stop
"$root/scripts/kafka/fetch.sh"
# Confluent's Python client, for the tests of a Python camera producer (cached venv in .deps).
python=$("$root/scripts/pyclients.sh")
"$root/scripts/kafka/kafka.sh" start --nodes 1 --dir "$dir" >/dev/null
"$root/scripts/kafka/registry.sh" start --dir "$dir" --bootstrap "$(cat "$dir/bootstrap")" >/dev/null
export HOLOSTREAM_TEST_BROKERS=$(cat "$dir/bootstrap")
export HOLOSTREAM_TEST_REGISTRY=$(cat "$dir/registry_url")
export HOLOSTREAM_TEST_KAFKA_DIR=$dir
export HOLOSTREAM_TEST_PYTHON=$python
echo "integration: kafka $HOLOSTREAM_TEST_BROKERS, registry $HOLOSTREAM_TEST_REGISTRY" >&2
go test "$@"
