#!/usr/bin/env bash
# soak.sh: does memory stay flat under steady load? (`make soak`)
#
# Builds bin/holostream, then runs, one after the other, each for SOAK_MINUTES:
#   demo   `holostream demo` at its defaults (embedded cluster, processors, two cameras at 10 fps,
#          the web UI), with a client on a camera's live events (SSE);
#   serve  `holostream serve --no-kafka` under a steady POST /v1/infer load from
#          `holostream loadtest --mode http` (SOAK_CAMERAS x SOAK_FPS images a second).
# RSS is read from /proc/PID/status every SOAK_INTERVAL seconds. For each it prints the RSS at the
# end of the warm-up (SOAK_WARMUP minutes, left out of the slope) and at the end, the lowest and
# highest after the warm-up, and the least-squares slope after the warm-up in MB a minute. Samples
# (elapsed seconds, RSS KiB) and logs go to SOAK_OUT.
#
# Settings (environment): SOAK_MINUTES (10), SOAK_WARMUP (3), SOAK_INTERVAL (5), SOAK_PHASES
# ("demo serve"), SOAK_MODEL (pose-full, both phases), SOAK_CAMERAS (2) and SOAK_FPS (5) for
# serve's load, SOAK_PORT (18080; serve uses the next port), SOAK_OUT (out/soak), SOAK_BIN (a
# built holostream to use instead of building one).
#
# It measures: run it alone (`flock /tmp/holostream-bench.lock make soak` on a shared machine).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${SOAK_MINUTES:-10}
warmup=${SOAK_WARMUP:-3}
interval=${SOAK_INTERVAL:-5}
phases=${SOAK_PHASES:-demo serve}
model=${SOAK_MODEL:-pose-full}
cameras=${SOAK_CAMERAS:-2}
fps=${SOAK_FPS:-5}
port=${SOAK_PORT:-18080}
out=${SOAK_OUT:-$root/out/soak}
export HOLOSTREAM_MODELS=${HOLOSTREAM_MODELS:-$root/.deps/models}

die() { echo "soak: $*" >&2; exit 1; }
awk -v m="$minutes" -v w="$warmup" -v i="$interval" 'BEGIN { exit !(m > 0 && w >= 0 && w < m && i > 0) }' ||
	die "want SOAK_MINUTES > SOAK_WARMUP >= 0 and SOAK_INTERVAL > 0 (got $minutes, $warmup, $interval)"

mkdir -p "$out/bin"
if [ -n "${SOAK_BIN:-}" ]; then
	cp "$SOAK_BIN" "$out/bin/holostream"
else
	make -C "$root" --no-print-directory build >&2
	# A copy: others may rebuild bin/ while this runs.
	cp "$root/bin/holostream" "$out/bin/holostream"
fi
bin=$out/bin/holostream

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready URL PID: until URL answers 200, at most 5 minutes (models load, the cluster starts).
wait_ready() {
	for _ in $(seq 600); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.5
	done
	return 1
}

# sample PID FILE SECONDS: RSS every interval for SECONDS; fails if the process ends before.
sample() {
	local pid=$1 file=$2 secs=$3 start now rss
	start=$(date +%s)
	: >"$file"
	while :; do
		now=$(date +%s)
		[ $((now - start)) -le "$secs" ] || return 0
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
		[ -n "$rss" ] || return 1
		echo "$((now - start)) $rss" >>"$file"
		sleep "$interval"
	done
}

# report NAME FILE: the figures of one phase.
report() {
	awk -v name="$1" -v w=$((warmup * 60)) '
		{ t[NR] = $1; r[NR] = $2 / 1024 }
		$1 <= w { warm = $2 / 1024 }
		$1 >= w { n++; sx += $1; sy += $2 / 1024; sxx += $1 * $1; sxy += $1 * $2 / 1024
			if (lo == "" || $2 / 1024 < lo) lo = $2 / 1024
			if ($2 / 1024 > hi) hi = $2 / 1024 }
		END {
			if (n < 3) { printf "%-6s too few samples after the warm-up (%d)\n", name, n; exit 1 }
			slope = (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60
			printf "%-6s RSS %7.1f MB at the end of the warm-up (%.0f min), %7.1f MB at the end (%.1f min); after the warm-up %.1f-%.1f MB, slope %+.2f MB/min (%d samples)\n",
				name, warm, w / 60, r[NR], t[NR] / 60, lo, hi, slope, n
		}' "$2"
}

run_demo() {
	local addr=127.0.0.1:$port
	port_free "$port" || die "port $port is taken: set SOAK_PORT"
	"$bin" demo --model "$model" --http-addr "$addr" >"$out/demo.json" 2>"$out/demo.log" &
	local pid=$!
	pids+=("$pid")
	wait_ready "http://$addr/readyz" "$pid" || die "demo did not get ready (see $out/demo.log)"
	# A browser on the live camera page: its events, read and dropped.
	curl -sN "http://$addr/v1/cameras/camera-1/events" >/dev/null 2>&1 &
	pids+=("$!")
	sample "$pid" "$out/demo.rss" $((minutes * 60)) || die "demo ended early (see $out/demo.log)"
	kill -INT "$pid"
	wait "$pid" || die "demo exited with $? (see $out/demo.log)"
	report demo "$out/demo.rss"
	echo "       demo's summary: $(cat "$out/demo.json")"
}

run_serve() {
	local sport=$((port + 1))
	local url=http://127.0.0.1:$sport
	port_free "$sport" || die "port $sport is taken: set SOAK_PORT"
	"$bin" serve --no-kafka --model "$model" --addr "127.0.0.1:$sport" >"$out/serve.log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	wait_ready "$url/readyz" "$pid" || die "serve did not get ready (see $out/serve.log)"
	"$bin" loadtest --mode http --url "$url" --cameras "$cameras" --fps "$fps" --duration "${minutes}m" --warmup 0s \
		--drain 10s --report "$out/loadtest" --quiet >"$out/loadtest.log" 2>&1 &
	local load=$!
	pids+=("$load")
	sample "$pid" "$out/serve.rss" $((minutes * 60)) || die "serve ended early (see $out/serve.log)"
	wait "$load" || die "the load test failed (see $out/loadtest.log)"
	kill -INT "$pid"
	wait "$pid" || die "serve exited with $? (see $out/serve.log)"
	report serve "$out/serve.rss"
	echo "       load, $cameras x $fps images a second to POST /v1/infer: $(head -c 600 "$out/loadtest.log")"
}

echo "soak: $minutes min each ($warmup min warm-up), RSS every ${interval}s, model $model; out: $out" >&2
for p in $phases; do
	case $p in
	demo) run_demo ;;
	serve) run_serve ;;
	*) die "unknown phase $p (want demo, serve)" ;;
	esac
done
