#!/usr/bin/env bash
# Regenerate testdata/golden with MediaPipe's Python pipeline, in a venv of its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${MEDIAPIPE_VENV:-$root/.venv-mediapipe}
if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q -r "$root/scripts/mediapipe/requirements.txt"
fi
exec "$venv/bin/python" "$root/scripts/mediapipe/golden.py" --holistic "$@"
