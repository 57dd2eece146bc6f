#!/usr/bin/env bash
# `make bench-gunicorn`: holostream serve with its defaults against the service a user would
# build instead, MediaPipe's Python solution behind Gunicorn (2 sync workers) and Flask
# (app.py), on this machine, under the same Locust load: no-wait users POSTing raw JPEGs of real
# footage and a photo (testdata), at each of USERS. Each service runs alone, started afresh for
# each model and round, the order swapped every round; the table gives each side's range over the
# rounds and the ratio of successful requests a second.
#
#   MODELS   pose-full holistic        USERS  4 16 64 (64: overload for both)
#   ROUNDS   2                          SECONDS_PER_LEVEL 20, the first WARMUP=3 not counted
#   HOLOSTREAM_ARGS  extra flags for serve (default: none, the defaults are what is compared)
#
# Locust runs on the same machine, as a user's load test would; it takes its share of the
# cores for both services alike. On a machine shared with other work the requests a second move
# with it; the service's CPU time per answer (over the whole Locust run) moves much less, and
# says what each side would do with the cores to itself. The venv (.deps/gunicorn-mediapipe: MediaPipe 0.10.14,
# Gunicorn, Flask, Locust, pinned in requirements.txt) is made on first use from PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
models=${MODELS:-pose-full holistic}
users=${USERS:-4 16 64}
rounds=${ROUNDS:-2}
seconds=${SECONDS_PER_LEVEL:-20}
export WARMUP=${WARMUP:-3}
log() { printf 'compare: %s\n' "$*" >&2; }

# The venv, remade when requirements.txt changes.
venv=${HOLOSTREAM_DEPS:-$root/.deps}/gunicorn-mediapipe
want="$(sha256sum "$here/requirements.txt" | cut -c1-16) $(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/stamp" 2>/dev/null)" != "$want" ]; then
	log "making $venv from PyPI (MediaPipe, Gunicorn, Flask, Locust; a few minutes the first time)"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install --disable-pip-version-check -q -r "$here/requirements.txt"
	echo "$want" >"$venv/stamp"
fi
make -s build >/dev/null

tmp=$(mktemp -d)
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
# Real footage of people walking (testdata/video) and a photo, as raw JPEGs.
images=$(ls "$root"/testdata/video/*.jpg "$root"/testdata/images/messi5.jpg | paste -sd:)
export IMAGES=$images

start() { # start SERVICE MODEL: run it alone on $port, wait until it answers
	stop
	case $1 in
	holostream)
		# shellcheck disable=SC2086
		bin/holostream serve --no-kafka --model "$2" --addr "127.0.0.1:$port" ${HOLOSTREAM_ARGS:-} 2>"$tmp/serve.log" &
		;;
	gunicorn)
		(cd "$here" && MODEL=$2 exec "$venv/bin/gunicorn" -w 2 -b "127.0.0.1:$port" --log-level warning app:app) 2>"$tmp/serve.log" &
		;;
	esac
	pid=$!
	for _ in $(seq 600); do
		curl -sf "$url/healthz" >/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; log "$1 did not start"; exit 1; }
		sleep 0.1
	done
	# Every worker builds its model before the clock starts: a few requests each.
	for _ in 1 2 3 4 5 6; do curl -sf --data-binary @testdata/images/messi5.jpg "$url/v1/infer" >/dev/null; done
}

# cpu_ticks: the CPU time (utime + stime, in clock ticks) of the service: its process and, for
# Gunicorn, its workers.
cpu_ticks() {
	local t=0 p
	for p in $pid $(pgrep -P "$pid" || true); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

load() { # load USERS RESULT: one Locust run; adds the service's CPU seconds to the result
	local c0 c1
	c0=$(cpu_ticks)
	RESULT=$2 "$venv/bin/locust" -f "$here/locustfile.py" --headless --host "$url" -u "$1" -r "$1" \
		--run-time "${seconds}s" --only-summary --loglevel WARNING >/dev/null 2>"$tmp/locust.log" ||
		{ cat "$tmp/locust.log" >&2; log "locust failed"; exit 1; }
	c1=$(cpu_ticks)
	python3 - "$2" "$(((c1 - c0)))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
p, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = json.load(open(p))
r["server_cpu_s"] = ticks / hz
json.dump(r, open(p, "w"))
PY
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
log "machine: $cpu, $(nproc) CPUs; holostream $(bin/holostream version 2>/dev/null | head -1); ${seconds}s a level, $rounds rounds"
for m in $models; do
	for ((r = 0; r < rounds; r++)); do
		order="holostream gunicorn"
		((r % 2 == 0)) || order="gunicorn holostream"
		for s in $order; do
			start "$s" "$m"
			for u in $users; do
				load "$u" "$tmp/$m.$s.$u.$r.json"
				log "$m round $((r + 1)) $s $u users: $(cat "$tmp/$m.$s.$u.$r.json")"
			done
			stop
		done
	done
done
"$venv/bin/python" "$here/summary.py" "$tmp" "$models" "$users"
