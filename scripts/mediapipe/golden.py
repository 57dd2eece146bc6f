"""Regenerate testdata/golden with MediaPipe's own Python pipeline.

Run by hand (make goldens), not by the tests: the tests compare the Go port with the committed
files. Images are read with OpenCV and converted BGR -> RGB, as MediaPipe's examples do.
--only SET (repeatable) writes just those sets, leaving the other files as they are.

  testdata/golden/pose/<image>.<model>.json     image mode, every image x pose-lite/full/heavy
  testdata/golden/pose-video/<model>.jsonl      video mode over testdata/video, one line a frame
  testdata/golden/holistic/<image>.json         holistic, image mode (refine_face_landmarks=False)
  testdata/golden/holistic-video/vtest.jsonl    holistic, video mode over testdata/video
  testdata/golden/holistic-video/pan.jsonl      holistic, video mode over a slow pan across
                                                basketball2.png (PAN: integer crops, no resampling,
                                                so the Go test cuts the same frames)
  testdata/golden/holistic-refined/<image>.json        holistic with refine_face_landmarks=True
                                                       (478 face points), image mode
  testdata/golden/holistic-refined-video/<seq>.jsonl   the same in video mode, vtest and pan
  testdata/golden/sequences/<seq>.<model>.jsonl video mode over the close-up sequences of SEQUENCES
                                                (a repeated still, pans, a zoom, a person leaving and
                                                coming back), every pose model, holistic and
                                                holistic-refined: compact lines (see sequence_mode)
  testdata/golden/decode.json                   sha256 of OpenCV's RGB decode of every test image
                                                (and of messi5.jpg with each EXIF orientation), which
                                                our decoder must match bit for bit
"""
import argparse
import glob
import hashlib
import json
import os
import struct

import cv2
import mediapipe as mp
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = {"pose-lite": 0, "pose-full": 1, "pose-heavy": 2}


def rel(path):
    return os.path.relpath(path, ROOT)


def read_rgb(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def pose_json(result):
    if result.pose_landmarks is None:
        return None
    lms = [
        {"x": l.x, "y": l.y, "z": l.z, "visibility": l.visibility, "presence": l.presence}
        for l in result.pose_landmarks.landmark
    ]
    world = [
        {"x": l.x, "y": l.y, "z": l.z, "visibility": l.visibility}
        for l in result.pose_world_landmarks.landmark
    ]
    return {"landmarks": lms, "world_landmarks": world}


def points(lms):
    if lms is None:
        return None
    return [{"x": l.x, "y": l.y, "z": l.z} for l in lms.landmark]


def record(path, img, model, pose):
    return {
        "source": rel(path),
        "width": img.shape[1],
        "height": img.shape[0],
        "model": model,
        "mediapipe_version": mp.__version__,
        "pose": pose,
    }


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f)
        f.write("\n")


def images(images_dir):
    paths = sorted(glob.glob(os.path.join(images_dir, "*.png")) + glob.glob(os.path.join(images_dir, "*.jpg")))
    if not paths:
        raise SystemExit(f"no images in {images_dir}")
    return paths


def image_mode(images_dir, out_dir):
    for path in images(images_dir):
        img = read_rgb(path)
        base = os.path.splitext(os.path.basename(path))[0]
        for model, complexity in MODELS.items():
            with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=complexity,
                                        enable_segmentation=False, min_detection_confidence=0.5) as pose:
                rec = record(path, img, model, pose_json(pose.process(img)))
            write_json(os.path.join(out_dir, "pose", f"{base}.{model}.json"), rec)
            print(f"{rel(path)} {model}: {'person' if rec['pose'] else 'no person'}")


def video_mode(video_dir, out_dir):
    frames = sorted(glob.glob(os.path.join(video_dir, "*.jpg")))
    if not frames:
        raise SystemExit(f"no frames in {video_dir}")
    os.makedirs(os.path.join(out_dir, "pose-video"), exist_ok=True)
    for model, complexity in MODELS.items():
        found = 0
        with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity,
                                    smooth_landmarks=True, enable_segmentation=False) as pose, \
                open(os.path.join(out_dir, "pose-video", f"{model}.jsonl"), "w") as f:
            for path in frames:
                img = read_rgb(path)
                rec = record(path, img, model, pose_json(pose.process(img)))
                found += rec["pose"] is not None
                f.write(json.dumps(rec) + "\n")
        print(f"video {model}: person in {found} of {len(frames)} frames")


def holistic_record(path, img, r, model="holistic"):
    rec = record(path, img, model, pose_json(r))
    rec["face"] = points(r.face_landmarks)
    rec["left_hand"] = points(r.left_hand_landmarks)
    rec["right_hand"] = points(r.right_hand_landmarks)
    return rec


