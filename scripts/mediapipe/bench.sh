#!/usr/bin/env bash
# Throughput of holostream's Go pipeline against MediaPipe's Python pipeline on the same frames
# (testdata/video, 640x480 JPEG footage), same machine, same mode (video: tracking + smoothing),
# decode included in both, each pinned to one core: the budget is per core.
#
# Rounds: ROUNDS (default 3) of Go then Python, the order swapped every round, and the ratio of
# each implementation's best round beside the median of the rounds' ratios. On this project's VM
# the same benchmark moved 40-70% between windows minutes apart, and noise only ever adds time:
# the best round is each implementation on a quiet stretch. (Running the two at once on the two
# cores was tried: they slow each other down by ~35%, the shared caches and host.)
# MODELS="pose-lite holistic holistic@basketball holistic-refined@basketball" to choose.
set -euo pipefail
. "$(dirname "$0")/venv.sh"
. "$root/scripts/env.sh"
. "$root/scripts/mediapipe/cases.sh"
cd "$root"
models=${MODELS:-pose-lite pose-full pose-heavy holistic holistic@basketball holistic-refined@basketball}
rounds=${ROUNDS:-3}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $cpu, $(nproc) cores; one core (taskset -c 0), $rounds rounds"
go test -c -o "$root/bin/model.test" ./model
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# go_bench CORE MODEL FRAMES: mean ms per frame of the Go benchmark (cases.sh names the models).
go_bench() {
	(cd model && taskset -c "$1" ../bin/model.test -test.run '^$' -test.bench "$(go_bench_regex "$2")" -test.benchtime "$3x" -test.cpu 1) | read_go_ms
}

# py_bench CORE MODEL: mean ms per frame of MediaPipe's pipeline (a warm-up pass, then 5 passes).
py_bench() {
	local args
	mapfile -t args < <(py_bench_args "$2")
	taskset -c "$1" "$mp_python" scripts/mediapipe/bench.py "${args[@]}" --repeat 5 2>/dev/null | read_py_ms
}

report() { # report LABEL MODEL GO_MS PY_MS
	awk -v l="$1" -v m="$2" -v g="$3" -v p="$4" 'BEGIN {
		printf "%-28s %-8s holostream %6.2f ms/frame (%5.1f fps)   mediapipe-python %6.2f ms/frame (%5.1f fps)   ratio %.2fx\n",
			m, l, g, 1000 / g, p, 1000 / p, p / g }'
}

for m in $models; do
	: >"$tmp/rounds"
	for ((r = 0; r < rounds; r++)); do
		if ((r % 2 == 0)); then
			g=$(go_bench 0 "$m" 100)
			p=$(py_bench 0 "$m")
		else
			p=$(py_bench 0 "$m")
			g=$(go_bench 0 "$m" 100)
		fi
		report "round $((r + 1))" "$m" "$g" "$p"
		echo "$g $p" >>"$tmp/rounds"
	done
	# The rounds' ratios, sorted, for the median; then each side's best round.
	awk '{ print $2 / $1 }' "$tmp/rounds" | sort -g >"$tmp/ratios"
	med=$(awk '{ r[NR] = $1 } END { print NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }' "$tmp/ratios")
	spread=$(awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2fx", lo, hi }' "$tmp/ratios")
	gb=$(awk '{ print $1 }' "$tmp/rounds" | sort -g | head -1)
	pb=$(awk '{ print $2 }' "$tmp/rounds" | sort -g | head -1)
	report "best" "$m" "$gb" "$pb"
	printf '%-28s median of the rounds %.2fx (%s)\n' "$m" "$med" "$spread"
done
