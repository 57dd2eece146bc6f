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

It also writes testdata/golden/multipose_video.json (--video-out), the golden of several people
in video mode (model.Landmarker.Track with WithMaxPeople(n > 1)): Tasks PoseLandmarker in VIDEO
mode, num_poses=4, over VIDEO_SEQUENCES, close-up sequences cut from basketball2.png (two people)
exactly as ../golden.py cuts its SEQUENCES (sequence_frame: integer nearest-neighbour windows of
the still, black outside it), frame i at timestamp (i+1)*33333 us, in whole ms as Tasks wants
them. Per frame: the poses in Tasks' output order, each as 33 [x, y, z, visibility] to 7
decimals. Tasks has no track ids; model/people_video_test.go checks ours against where the people
are.

Run (with the venv of ../venv.sh, after make_bundle.py):
  python golden.py [--bundle OUT/bundles/pose_landmarker_full.task] [--num-poses 4]
                   [--out testdata/golden/multipose.json]
                   [--video-out testdata/golden/multipose_video.json] [IMAGE...]
"""
import argparse
import importlib.util
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

# Video sequences of several people, windows [x, y, w, h] of the still scaled to size [W, H].
# basketball2.png is 640x480, its two people at x 53-164 and 450-599 (multipose.json).
VIDEO_SEQUENCES = {
    # A slow pan and zoom (to 1.07x) where both people stay in view.
    "pan2": {"image": "testdata/images/basketball2.png", "size": [640, 480],
             "from": [0, 0, 640, 480], "to": [40, 10, 600, 450], "frames": 24},
    # The window slides right until the left person has left the frame (black beyond the
    # still's right edge), then back until both are in full view again.
    "leave2": {"image": "testdata/images/basketball2.png", "size": [640, 480],
               "from": [0, 0, 640, 480], "to": [240, 0, 640, 480], "frames": 13, "back": True},
}


def legacy_golden():
    """../golden.py as a module, for its _lerp_windows and sequence_frame."""
    spec = importlib.util.spec_from_file_location("legacy_golden", ROOT / "scripts" / "mediapipe" / "golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def video_windows(seq, lg):
    a, b, n = seq["from"], seq["to"], seq["frames"]
    if seq.get("back"):  # there and back: n-1 windows out, n back
        return lg._lerp_windows(a, b, n)[:-1] + lg._lerp_windows(b, a, n)
    return lg._lerp_windows(a, b, n)


def video_mode(bundle, num_poses, out):
    lg = legacy_golden()
    sequences = []
    for name, seq in VIDEO_SEQUENCES.items():
        bgr = cv2.imread(str(ROOT / seq["image"]), cv2.IMREAD_COLOR)
        img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        windows = video_windows(seq, lg)
        opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=bundle),
                                            running_mode=vision.RunningMode.VIDEO, num_poses=num_poses)
        frames = []
        with vision.PoseLandmarker.create_from_options(opts) as lm:
            for i, window in enumerate(windows):
                frame = lg.sequence_frame(img, window, seq["size"])
                ts_us = (i + 1) * 33333
                res = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=frame), ts_us // 1000)
                frames.append({"window": window, "timestamp_us": ts_us,
                               "people": [[[r7(l.x), r7(l.y), r7(l.z), r7(l.visibility)] for l in p]
                                          for p in res.pose_landmarks]})
        print(name, "people per frame:", " ".join(str(len(f["people"])) for f in frames))
        sequences.append({"name": name, "source": seq["image"], "width": seq["size"][0],
                          "height": seq["size"][1], "frames": frames})
    doc = {"generator": "scripts/mediapipe/multipose/golden.py", "mediapipe": mp.__version__,
           "model": "pose-full", "mode": "video", "num_poses": num_poses, "sequences": sequences}
    # One frame a line, so a regeneration diffs frame by frame.
    with open(out, "w") as f:
        head = json.dumps({k: v for k, v in doc.items() if k != "sequences"}, separators=(",", ":"))
        f.write(head[:-1] + ',"sequences":[\n')
        for si, s in enumerate(sequences):
            meta = json.dumps({k: v for k, v in s.items() if k != "frames"}, separators=(",", ":"))
            f.write(meta[:-1] + ',"frames":[\n')
            f.write(",\n".join(json.dumps(fr, separators=(",", ":")) for fr in s["frames"]))
            f.write("\n]}" + ("," if si + 1 < len(sequences) else "") + "\n")
        f.write("]}\n")


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
    ap.add_argument("--video-out", default=str(ROOT / "testdata" / "golden" / "multipose_video.json"))
    ap.add_argument("--video-only", action="store_true", help="write only --video-out")
    ap.add_argument("images", nargs="*", default=IMAGES, help="repository-relative image paths")
    a = ap.parse_args()
    video_mode(a.bundle, a.num_poses, a.video_out)
    if a.video_only:
        return
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
