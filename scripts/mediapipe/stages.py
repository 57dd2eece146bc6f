"""Check single stages of MediaPipe's pose graph against what model/ assumes, with MediaPipe's own
calculators (mediapipe 0.10.14). Run by hand, like golden.py:

  . scripts/mediapipe/venv.sh && $mp_python scripts/mediapipe/stages.py refine
  . scripts/mediapipe/venv.sh && $mp_python scripts/mediapipe/stages.py crop

refine: runs the pose graph (pose_landmark_cpu) on a photo and reads its internal streams, the
landmarks before and after RefineLandmarksFromHeatmapCalculator, then runs ImageToTensor and the
landmark model on the same ROI for the heatmap, and redoes the refinement with windows of 5 to
11 cells: the window MediaPipe runs is the one that reproduces its refined landmarks.

crop: compares ImageToTensorCalculator's tensor (as TensorsToFloats reads it) with crop_tensor
below, OpenCV's warpPerspective as ImageToTensorOpenCvConverter calls it, on random rotated
regions of the test photos and on the detector's letterbox: the count of values that differ.
"""
import argparse
import math
import os
import random
import sys

import cv2
import mediapipe as mp
import numpy as np
from google.protobuf import text_format
from mediapipe.framework import calculator_pb2
from mediapipe.framework.formats import rect_pb2
from mediapipe.python import packet_creator, packet_getter
from mediapipe.python.solution_base import SolutionBase

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODULES = os.path.join(os.path.dirname(mp.__file__), "modules")
STREAM = "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__"


