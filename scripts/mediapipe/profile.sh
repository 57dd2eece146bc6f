#!/usr/bin/env bash
# Where the time goes, holostream against MediaPipe's Python pipeline: the share of each process's
# CPU samples spent inside TFLite's Interpreter::Invoke (the models, XNNPACK) and what is left,
# on the same frames as bench.sh (testdata/video, video mode, one core). Needs `perf`
# (Debian: linux-perf) and perf_event_paranoid <= 2 or root.
#
# Why: the two run the same .tflite models with XNNPACK, so the model time is common to both and
# only the rest can be saved. If MediaPipe spends a share s of its time in Invoke, no pipeline
# running the same models at the same speed can beat it by more than 1/s. The shares count every
# sample of the process, model loading included, which makes both shares a little low: 1/s is
# then an upper bound on the ratio within reach.
#
# MODELS="holistic pose-lite holistic@basketball" to choose (default holistic; cases.sh names
# them). Prints one line per implementation.
set -euo pipefail
. "$(dirname "$0")/venv.sh"
. "$root/scripts/env.sh"
. "$root/scripts/mediapipe/cases.sh"
cd "$root"
command -v perf >/dev/null || { echo "profile.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }
models=${MODELS:-holistic}
go test -c -o "$root/bin/model.test" ./model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpu_ms PERFDATA: the CPU time the samples cover, in ms (cpu-clock counts nanoseconds).
cpu_ms() {
	perf report -i "$1" --stdio 2>/dev/null | awk '/^# Event count/ { print $NF / 1e6 }'
}

# share PERFDATA SYMBOL: percent of all samples with SYMBOL on the call chain.
share() {
	perf report -i "$1" --children --sort sym -g none --percent-limit 0 2>/dev/null |
		awk -v s="$2" '!done && index($0, s) && $1 ~ /%$/ { sub(/%/, "", $1); print $1; done = 1 }'
}

for m in $models; do
	go_ms=$(cd model && taskset -c 0 perf record -q -F 999 -g -o "$tmp/go.data" -- \
		../bin/model.test -test.run '^$' -test.bench "$(go_bench_regex "$m")" -test.benchtime 200x -test.cpu 1 2>/dev/null | read_go_ms)
	go_share=$(share "$tmp/go.data" 'go-tflite.(*Interpreter).Invoke')
	go_cpu=$(cpu_ms "$tmp/go.data")
	mapfile -t py_args < <(py_bench_args "$m")
	py_ms=$(taskset -c 0 perf record -q -F 999 -g -o "$tmp/py.data" -- \
		"$mp_python" scripts/mediapipe/bench.py "${py_args[@]}" --repeat 5 2>/dev/null | read_py_ms)
	py_share=$(share "$tmp/py.data" 'tflite::impl::Interpreter::Invoke')
	py_cpu=$(cpu_ms "$tmp/py.data")
	# Frames run: Go's benchmark runs once with b.N = 1, then 200; bench.py a warm-up pass and 5,
	# of the 40 frames each.
	for row in "holostream $go_ms $go_share $go_cpu 201" "mediapipe-python $py_ms $py_share $py_cpu 240"; do
		set -- $row
		awk -v m="$m" -v who="$1" -v ms="$2" -v s="$3" -v cpu="$4" -v n="$5" 'BEGIN {
			printf "%-28s %-17s %6.2f ms/frame   TFLite Invoke %5.2f ms/frame, %4.1f%% of CPU samples   ceiling on a ratio against it: %.2fx\n",
				m, who, ms, s / 100 * cpu / n, s, 100 / s }'
	done
done
