"""Regenerate testdata/webp: WebP files made from the repository's photos with OpenCV, and the
sha256 of OpenCV's imdecode of each (as RGB), which pixels.DecodeImage is compared with.

Run by hand (from the repository root, with the venv of venv.sh):

  python scripts/mediapipe/webp_golden.py

  messi5.q90.webp            lossy, quality 90
  fruits.q50.webp            lossy, quality 50
  basketball1.odd.q80.webp   lossy, quality 80, a 301x201 crop (odd sizes: the chroma edges)
  astronaut.lossless.webp    lossless (quality 101)
  webp.json                  {"rgb_sha256": {path: digest}, "opencv_version": ...}
"""
import hashlib
import json
import os

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "webp")


def main():
    os.makedirs(OUT, exist_ok=True)
    images = os.path.join(ROOT, "testdata", "images")
    cases = [
        ("messi5.q90.webp", "messi5.jpg", None, 90),
        ("fruits.q50.webp", "fruits.jpg", None, 50),
        ("basketball1.odd.q80.webp", "basketball1.png", (201, 301), 80),
        ("astronaut.lossless.webp", "astronaut.png", None, 101),
    ]
    digests = {}
    for name, src, crop, quality in cases:
        bgr = cv2.imread(os.path.join(images, src), cv2.IMREAD_COLOR)
        if crop:
            bgr = np.ascontiguousarray(bgr[: crop[0], : crop[1]])
        ok, data = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, quality])
        assert ok, name
        path = os.path.join(OUT, name)
        with open(path, "wb") as f:
            f.write(data.tobytes())
        back = cv2.imdecode(np.frombuffer(data.tobytes(), np.uint8), cv2.IMREAD_COLOR)
        digests[os.path.relpath(path, ROOT)] = hashlib.sha256(cv2.cvtColor(back, cv2.COLOR_BGR2RGB).tobytes()).hexdigest()
    with open(os.path.join(OUT, "webp.json"), "w") as f:
        json.dump({"opencv_version": cv2.__version__, "command": "python scripts/mediapipe/webp_golden.py",
                   "rgb_sha256": digests}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"testdata/webp: {len(digests)} files")


if __name__ == "__main__":
    main()