def read_rgb(path):
    return cv2.cvtColor(cv2.imread(os.path.join(ROOT, path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def run_graph(config, inputs, outputs):
    """Runs a graph given as text on one packet per input stream (name -> packet) and returns the
    first packet of each output stream, through getter (name -> getter)."""
    g = mp.CalculatorGraph(graph_config=text_format.Parse(config, calculator_pb2.CalculatorGraphConfig()))
    got = {}
    for name, getter in outputs.items():
        g.observe_output_stream(name, lambda s, p, n=name, f=getter: got.setdefault(n, f(p)))
    g.start_run()
    for name, packet in inputs.items():
        g.add_packet_to_input_stream(name, packet.at(1))
    g.close()
    return got


def image_packet(img):
    return packet_creator.create_image_frame(image_format=mp.ImageFormat.SRGB, data=img)


def rect_packet(r):
    return packet_creator.create_proto(rect_pb2.NormalizedRect(
        x_center=r[0], y_center=r[1], width=r[2], height=r[3], rotation=r[4]))


def floats(p):
    return np.array(packet_getter.get_float_list(p), np.float32)


def tensor_config(size, lo, hi, border_zero, with_rect, extra=""):
    rect_in = 'input_stream: "roi"' if with_rect else ""
    rect_node = 'input_stream: "NORM_RECT:roi"' if with_rect else ""
    border = "border_mode: BORDER_ZERO" if border_zero else ""
    return f"""
input_stream: "image"
{rect_in}
output_stream: "tensor"
node {{
  calculator: "ImageToTensorCalculator"
  input_stream: "IMAGE:image"
  {rect_node}
  output_stream: "TENSORS:t"
  options {{ [mediapipe.ImageToTensorCalculatorOptions.ext] {{
    output_tensor_width: {size} output_tensor_height: {size} keep_aspect_ratio: true
    output_tensor_float_range {{ min: {lo} max: {hi} }} {border} }} }}
}}
node {{ calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:t" output_stream: "FLOATS:tensor" }}
{extra}"""


def refine(args):
    class Graph(SolutionBase):
        def __init__(self):
            super().__init__(
                binary_graph_path="mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb",
                side_inputs={"model_complexity": 1, "smooth_landmarks": False, "enable_segmentation": False,
                             "smooth_segmentation": False, "use_prev_landmarks": False},
                outputs=["pose_rect", STREAM + "raw_landmarks", STREAM + "all_landmarks"])

    img = read_rgb(args.image)
    with Graph() as g:
        r = g.process({"image": img})
    raw = np.array([[l.x, l.y] for l in getattr(r, STREAM + "raw_landmarks").landmark])
    refined = np.array([[l.x, l.y] for l in getattr(r, STREAM + "all_landmarks").landmark])
    rect = getattr(r, "pose_rect")
    roi = [rect.x_center, rect.y_center, rect.width, rect.height, rect.rotation]
    model = os.path.join(MODULES, "pose_landmark", "pose_landmark_full.tflite")
    extra = f"""
output_stream: "heatmap"
node {{ calculator: "InferenceCalculatorCpu" input_stream: "TENSORS:t" output_stream: "TENSORS:out"
  options {{ [mediapipe.InferenceCalculatorOptions.ext] {{ model_path: "{model}" delegate {{ xnnpack {{}} }} }} }} }}
node {{ calculator: "SplitTensorVectorCalculator" input_stream: "out" output_stream: "hm"
  options {{ [mediapipe.SplitVectorCalculatorOptions.ext] {{ ranges {{ begin: 3 end: 4 }} }} }} }}
node {{ calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:hm" output_stream: "FLOATS:heatmap" }}
"""
    got = run_graph(tensor_config(256, 0, 1, False, True, extra),
                    {"image": image_packet(img), "roi": rect_packet(roi)}, {"heatmap": floats})
    confidence = 1 / (1 + np.exp(-got["heatmap"].reshape(64, 64, 39).astype(np.float64)))
    print(f"{args.image}: pose_rect {np.round(roi, 4).tolist()}")
    for kernel in (5, 7, 9, 11):
        ours = refine_landmarks(raw, confidence, kernel)
        print(f"  window {kernel:2d}x{kernel:<2d}: largest difference from MediaPipe's refined landmarks "
              f"{np.abs(ours - refined).max():.1e} (of the ROI)")


def refine_landmarks(raw, confidence, kernel):
    """RefineLandmarksFromHeatmapCalculator with a kernel x kernel window, minimum confidence 0.5."""
    out = raw.copy()
    off = (kernel - 1) // 2
    for k in range(len(raw)):
        col, row = int(raw[k, 0] * 64), int(raw[k, 1] * 64)
        if not (0 <= col < 64 and 0 <= row < 64):
            continue
        r0, r1, c0, c1 = max(0, row - off), min(64, row + off + 1), max(0, col - off), min(64, col + off + 1)
        w = confidence[r0:r1, c0:c1, k]
        if w.max() < 0.5:
            continue
        rows, cols = np.mgrid[r0:r1, c0:c1]
        out[k] = [(cols * w).sum() / 64 / w.sum(), (rows * w).sum() / 64 / w.sum()]
    return out


def lu_solve(a, b):
    """OpenCV's LU decomposition with partial pivoting (hal::LU64f), solving a x = b in place;
    back substitution divides by each pivot, as the OpenCV in MediaPipe's wheel does (multiplying
    by the pivot's reciprocal misses its tensor on 3 of 300 random regions, dividing on none)."""
    n = len(a)
    for i in range(n):
        k = max(range(i, n), key=lambda j: abs(a[j][i]))  # the first of the largest, as OpenCV
        if k != i:
            a[i], a[k] = a[k], a[i]
            b[i], b[k] = b[k], b[i]
        d = -1 / a[i][i]
        for j in range(i + 1, n):
            alpha = a[j][i] * d
            for c in range(i + 1, n):
                a[j][c] += alpha * a[i][c]
            b[j] += alpha * b[i]
    for i in range(n - 1, -1, -1):
        s = b[i]
        for c in range(i + 1, n):
            s -= a[i][c] * b[c]
        b[i] = s / a[i][i]
    return b


def invert3(m):
    """cv::invert of a 3x3 matrix with DECOMP_LU: the adjugate over the determinant."""
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    r = 1.0 / det
    return [(e * i - f * h) * r, (c * h - b * i) * r, (b * f - c * e) * r,
            (f * g - d * i) * r, (a * i - c * g) * r, (c * d - a * f) * r,
            (d * h - e * g) * r, (b * g - a * h) * r, (a * e - b * d) * r]


def crop_matrix(roi, width, height, size):
    """The tensor-to-image matrix warpPerspective uses: GetRoi and PadRoi in float32, the corners
    of cv::RotatedRect::points in float32, getPerspectiveTransform's 8x8 system (with its float32
    products) solved by LU, and the result inverted."""
    f = np.float32
    xc, yc, w, h, rot = (f(v) for v in roi)
    cx, cy, rw, rh = xc * f(width), yc * f(height), w * f(width), h * f(height)
    if f(1) > rh / rw:
        rh = rw * f(1)
    else:
        rw = rh / f(1)
    angle = f(float(rot * f(180)) / math.pi)
    rad = float(angle) * math.pi / 180
    b, a = f(math.cos(rad)) * f(0.5), f(math.sin(rad)) * f(0.5)
    p0 = (cx - a * rh - b * rw, cy + b * rh - a * rw)
    p1 = (cx + a * rh - b * rw, cy - b * rh - a * rw)
    src = [p0, p1, (f(2) * cx - p0[0], f(2) * cy - p0[1]), (f(2) * cx - p1[0], f(2) * cy - p1[1])]
    n = f(size)
    dst = [(f(0), n), (f(0), f(0)), (n, f(0)), (n, n)]
    a8, b8 = [[0.0] * 8 for _ in range(8)], [0.0] * 8
    for i, ((sx, sy), (dx, dy)) in enumerate(zip(src, dst)):
        a8[i][0:3] = [float(sx), float(sy), 1.0]
        a8[i + 4][3:6] = [float(sx), float(sy), 1.0]
        a8[i][6:8] = [float(-sx * dx), float(-sy * dx)]
        a8[i + 4][6:8] = [float(-sx * dy), float(-sy * dy)]
        b8[i], b8[i + 4] = float(dx), float(dy)
    m = lu_solve(a8, b8) + [1.0]
    return invert3([m[0:3], m[3:6], m[6:9]])


def crop_tensor(img, m, size, zero_border):
    """warpPerspective with INTER_LINEAR on uint8: each tensor pixel's source in 1/32 pixels,
    computed in double per block of 64 columns as OpenCV does, rounded to nearest even; the four
    neighbours blended with integer weights."""
    xs, ys = np.zeros((size, size), np.int64), np.zeros((size, size), np.int64)
    block = min(1024 // min(16, size), size)
    for y in range(size):
        for x in range(0, size, block):
            x1 = np.arange(min(block, size - x), dtype=np.float64)
            x0 = m[0] * x + m[1] * y + m[2]
            y0 = m[3] * x + m[4] * y + m[5]
            w0 = m[6] * x + m[7] * y + m[8]
            w = w0 + m[6] * x1
            w = np.where(w != 0, 32 / np.where(w != 0, w, 1), 0)
            xs[y, x:x + len(x1)] = np.rint(np.clip((x0 + m[0] * x1) * w, -2 ** 31, 2 ** 31 - 1))
            ys[y, x:x + len(x1)] = np.rint(np.clip((y0 + m[3] * x1) * w, -2 ** 31, 2 ** 31 - 1))
    height, width = img.shape[:2]
    ix, iy, fx, fy = xs >> 5, ys >> 5, (xs & 31)[..., None], (ys & 31)[..., None]

    def pixel(x, y):
        v = img[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)].astype(np.int64)
        if zero_border:
            v *= ((x >= 0) & (x < width) & (y >= 0) & (y < height))[..., None]
        return v

    v00, v01, v10, v11 = pixel(ix, iy), pixel(ix + 1, iy), pixel(ix, iy + 1), pixel(ix + 1, iy + 1)
    top, bottom = (v00 << 5) + (v01 - v00) * fx, (v10 << 5) + (v11 - v10) * fx
    return ((top << 5) + (bottom - top) * fy + 512) >> 10


def crop(args):
    random.seed(args.seed)
    paths = ["testdata/images/astronaut.png", "testdata/images/basketball1.png", "testdata/images/messi5.jpg",
             "testdata/video/frame_001.jpg"]
    total = differing = 0
    for path in paths:
        img = read_rgb(path)
        height, width = img.shape[:2]
        cases = [("letterbox", None)]
        for _ in range(args.regions):
            side = random.uniform(0.2, 2.5) * max(width, height)
            cases.append(("region", [random.uniform(-0.2, 1.2), random.uniform(-0.2, 1.2), side / width,
                                     side / height, random.choice([0.0, random.uniform(-math.pi, math.pi)])]))
        for kind, roi in cases:
            if roi is None:  # the detector's input: the whole image, letterboxed, zero border, [-1, 1]
                got = run_graph(tensor_config(224, -1, 1, True, False), {"image": image_packet(img)},
                                {"tensor": floats})["tensor"].reshape(224, 224, 3)
                levels = np.rint((got + 1) * 127.5)
                ours = crop_tensor(img, crop_matrix([0.5, 0.5, 1, 1, 0], width, height, 224), 224, True)
            else:  # the landmark model's input: a rotated region, replicated border, [0, 1]
                got = run_graph(tensor_config(256, 0, 1, False, True),
                                {"image": image_packet(img), "roi": rect_packet(roi)},
                                {"tensor": floats})["tensor"].reshape(256, 256, 3)
                levels = np.rint(got * 255)
                ours = crop_tensor(img, crop_matrix(roi, width, height, 256), 256, False)
            n = int((levels != ours).sum())
            total += 1
            differing += n > 0
            if n:
                print(f"{path} {kind} {roi}: {n} values differ")
    print(f"{total} crops, {total - differing} equal to MediaPipe's tensor value for value")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="stage", required=True)
    r = sub.add_parser("refine")
    r.add_argument("--image", default="testdata/images/astronaut.png")
    c = sub.add_parser("crop")
    c.add_argument("--regions", type=int, default=12, help="random regions per photo")
    c.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    {"refine": refine, "crop": crop}[args.stage](args)


if __name__ == "__main__":
    sys.exit(main())