def holistic_mode(images_dir, out_dir, refine=False):
    name = "holistic-refined" if refine else "holistic"
    for path in images(images_dir):
        img = read_rgb(path)
        base = os.path.splitext(os.path.basename(path))[0]
        with mp.solutions.holistic.Holistic(static_image_mode=True, model_complexity=1,
                                            refine_face_landmarks=refine) as h:
            rec = holistic_record(path, img, h.process(img), name)
        write_json(os.path.join(out_dir, name, f"{base}.json"), rec)
        face = len(rec["face"]) if rec["face"] else None
        print(f"{rel(path)} {name}: face {face}, hands "
              f"{rec['left_hand'] is not None}/{rec['right_hand'] is not None}")


# A slow pan across a still photo: frame i is the PAN["size"] window of PAN["image"] at
# (i·dx, i·dy), for PAN["frames"] frames. The faces and hands of the real footage are too small
# for the holistic models; this sequence makes every branch track.
PAN = {"image": "testdata/images/basketball2.png", "frames": 30, "size": [520, 400], "step": [2, 1]}


def pan_frames():
    img = read_rgb(os.path.join(ROOT, PAN["image"]))
    (w, h), (dx, dy) = PAN["size"], PAN["step"]
    for i in range(PAN["frames"]):
        x, y = i * dx, i * dy
        yield PAN["image"], [x, y, w, h], img[y:y + h, x:x + w].copy()


def holistic_video_mode(video_dir, out_dir, refine=False):
    name = "holistic-refined" if refine else "holistic"
    frames = sorted(glob.glob(os.path.join(video_dir, "*.jpg")))
    if not frames:
        raise SystemExit(f"no frames in {video_dir}")
    sequences = {
        "vtest": ((path, None, read_rgb(path)) for path in frames),
        "pan": ((os.path.join(ROOT, src), crop, img) for src, crop, img in pan_frames()),
    }
    os.makedirs(os.path.join(out_dir, f"{name}-video"), exist_ok=True)
    for seq_name, seq in sequences.items():
        found = {"pose": 0, "face": 0, "left_hand": 0, "right_hand": 0}
        n = 0
        with mp.solutions.holistic.Holistic(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                                            refine_face_landmarks=refine) as h, \
                open(os.path.join(out_dir, f"{name}-video", f"{seq_name}.jsonl"), "w") as f:
            for path, crop, img in seq:
                rec = holistic_record(path, img, h.process(img), name)
                if crop is not None:
                    rec["crop"] = crop
                for k in found:
                    found[k] += rec[k] is not None
                n += 1
                f.write(json.dumps(rec) + "\n")
        print(f"video {name} {seq_name} over {n} frames: " + ", ".join(f"{k} {c}" for k, c in found.items()))


