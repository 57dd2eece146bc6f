"""Throughput of MediaPipe's own Python pipeline on the frames our Go benchmarks use.

Video mode (static_image_mode=False) unless --image-mode. Each frame is timed from the JPEG bytes
to landmarks: cv2.imdecode + BGR->RGB + process(), the same work BenchmarkTrackFrame times in Go.
One warm-up pass, then --repeat passes with a fresh solution object each (tracking starts over).
Prints one JSON line.
"""
import argparse
import glob
import json
import os
import platform
import statistics
import time

import cv2
import mediapipe as mp
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLEXITY = {"pose-lite": 0, "pose-full": 1, "pose-heavy": 2}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def solution(model, image_mode):
    if model in ("holistic", "holistic-refined"):
        return mp.solutions.holistic.Holistic(static_image_mode=image_mode, model_complexity=1,
                                              refine_face_landmarks=model == "holistic-refined")
    return mp.solutions.pose.Pose(static_image_mode=image_mode, model_complexity=COMPLEXITY[model],
                                  enable_segmentation=False)


def run_pass(model, image_mode, frames, times):
    """Runs one pass; returns the most threads the process had while the graph ran."""
    threads = 0
    with solution(model, image_mode) as s:
        for data in frames:
            t0 = time.perf_counter()
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            s.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if times is not None:
                times.append(time.perf_counter() - t0)
        threads = max(threads, len(os.listdir("/proc/self/task")))
    return threads


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="pose-lite", choices=sorted(COMPLEXITY) + ["holistic", "holistic-refined"])
    ap.add_argument("--frames", default=os.path.join(ROOT, "testdata", "video"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--image-mode", action="store_true")
    ap.add_argument("--basketball", action="store_true",
                    help="instead of --frames: basketball1.png and basketball2.png (640x480) as JPEG (quality 90), "
                         "alternated for 40 frames, as the Go benchmark's basketball case: a face and hands on every frame")
    args = ap.parse_args()
    if args.basketball:
        pair = []
        for name in ("basketball1.png", "basketball2.png"):
            ok, buf = cv2.imencode(".jpg", cv2.imread(os.path.join(ROOT, "testdata", "images", name)),
                                   [cv2.IMWRITE_JPEG_QUALITY, 90])
            pair.append(buf.tobytes())
        frames = [pair[i % 2] for i in range(40)]
    else:
        paths = sorted(glob.glob(os.path.join(args.frames, "*.jpg")))
        if not paths:
            raise SystemExit(f"no .jpg frames in {args.frames}")
        frames = [open(p, "rb").read() for p in paths]
    run_pass(args.model, args.image_mode, frames, None)
    times = []
    t0 = time.perf_counter()
    threads = 0
    for _ in range(args.repeat):
        threads = max(threads, run_pass(args.model, args.image_mode, frames, times))
    wall = time.perf_counter() - t0
    ms = sorted(t * 1000 for t in times)
    print(json.dumps({
        "impl": "mediapipe-python", "version": mp.__version__, "model": args.model,
        "mode": "image" if args.image_mode else "video", "frames": len(times),
        "fps": round(len(times) / wall, 1),
        "ms_per_frame": {"mean": round(statistics.fmean(ms), 2), "p50": round(ms[len(ms) // 2], 2),
                         "p95": round(ms[int(len(ms) * 0.95) - 1], 2)},
        "threads": threads,
        "cpus_allowed": len(os.sched_getaffinity(0)),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores",
    }))


if __name__ == "__main__":
    main()
