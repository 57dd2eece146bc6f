# Sourced by bench.sh and profile.sh: which Go benchmark and which bench.py arguments time a
# model, and how to read their figures. A model is a pose model, holistic (the footage), or
# holistic@basketball / holistic-refined@basketball (the two basketball photos alternated: a face
# and hands on every frame).

# go_bench_regex MODEL: the Go benchmark that times MODEL.
go_bench_regex() {
	case $1 in
	holistic) echo '^BenchmarkHolisticTrackFrame/footage$' ;;
	holistic@basketball) echo '^BenchmarkHolisticTrackFrame/basketball$' ;;
	holistic-refined@basketball) echo '^BenchmarkHolisticTrackFrame/basketball-refined$' ;;
	*) echo "^BenchmarkTrackFrame/$1\$" ;;
	esac
}

# py_bench_args MODEL: bench.py's arguments for MODEL, one a line (for mapfile).
py_bench_args() {
	printf '%s\n' --model "${1%@*}"
	if [ "${1#*@}" = basketball ]; then echo --basketball; fi
}

# read_go_ms: the ms/frame figure of the Go benchmark output on stdin.
read_go_ms() { awk '/ms\/frame/ { for (i = 1; i < NF; i++) if ($(i+1) == "ms/frame") print $i }'; }

# read_py_ms: the mean ms per frame of bench.py's JSON line on stdin.
read_py_ms() { "$mp_python" -c 'import json,sys; print(json.load(sys.stdin)["ms_per_frame"]["mean"])'; }