# Close-up sequences made from the repo's photos, where people fill much of the frame, so that
# tracking errors show (the footage's people are small and far away). Frame i of a sequence is
# the window windows[i] = [x, y, w, h] of the photo, in its pixels, scaled to size = [W, H] by
# nearest neighbour in integers: output pixel (c, r) is photo pixel (x + c*w // W, y + r*h // H),
# black where that falls outside the photo. model/sequence_test.go cuts the same frames.
def _lerp_windows(a, b, n):
    """n windows from a to b (inclusive), each coordinate rounded down."""
    return [[a[k] + (b[k] - a[k]) * i // (n - 1) for k in range(4)] for i in range(n)]


SEQUENCES = {
    # The same photo 12 times: tracking's steady state against image mode on the same image.
    "still": {"image": "testdata/images/astronaut.png", "size": [512, 512],
              "windows": [[0, 0, 512, 512]] * 12},
    # A slow pan across two close-up people, 1.6x: the left one leaves the frame at the left.
    "pan": {"image": "testdata/images/basketball1.png", "size": [640, 480],
            "windows": _lerp_windows([0, 90, 400, 300], [240, 90, 400, 300], 40)},
    # A zoom from the whole photo to the head and shoulders.
    "zoom": {"image": "testdata/images/astronaut.png", "size": [512, 512],
             "windows": _lerp_windows([0, 0, 512, 512], [110, 20, 260, 260], 30)},
    # The window slides right until the person has left the frame (black beyond the photo's
    # right edge), then back until they are in full view again.
    "leave": {"image": "testdata/images/astronaut.png", "size": [512, 512],
              "windows": _lerp_windows([0, 0, 512, 512], [512, 0, 512, 512], 17)[:-1] +
                         _lerp_windows([512, 0, 512, 512], [0, 0, 512, 512], 17)},
}

# The pipelines the sequence goldens cover, as the Go test names them.
SEQUENCE_MODELS = ["pose-lite", "pose-full", "pose-heavy", "holistic", "holistic-refined"]


def sequence_frame(img, window, size):
    """The frame of window [x, y, w, h] of img scaled to size [W, H], nearest neighbour in integers."""
    (x, y, w, h), (W, H) = window, size
    cols = x + np.arange(W) * w // W
    rows = y + np.arange(H) * h // H
    out = np.zeros((H, W, 3), np.uint8)
    cin = (cols >= 0) & (cols < img.shape[1])
    rin = (rows >= 0) & (rows < img.shape[0])
    out[np.ix_(rin, cin)] = img[np.ix_(rows[rin], cols[cin])]
    return out


def rounded(v):
    return round(float(v), 7)


def compact_points(lms, visibility=False):
    if lms is None:
        return None
    if visibility:
        return [[rounded(l.x), rounded(l.y), rounded(l.z), rounded(l.visibility)] for l in lms.landmark]
    return [[rounded(l.x), rounded(l.y), rounded(l.z)] for l in lms.landmark]


def sequence_mode(out_dir):
    """One line a frame: the frame's window, then MediaPipe's landmarks in video mode (x, y, z and,
    for the pose, visibility), null when not found; smoothing on, MediaPipe's defaults."""
    os.makedirs(os.path.join(out_dir, "sequences"), exist_ok=True)
    for name, seq in SEQUENCES.items():
        img = read_rgb(os.path.join(ROOT, seq["image"]))
        frames = [sequence_frame(img, w, seq["size"]) for w in seq["windows"]]
        for model in SEQUENCE_MODELS:
            holistic = model.startswith("holistic")
            if holistic:
                solution = mp.solutions.holistic.Holistic(static_image_mode=False, model_complexity=1,
                                                          smooth_landmarks=True,
                                                          refine_face_landmarks=model == "holistic-refined")
            else:
                solution = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=MODELS[model],
                                                  smooth_landmarks=True, enable_segmentation=False)
            found = 0
            with solution, open(os.path.join(out_dir, "sequences", f"{name}.{model}.jsonl"), "w") as f:
                for i, (window, frame) in enumerate(zip(seq["windows"], frames)):
                    r = solution.process(frame)
                    rec = {"source": seq["image"], "window": window, "width": seq["size"][0],
                           "height": seq["size"][1], "model": model, "mediapipe_version": mp.__version__,
                           "pose": compact_points(r.pose_landmarks, visibility=True)}
                    if holistic:
                        rec["face"] = compact_points(r.face_landmarks)
                        rec["left_hand"] = compact_points(r.left_hand_landmarks)
                        rec["right_hand"] = compact_points(r.right_hand_landmarks)
                    found += rec["pose"] is not None
                    f.write(json.dumps(rec, separators=(",", ":")) + "\n")
            print(f"sequence {name} {model}: person in {found} of {len(frames)} frames")


def with_orientation(jpeg, o):
    """The JPEG with an APP1 Exif segment after SOI whose first IFD holds Orientation = o
    (little-endian TIFF): the bytes pixels/exif_test.go's withOrientation builds."""
    tiff = b"II*\x00" + struct.pack("<IH", 8, 1) + struct.pack("<HHIHH", 0x0112, 3, 1, o, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def rgb_digest(data):
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return hashlib.sha256(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).tobytes()).hexdigest()


def decode_digests(images_dir, video_dir, out_dir):
    """The photos (JPEG and PNG), the footage, the JPEG variants of testdata/decode, and messi5.jpg
    with each EXIF orientation (keys "<path>#exif-orientation=N")."""
    decode_dir = os.path.join(ROOT, "testdata", "decode")
    paths = sorted(glob.glob(os.path.join(images_dir, "*.jpg")) + glob.glob(os.path.join(images_dir, "*.png")) +
                   glob.glob(os.path.join(video_dir, "*.jpg")) + glob.glob(os.path.join(decode_dir, "*.jpg")))
    digests = {}
    for p in paths:
        with open(p, "rb") as f:
            digests[rel(p)] = rgb_digest(f.read())
    messi = os.path.join(images_dir, "messi5.jpg")
    with open(messi, "rb") as f:
        raw = f.read()
    for o in range(1, 9):
        digests[f"{rel(messi)}#exif-orientation={o}"] = rgb_digest(with_orientation(raw, o))
    write_json(os.path.join(out_dir, "decode.json"), {"opencv_version": cv2.__version__, "rgb_sha256": digests})
    print(f"decode digests of {len(digests)} images")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=os.path.join(ROOT, "testdata", "images"))
    ap.add_argument("--video", default=os.path.join(ROOT, "testdata", "video"))
    ap.add_argument("--out", default=os.path.join(ROOT, "testdata", "golden"))
    ap.add_argument("--holistic", action="store_true", help="also write holistic goldens")
    ap.add_argument("--only", action="append", choices=list(SETS), help="write only this set (repeatable)")
    args = ap.parse_args()
    for name in args.only or [s for s in SETS if args.holistic or not s.startswith("holistic")]:
        SETS[name](args)


# The golden sets, in the order they are written; the holistic ones only with --holistic.
SETS = {
    "decode": lambda a: decode_digests(a.images, a.video, a.out),
    "pose": lambda a: image_mode(a.images, a.out),
    "pose-video": lambda a: video_mode(a.video, a.out),
    "holistic": lambda a: holistic_mode(a.images, a.out),
    "holistic-video": lambda a: holistic_video_mode(a.video, a.out),
    "holistic-refined": lambda a: holistic_mode(a.images, a.out, refine=True),
    "holistic-refined-video": lambda a: holistic_video_mode(a.video, a.out, refine=True),
    "sequences": lambda a: sequence_mode(a.out),
}

if __name__ == "__main__":
    main()
