"""Compare MediaPipe Tasks PoseLandmarker (bundle from make_bundle.py) with legacy mp.solutions.pose.

Parts (results go to OUT/results/tasks_vs_legacy.json, merged with an earlier run's parts, and a
summary on stdout; OUT is --out, default $TMPDIR/holostream-multipose):
  image   IMAGE mode, num_poses=1, each bundle (lite/full/heavy) vs legacy static_image_mode=True
          with model_complexity 0/1/2, on testdata/images: per image, distance between the 33
          normalized landmarks (x,y in [0,1] image units, Euclidean), |dz|, |dvisibility|, and
          world landmarks (metres).
  multi   IMAGE mode num_poses=4 on the same images and on the multi-person frames of
          testdata/surveillance: how many poses, and whether pose 0 equals the num_poses=1 result.
  video   VIDEO mode num_poses=1 vs legacy static_image_mode=False (smooth_landmarks=True),
          model_complexity=1, over testdata/video (40 frames, one person); and VIDEO mode
          num_poses=4 over a 40-frame vtest crop with 3-4 people (count of poses per frame; needs
          vtest.avi, --vtest, from Debian's opencv-doc, and ffmpeg; skipped when it is missing).

Images are read with OpenCV and converted BGR->RGB and passed as SRGB (mp.Image.create_from_file
would give GRAY8 for the grayscale basketball PNGs, and the Tasks graph then finds nobody).

Run:  python tasks_vs_legacy.py [--out DIR] [--bundles OUT/bundles] [--parts image,multi,video]
"""
import argparse
import glob
import json
import os
import subprocess
import tempfile
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

ROOT = Path(__file__).resolve().parents[3]
OUT = os.path.join(tempfile.gettempdir(), "holostream-multipose")
VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
MODELS = {"lite": 0, "full": 1, "heavy": 2}


def rgb(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def landmarker(bundle, mode, num_poses):
    return vision.PoseLandmarker.create_from_options(vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=bundle), running_mode=mode, num_poses=num_poses))


def arr(lms, world=False):
    if world:
        return np.array([[l.x, l.y, l.z, l.visibility] for l in lms])
    return np.array([[l.x, l.y, l.z, l.visibility, l.presence] for l in lms])


def diff(a, b, aw=None, bw=None):
    d = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])
    r = {"xy_mean": float(d.mean()), "xy_max": float(d.max()),
         "z_max": float(np.abs(a[:, 2] - b[:, 2]).max()),
         "vis_max": float(np.abs(a[:, 3] - b[:, 3]).max())}
    if aw is not None:
        r["world_max_m"] = float(np.linalg.norm(aw[:, :3] - bw[:, :3], axis=1).max())
    return r


def legacy_arrays(res):
    if res.pose_landmarks is None:
        return None, None
    return arr(res.pose_landmarks.landmark), arr(res.pose_world_landmarks.landmark, True)


def part_image(images, bundles):
    out = {}
    for variant, cx in MODELS.items():
        lm = landmarker(bundles[variant], vision.RunningMode.IMAGE, 1)
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=cx) as legacy:
            for p in images:
                img = rgb(p)
                t = lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=img))
                la, lw = legacy_arrays(legacy.process(img))
                key = f"{os.path.basename(p)}:{variant}"
                if la is None or not t.pose_landmarks:
                    out[key] = {"tasks_poses": len(t.pose_landmarks), "legacy_pose": la is not None}
                else:
                    out[key] = diff(arr(t.pose_landmarks[0]), la, arr(t.pose_world_landmarks[0], True), lw)
                    out[key]["px_max"] = out[key]["xy_max"] * max(img.shape[:2])
                print("image", key, out[key])
        lm.close()
    return out


def part_multi(images, bundles):
    out = {}
    lm1 = landmarker(bundles["full"], vision.RunningMode.IMAGE, 1)
    lm4 = landmarker(bundles["full"], vision.RunningMode.IMAGE, 4)
    for p in images:
        img = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb(p))
        r1, r4 = lm1.detect(img), lm4.detect(img)
        o = {"poses_1": len(r1.pose_landmarks), "poses_4": len(r4.pose_landmarks)}
        if r1.pose_landmarks and r4.pose_landmarks:
            a1 = arr(r1.pose_landmarks[0])
            o["pose0_equal"] = bool(np.array_equal(a1, arr(r4.pose_landmarks[0])))
            o["pose0_xy_max"] = min(diff(a1, arr(q))["xy_max"] for q in r4.pose_landmarks)
        o["boxes_4"] = [[round(float(v), 3) for v in (a[:, 0].min(), a[:, 1].min(), a[:, 0].max(), a[:, 1].max())]
                        for a in (arr(q) for q in r4.pose_landmarks)]
        out[os.path.basename(p)] = o
        print("multi", os.path.basename(p), o)
    return out


