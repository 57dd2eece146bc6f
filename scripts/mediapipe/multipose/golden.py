"""Write testdata/golden/multipose.json: MediaPipe Tasks PoseLandmarker, several people per image.

The Go port's multi-person image mode (model.WithMaxPeople, n > 1) follows the Tasks graph
(mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarker_graph.cc, v0.10.14), so its golden is
Tasks' own output: IMAGE mode, num_poses=4, the pose-full bundle that make_bundle.py builds from
our legacy models (metadata added, weights unchanged). model/multiperson_test.go
(TestGoldenMultiPerson) compares the port with this file.

Per image: width, height, and the poses in Tasks' order (most confident detection first), each
with its 33 landmarks (x, y, z, visibility, presence) to 7 decimals. An image where Tasks finds
nobody is kept with an empty list: the port must find nobody there too.

Images are read with OpenCV, BGR -> RGB, and passed as SRGB: mp.Image.create_from_file gives
GRAY8 for the grayscale basketball PNGs, and the Tasks graph then silently finds nobody.

Run (with the venv of ../venv.sh, after make_bundle.py):
  python golden.py [--bundle OUT/bundles/pose_landmarker_full.task] [--num-poses 4]
                   [--out testdata/golden/multipose.json] [IMAGE...]
"""
import argparse
import json
import os
import tempfile
from pathlib import Path

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = os.path.join(tempfile.gettempdir(), "holostream-multipose", "bundles", "pose_landmarker_full.task")
# basketball1/2: two and more players; frame_0560: the one surveillance frame where the whole
# frame's detector finds someone (README.md); frame_0080 and frame_0720: several people, all
# too small for the 224x224 detector, so nobody (a port that invents people fails there).
IMAGES = [
    "testdata/images/basketball1.png",
    "testdata/images/basketball2.png",
    "testdata/surveillance/frame_0080.jpg",
    "testdata/surveillance/frame_0560.jpg",
    "testdata/surveillance/frame_0720.jpg",
]


def r7(v):
    return round(float(v), 7)


def pose_json(lms):
    return {"landmarks": [{"x": r7(l.x), "y": r7(l.y), "z": r7(l.z), "visibility": r7(l.visibility),
                           "presence": r7(l.presence)} for l in lms]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundle", default=BUNDLE, help="pose-full Tasks bundle (make_bundle.py)")
    ap.add_argument("--num-poses", type=int, default=4)
    ap.add_argument("--out", default=str(ROOT / "testdata" / "golden" / "multipose.json"))
    ap.add_argument("images", nargs="*", default=IMAGES, help="repository-relative image paths")
    a = ap.parse_args()
    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=a.bundle),
                                        running_mode=vision.RunningMode.IMAGE, num_poses=a.num_poses)
    records = []
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        for rel in a.images:
            bgr = cv2.imread(str(ROOT / rel), cv2.IMREAD_COLOR)
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            res = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
            records.append({"source": rel, "width": rgb.shape[1], "height": rgb.shape[0],
                            "people": [pose_json(p) for p in res.pose_landmarks]})
            print(rel, len(res.pose_landmarks), "people")
    doc = {"generator": "scripts/mediapipe/multipose/golden.py", "mediapipe": mp.__version__,
           "model": "pose-full", "num_poses": a.num_poses, "images": records}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
