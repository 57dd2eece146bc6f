"""Measure how well pose pipelines find small people in surveillance footage (vtest.avi).

Input: testdata/surveillance/frame_*.jpg (10 frames of OpenCV's vtest.avi, 768x576) and
testdata/surveillance/labels.json (hand-checked person boxes, see SOURCES.md there). A person counts as found when a predicted
person box overlaps its label with IoU >= 0.3 (greedy one-to-one matching, best IoU first).
The predicted box is the bounding box of the 33 pose landmarks (clipped to the frame), for every
method that produces landmarks; for HOG alone it is HOG's box.

Methods:
  tasks_full        MediaPipe Tasks PoseLandmarker (bundle from make_bundle.py, pose-full),
                    IMAGE mode, num_poses=8, on the whole frame (the detector sees it letterboxed
                    to 224x224).
  tiles_RxC         the same landmarker on R x C overlapping tiles (25% overlap); each tile is
                    letterboxed to 224x224 by the detector, so small people get 2-5x more
                    detector pixels. Poses are mapped back to the frame and merged by NMS
                    (IoU > 0.3 on landmark boxes, the pose with higher mean visibility wins).
  hog               OpenCV's built-in HOG people detector (weights compiled into OpenCV, which
                    comes from PyPI) on the frame upscaled 2x, boxes NMS'd.
  hog+lm            HOG boxes as ROIs for the pose landmark model: each box is expanded to a
                    square (1.25x the long side), cropped, and given to the same landmarker
                    (IMAGE mode, num_poses=1); poses without a landmark result are dropped.

Writes OUT/results/detect_eval.json (merged with an earlier run's methods), detect_eval.md (table)
and overlays of frames 0080 and 0720 (labels green when found, red when missed; predictions cyan
when matched, magenta when false), OUT being --out, default $TMPDIR/holostream-multipose.
Timing is wall-clock per frame on this machine (2 vCPU, shared), MediaPipe's own threading.

Run:  python detect_eval.py [--out DIR] [--bundle OUT/bundles/pose_landmarker_full.task]
                           [--frames testdata/surveillance] [--methods tasks_full,tiles_2x2,...]
"""
import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

ROOT = Path(__file__).resolve().parents[3]
OUT = os.path.join(tempfile.gettempdir(), "holostream-multipose")


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def nms(items, thr=0.3):
    """items: list of (box, score). Greedy NMS by score, IoU > thr suppressed."""
    items = sorted(items, key=lambda t: -t[1])
    keep = []
    for b, s in items:
        if all(iou(b, k[0]) <= thr for k in keep):
            keep.append((b, s))
    return keep


def pose_boxes(result, x0, y0, w, h, W, H):
    """Landmark bounding boxes (frame pixels) and mean visibility for each pose in result,
    where the image given to MediaPipe was the frame region (x0, y0, w, h)."""
    out = []
    for lms in result.pose_landmarks:
        xs = np.array([l.x for l in lms]) * w + x0
        ys = np.array([l.y for l in lms]) * h + y0
        box = [float(np.clip(xs.min(), 0, W)), float(np.clip(ys.min(), 0, H)),
               float(np.clip(xs.max(), 0, W)), float(np.clip(ys.max(), 0, H))]
        out.append((box, float(np.mean([l.visibility for l in lms]))))
    return out


def mpimg(a):
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(a))


def tiles(W, H, rows, cols, overlap=0.25):
    tw = int(round(W / (cols - (cols - 1) * overlap)))
    th = int(round(H / (rows - (rows - 1) * overlap)))
    xs = [int(round(i * (W - tw) / max(cols - 1, 1))) for i in range(cols)]
    ys = [int(round(j * (H - th) / max(rows - 1, 1))) for j in range(rows)]
    return [(x, y, tw, th) for y in ys for x in xs]