def vtest_crop_frames(vtest, start, n, crop, scale):
    """Frames start..start+n-1 of vtest.avi, cropped (x, y, w, h) and scaled, as RGB arrays."""
    x, y, w, h = crop
    cmd = ["ffmpeg", "-v", "error", "-i", vtest, "-vf",
           f"select='between(n\\,{start}\\,{start + n - 1})',crop={w}:{h}:{x}:{y},scale={w * scale}:{h * scale}:flags=bicubic",
           "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return list(np.frombuffer(raw, np.uint8).reshape(-1, h * scale, w * scale, 3))


def part_video(repo, bundles, vtest, results):
    out = {}
    frames = [rgb(p) for p in sorted(glob.glob(os.path.join(repo, "testdata/video/*.jpg")))]
    lm = landmarker(bundles["full"], vision.RunningMode.VIDEO, 1)
    per = []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True) as legacy:
        for i, f in enumerate(frames):
            t = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=f), i * 100)
            la, lw = legacy_arrays(legacy.process(f))
            if la is None or not t.pose_landmarks:
                per.append({"frame": i, "tasks": len(t.pose_landmarks), "legacy": la is not None})
            else:
                per.append(dict(frame=i, **diff(arr(t.pose_landmarks[0]), la, arr(t.pose_world_landmarks[0], True), lw)))
    lm.close()
    both = [p for p in per if "xy_mean" in p]
    out["single_person_video_full"] = {
        "frames": len(frames), "both_found": len(both),
        "xy_mean": float(np.mean([p["xy_mean"] for p in both])) if both else None,
        "xy_max": float(np.max([p["xy_max"] for p in both])) if both else None,
        "mismatch_frames": [p for p in per if "xy_mean" not in p], "per_frame": per}
    print("video single", {k: v for k, v in out["single_person_video_full"].items() if k != "per_frame"})
    if not os.path.exists(vtest):
        print("video vtest crop: skipped,", vtest, "is missing (apt-get install opencv-doc)")
        return out
    # Several people: vtest frames 700-739, crop x=400..720, y=120..360, scaled 2x (640x480).
    frames = vtest_crop_frames(vtest, 700, 40, (400, 120, 320, 240), 2)
    for n in (1, 4):
        lm = landmarker(bundles["full"], vision.RunningMode.VIDEO, n)
        counts = [len(lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(f)), i * 100).pose_landmarks)
                  for i, f in enumerate(frames)]
        lm.close()
        out[f"vtest_crop_video_num_poses_{n}"] = counts
        print(f"video vtest crop num_poses={n}:", counts)
    # The same frames one by one in IMAGE mode, for comparison.
    lm = landmarker(bundles["full"], vision.RunningMode.IMAGE, 4)
    counts = [len(lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(f))).pose_landmarks) for f in frames]
    lm.close()
    out["vtest_crop_image_num_poses_4"] = counts
    print("image vtest crop num_poses=4:", counts)
    cv2.imwrite(os.path.join(results, "vtest_crop_720.png"), cv2.cvtColor(frames[20], cv2.COLOR_RGB2BGR))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=str(ROOT), help="holostream checkout (testdata/images, video, surveillance)")
    ap.add_argument("--out", default=OUT, help="output directory: results go to OUT/results")
    ap.add_argument("--bundles", default=None, help="default OUT/bundles (make_bundle.py)")
    ap.add_argument("--vtest", default=VTEST, help="OpenCV's vtest.avi, for the video part's crop")
    ap.add_argument("--parts", default="image,multi,video")
    a = ap.parse_args()
    results = os.path.join(a.out, "results")
    os.makedirs(results, exist_ok=True)
    a.bundles = a.bundles or os.path.join(a.out, "bundles")
    bundles = {v: os.path.join(a.bundles, f"pose_landmarker_{v}.task") for v in MODELS}
    images = sorted(glob.glob(os.path.join(a.repo, "testdata/images/*.png")) + glob.glob(os.path.join(a.repo, "testdata/images/*.jpg")))
    res = {}
    parts = a.parts.split(",")
    if "image" in parts:
        res["image"] = part_image(images, bundles)
    if "multi" in parts:
        res["multi"] = part_multi(images + sorted(glob.glob(os.path.join(a.repo, "testdata/surveillance/frame_*.jpg"))), bundles)
    if "video" in parts:
        res["video"] = part_video(a.repo, bundles, a.vtest, results)
    path = os.path.join(results, "tasks_vs_legacy.json")
    old = json.load(open(path)) if os.path.exists(path) else {}
    old.update(res)
    json.dump(old, open(path, "w"), indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
