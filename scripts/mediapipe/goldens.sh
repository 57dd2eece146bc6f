#!/usr/bin/env bash
# Regenerate testdata/golden with MediaPipe's Python pipeline (see golden.py).
set -euo pipefail
. "$(dirname "$0")/venv.sh"
exec "$mp_python" "$root/scripts/mediapipe/golden.py" --holistic "$@"
