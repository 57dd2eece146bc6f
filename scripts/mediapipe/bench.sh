#!/usr/bin/env bash
# Throughput of holostream's Go pipeline against MediaPipe's Python pipeline on the same frames
# (testdata/video, 640x480 JPEG footage), same machine, same mode (video: tracking + smoothing),
# decode included in both. Both are pinned to one core (taskset -c 0): the budget is per core.
# Prints one line per model and the ratio; MODELS="pose-lite pose-full" to choose.
set -euo pipefail
. "$(dirname "$0")/venv.sh"
. "$root/scripts/env.sh"
cd "$root"
models=${MODELS:-pose-lite pose-full pose-heavy holistic}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $cpu, $(nproc) cores; one core each (taskset -c 0)"
go test -c -o "$root/bin/model.test" ./model
for m in $models; do
	bench="^BenchmarkTrackFrame/$m\$"
	[ "$m" = holistic ] && bench='^BenchmarkHolisticTrackFrame/footage$'
	go_ms=$(cd model && taskset -c 0 ../bin/model.test -test.run '^$' -test.bench "$bench" -test.benchtime 100x -test.cpu 1 |
		awk '/ms\/frame/ { for (i = 1; i < NF; i++) if ($(i+1) == "ms/frame") print $i }')
	py=$(taskset -c 0 "$mp_python" scripts/mediapipe/bench.py --model "$m" --repeat 5 2>/dev/null)
	py_ms=$(printf '%s' "$py" | "$mp_python" -c 'import json,sys; print(json.load(sys.stdin)["ms_per_frame"]["mean"])')
	awk -v m="$m" -v g="$go_ms" -v p="$py_ms" 'BEGIN {
		printf "%-10s holostream %6.2f ms/frame (%5.1f fps)   mediapipe-python %6.2f ms/frame (%5.1f fps)   ratio %.2fx\n",
			m, g, 1000 / g, p, 1000 / p, p / g }'
done