class Methods:
    def __init__(self, bundle):
        opts = lambda n: vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=bundle),
                                                      running_mode=vision.RunningMode.IMAGE, num_poses=n)
        self.lm8 = vision.PoseLandmarker.create_from_options(opts(8))
        self.lm1 = vision.PoseLandmarker.create_from_options(opts(1))
        self.hogd = cv2.HOGDescriptor()
        self.hogd.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def tasks_full(self, rgb):
        H, W = rgb.shape[:2]
        return pose_boxes(self.lm8.detect(mpimg(rgb)), 0, 0, W, H, W, H)

    def tiled(self, rgb, rows, cols):
        H, W = rgb.shape[:2]
        found = []
        for x, y, w, h in tiles(W, H, rows, cols):
            found += pose_boxes(self.lm8.detect(mpimg(rgb[y:y + h, x:x + w])), x, y, w, h, W, H)
        return nms(found)

    def hog_boxes(self, rgb, scale=2.0):
        big = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        rects, weights = self.hogd.detectMultiScale(cv2.cvtColor(big, cv2.COLOR_RGB2GRAY),
                                                   winStride=(8, 8), padding=(8, 8), scale=1.05)
        items = [([x / scale, y / scale, (x + w) / scale, (y + h) / scale], float(s))
                 for (x, y, w, h), s in zip(rects, np.ravel(weights)) if s > 0.3]
        return nms(items, 0.3)

    def hog_only(self, rgb):
        return self.hog_boxes(rgb)

    def hog_lm(self, rgb):
        H, W = rgb.shape[:2]
        out = []
        for (x0, y0, x1, y1), s in self.hog_boxes(rgb):
            side = 1.25 * max(x1 - x0, y1 - y0)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            # Crop a square around the box, padding with zeros where it leaves the frame,
            # scaled up so the crop is at least 256 px (the landmark model input).
            s = max(1.0, 256.0 / side)
            M = np.float32([[s, 0, -(cx - side / 2) * s], [0, s, -(cy - side / 2) * s]])
            n = int(round(side * s))
            crop = cv2.warpAffine(rgb, M, (n, n), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            for b, v in pose_boxes(self.lm1.detect(mpimg(crop)), 0, 0, n, n, n, n):
                bb = [b[0] / s + cx - side / 2, b[1] / s + cy - side / 2, b[2] / s + cx - side / 2, b[3] / s + cy - side / 2]
                out.append(([max(0, bb[0]), max(0, bb[1]), min(W, bb[2]), min(H, bb[3])], v))
        return nms(out)


def match(labels, preds, thr=0.3):
    pairs = sorted(((iou(l["box"], p[0]), i, j) for i, l in enumerate(labels) for j, p in enumerate(preds)), reverse=True)
    used_l, used_p = set(), set()
    for v, i, j in pairs:
        if v < thr:
            break
        if i not in used_l and j not in used_p:
            used_l.add(i)
            used_p.add(j)
    return used_l, used_p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT, help="output directory: results go to OUT/results")
    ap.add_argument("--bundle", default=None, help="default OUT/bundles/pose_landmarker_full.task (make_bundle.py)")
    ap.add_argument("--frames", default=str(ROOT / "testdata" / "surveillance"),
                    help="directory with labels.json and the frames it names")
    ap.add_argument("--methods", default="tasks_full,tiles_2x2,tiles_2x3,tiles_3x4,tiles_4x5,hog,hog+lm")
    ap.add_argument("--min-height", type=int, default=80)
    a = ap.parse_args()
    labels = json.load(open(os.path.join(a.frames, "labels.json")))["frames"]
    m = Methods(a.bundle or os.path.join(a.out, "bundles", "pose_landmarker_full.task"))
    results = os.path.join(a.out, "results")
    os.makedirs(results, exist_ok=True)
    first = sorted(labels)[0]
    res = {}
    for name in a.methods.split(","):
        if name.startswith("tiles_"):
            r, c = map(int, name[6:].split("x"))
            fn = lambda img, r=r, c=c: m.tiled(img, r, c)
        else:
            fn = {"tasks_full": m.tasks_full, "hog": m.hog_only, "hog+lm": m.hog_lm}[name]
        fn(cv2.cvtColor(cv2.imread(os.path.join(a.frames, first)), cv2.COLOR_BGR2RGB))  # warm-up
        tot = big = found = found_big = false = 0
        ms = []
        per = {}
        for f, labs in sorted(labels.items()):
            bgr = cv2.imread(os.path.join(a.frames, f))
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            t0 = time.perf_counter()
            preds = fn(rgb)
            ms.append((time.perf_counter() - t0) * 1000)
            ml, mp_ = match(labs, preds)
            tot += len(labs)
            found += len(ml)
            isbig = [l["height"] >= a.min_height for l in labs]
            big += sum(isbig)
            found_big += sum(1 for i in ml if isbig[i])
            false += len(preds) - len(mp_)
            per[f] = {"labels": len(labs), "found": len(ml), "preds": [[round(v, 1) for v in p[0]] for p in preds],
                      "false": len(preds) - len(mp_)}
            if os.path.splitext(f)[0] in ("frame_0080", "frame_0720"):
                ov = bgr.copy()
                for i, l in enumerate(labs):
                    cv2.rectangle(ov, tuple(l["box"][:2]), tuple(l["box"][2:]), (0, 255, 0) if i in ml else (0, 0, 255), 1)
                for j, p in enumerate(preds):
                    b = [int(v) for v in p[0]]
                    cv2.rectangle(ov, (b[0], b[1]), (b[2], b[3]), (255, 255, 0) if j in mp_ else (255, 0, 255), 2)
                cv2.imwrite(os.path.join(results, f"overlay_{name.replace('+', '_')}_{os.path.splitext(f)[0]}.png"), ov)
        res[name] = {"recall_all": found / tot, "found_all": found, "labels_all": tot,
                     f"recall_ge{a.min_height}px": found_big / big, f"found_ge{a.min_height}px": found_big,
                     f"labels_ge{a.min_height}px": big, "false_per_frame": false / len(labels),
                     "ms_per_frame_mean": float(np.mean(ms)), "ms_per_frame_median": float(np.median(ms)),
                     "per_frame": per}
        print(f"{name:12s} recall>={a.min_height}px {found_big}/{big}={found_big / big:.2f}  all {found}/{tot}={found / tot:.2f}"
              f"  false/frame {false / len(labels):.2f}  ms/frame {np.mean(ms):.0f} (median {np.median(ms):.0f})", flush=True)
    path = os.path.join(results, "detect_eval.json")
    old = json.load(open(path)) if os.path.exists(path) else {}
    old.update(res)
    json.dump(old, open(path, "w"), indent=1)
    with open(os.path.join(results, "detect_eval.md"), "w") as f:
        h = a.min_height
        f.write(f"| method | recall >={h}px | recall all | false people/frame | ms/frame (mean) |\n|---|---|---|---|---|\n")
        for k, v in old.items():
            if f"found_ge{h}px" not in v:
                continue  # an earlier run with another --min-height
            f.write(f"| {k} | {v[f'found_ge{h}px']}/{v[f'labels_ge{h}px']} = {v[f'recall_ge{h}px']:.2f} | "
                    f"{v['found_all']}/{v['labels_all']} = {v['recall_all']:.2f} | {v['false_per_frame']:.2f} | "
                    f"{v['ms_per_frame_mean']:.0f} |\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
