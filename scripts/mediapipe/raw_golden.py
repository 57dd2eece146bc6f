"""Regenerate testdata/raw: 4:2:0 frames of a photo and OpenCV's RGB conversion of them.

Run by hand (from the repository root, with the venv of venv.sh):

  python scripts/mediapipe/raw_golden.py

  testdata/raw/messi5.i420   messi5.jpg (548x342) as OpenCV's imdecode reads it, converted by
                             cvtColor(COLOR_BGR2YUV_I420): the Y plane, then U, then V
  testdata/raw/raw.json      sha256 of cvtColor(COLOR_YUV2RGB_I420) of those bytes, and of
                             cvtColor(COLOR_YUV2RGB_NV12) of the same planes with U and V
                             interleaved (NV12), which pixels.DecodeRaw must match bit for bit
"""
import hashlib
import json
import os

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    src = os.path.join(ROOT, "testdata", "images", "messi5.jpg")
    with open(src, "rb") as f:
        bgr = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
    h, w = bgr.shape[:2]
    i420 = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    flat = i420.reshape(-1)
    y, rest = flat[: w * h], flat[w * h:]
    u, v = rest[: len(rest) // 2], rest[len(rest) // 2:]
    nv12 = np.concatenate([y, np.stack([u, v], axis=1).reshape(-1)]).reshape(h * 3 // 2, w)
    out = os.path.join(ROOT, "testdata", "raw")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "messi5.i420"), "wb") as f:
        f.write(i420.tobytes())

    def digest(rgb):
        return hashlib.sha256(rgb.tobytes()).hexdigest()

    golden = {
        "opencv_version": cv2.__version__,
        "command": "python scripts/mediapipe/raw_golden.py",
        "width": w,
        "height": h,
        "rgb_sha256": {
            "i420": digest(cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)),
            "nv12": digest(cv2.cvtColor(nv12, cv2.COLOR_YUV2RGB_NV12)),
        },
    }
    with open(os.path.join(out, "raw.json"), "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"testdata/raw: {w}x{h} I420, digests {golden['rgb_sha256']}")


if __name__ == "__main__":
    main()
