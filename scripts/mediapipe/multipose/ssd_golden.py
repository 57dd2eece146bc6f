"""Write testdata/golden/person_ssd.json: MediaPipe Tasks ObjectDetector's Person boxes from the SSD.

The model is the SSD MobileNetV2 (Open Images v4, 24 classes) of MediaPipe's legacy Objectron
solution, object_detection_ssd_mobilenetv2_oidv4_fp16.tflite (.deps/models, `make setup`). It has
no TFLite metadata and no in-model NMS: outputs raw_outputs/box_encodings [1,1917,4] (y_center,
x_center, h, w) and raw_outputs/class_predictions [1,1917,24] (logits). This script adds the
metadata that MediaPipe Tasks needs with the wheel's own writer
(object_detector.MetadataWriter.create_for_models_without_nms): input normalization mean 127.5,
std 127.5 (so [-1, 1]), the 24 labels of object_detection_oidv4_labelmap.txt, outputs LOCATION_SCORE,
the 1917 SSD anchors as a fixed-anchors schema (computed here the way SsdAnchorsCalculator does for
Objectron's options: 6 layers, scales 0.2-0.95, 300x300, offsets 0.5, strides 16..512, aspect
ratios 1, 2, 0.5, 3, 0.3333, reduced lowest layer, interpolated scale aspect ratio 1.0 by default)
and the decoding options (24 classes, 1917 boxes, 4 coords, scales y/x 10 h/w 5, exponential box
size, sigmoid scores). The weights are unchanged; the metadata'd model goes to --out (a temp
directory by default), never into the repository.

Then vision.ObjectDetector, IMAGE mode, score_threshold 0.3, category_allowlist ["Person"],
max_results -1, runs on every image.

What Tasks does with it (google-ai-edge/mediapipe at tag v0.10.14):
  preprocessing  STRETCH, no letterbox. object_detector_graph.cc uses ImagePreprocessingGraph,
                 whose ConfigureImageToTensorCalculator (tasks/cc/components/processors/
                 image_preprocessing_graph.cc) sets only the output size and the float range
                 (from mean/std: [-1, 1]) and leaves keep_aspect_ratio at its default, false. The
                 CPU ImageToTensorCalculator (calculators/tensor/image_to_tensor_converter_opencv.cc)
                 maps the corners of the whole image onto the corners of the 300x300 tensor with
                 cv::getPerspectiveTransform + cv::warpPerspective (INTER_LINEAR, BORDER_REPLICATE):
                 tensor pixel j samples the image at j*W/300, NOT at (j+0.5)*W/300-0.5 as
                 cv2.resize does. So even the stretch is not cv2.resize INTER_LINEAR.
  class / score  TensorsToDetectionsCalculator with allow_classes = {4} (the allowlist turned into
                 label indices, detection_postprocessing_graph.cc): a box's class is the argmax over
                 the ALLOWED classes only, i.e. its score is sigmoid(person logit) whatever the other
                 classes score; kept if >= score_threshold 0.3. (Objectron's graph instead ignores
                 class 0 only, takes the argmax over 1..23, then keeps the labels it wants.)
  NMS            NonMaxSuppressionCalculator, min_suppression_threshold 0.3 hard-coded in
                 object_detector_graph.cc ("TODO: expose min suppression threshold"), overlap
                 INTERSECTION_OVER_UNION, algorithm DEFAULT (greedy, not weighted), max_num_detections
                 = max_results (-1: no cap); a box is dropped when its IoU with a kept, higher
                 scoring one is > 0.3. Class-agnostic, but with the allowlist every box is Person.
  output         DetectionProjectionCalculator (identity here), then DetectionTransformation-
                 Calculator turns the relative box into PIXELS: xmin = int(xmin*W), width =
                 int(width*W) (truncation, each clamped to [0, W]), so boxes come back as integers,
                 and a box sticking out on the left/top keeps its width (its right edge moves in).
                 DetectionsDeduplicateCalculator then drops exact duplicates.

Because Tasks returns integer pixels, the golden's precision is one pixel of the image given to
Tasks: 1/768 x 1/576 for the surveillance frames. For the pre-stretched variant (below) the
300x300 image is handed to Tasks upscaled 10x by nearest neighbour (3000x3000): Tasks' corner-to-
corner warp then samples pixel 10*j, which is pixel j of the 300x300 image, so the tensor is
exactly the 300x300 image while the output is quantized to 1/3000.

Output (--golden, default testdata/golden/person_ssd.json):
  images               Tasks on the original images (its own stretch): boxes normalized by the
                       image size, xmax = (origin_x + width) / W.
  images_prestretched  Tasks on the images resized to 300x300 by cv2.resize INTER_LINEAR (RGB), so
                       the only preprocessing difference left is none: the same tensor as the numpy
                       reference below.
Each list: all Person detections, score descending, floats as Python writes them.

--numpy (on by default; --no-numpy to skip) is a plain reference decode written here: the same
input tensors (cv2.resize INTER_LINEAR, and also Tasks' corner-mapped warp for the original
images, tasks_warp), the .tflite run with ai_edge_litert, the anchors and box decoding above, then two rules:
  objectron  sigmoid(person logit) >= 0.3 AND Person is the argmax over classes 1..23, greedy NMS
             IoU > 0.4 among person boxes (what the Go port is planned to do);
  tasks      sigmoid(person logit) >= 0.3 (allowlist rule), greedy NMS IoU > 0.3 (what Tasks did).
It prints how far the golden is from each (boxes matched by IoU, max abs coordinate difference
after applying Tasks' pixel truncation, and the counts), and writes the numpy lists to
OUT/numpy_reference.json.

Run (the research venv, see README.md):
  python ssd_golden.py [--model .deps/models/object_detection_ssd_mobilenetv2_oidv4_fp16.tflite]
                       [--out DIR] [--golden testdata/golden/person_ssd.json] [--no-numpy] [IMAGE...]
"""
import argparse
import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[3]
MODELS = os.environ.get("HOLOSTREAM_MODELS") or str(ROOT / ".deps" / "models")
MODEL_NAME = "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite"
MODEL_SHA256 = "d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6"
OUT = os.path.join(tempfile.gettempdir(), "holostream-ssd-golden")

LABELS = ["???", "Bicycle", "Boot", "Laptop", "Person", "Chair", "Cattle", "Desk", "Cat",
          "Computer mouse", "Computer monitor", "Box", "Mug", "Coffee cup", "Stationary bicycle",
          "Table", "Bottle", "High heels", "Vehicle", "Footwear", "Dog", "Book", "Camera", "Car"]
PERSON = LABELS.index("Person")
SIZE = 300
SCORE_THRESHOLD = 0.3
TASKS_NMS_IOU = 0.3       # hard-coded in object_detector_graph.cc
OBJECTRON_NMS_IOU = 0.4   # the Go port's plan
UPSCALE = 10              # pre-stretched images go to Tasks nearest-upscaled by this

IMAGES = ([f"testdata/surveillance/frame_{i:04d}.jpg" for i in range(0, 800, 80)]
          + [f"testdata/images/{n}" for n in
             ("astronaut.png", "basketball1.png", "basketball2.png", "messi5.jpg", "fruits.jpg")])

# Decoding options of Objectron's TensorsToDetectionsCalculator.
X_SCALE, Y_SCALE, W_SCALE, H_SCALE = 10.0, 10.0, 5.0, 5.0


def ssd_anchors():
    """The 1917 anchors (y_center, x_center, h, w) of Objectron's SsdAnchorsCalculator options.

    Own implementation of the SSD anchor rule: per stride (each stride its own layer here), the
    scale grows linearly from min_scale to max_scale over the layers; the lowest layer has 3 boxes
    (scale 0.1 ratio 1, and the layer scale with ratios 2 and 0.5), the others one box per aspect
    ratio plus one of ratio 1 at sqrt(scale * next scale) (next scale 1.0 after the last layer);
    box h = scale / sqrt(ratio), w = scale * sqrt(ratio); centers at (x + 0.5) / ceil(300 / stride).
    """
    min_scale, max_scale = 0.2, 0.95
    strides = [16, 32, 64, 128, 256, 512]
    ratios = [1.0, 2.0, 0.5, 3.0, 0.3333]
    n = len(strides)

    def scale(i):
        return min_scale + (max_scale - min_scale) * i / (n - 1)

    out = []
    for layer, stride in enumerate(strides):
        if layer == 0:
            shapes = [(0.1, 1.0), (scale(0), 2.0), (scale(0), 0.5)]
        else:
            s = scale(layer)
            nxt = 1.0 if layer == n - 1 else scale(layer + 1)
            shapes = [(s, r) for r in ratios] + [(math.sqrt(s * nxt), 1.0)]
        fm = int(math.ceil(SIZE / stride))
        for y in range(fm):
            for x in range(fm):
                for s, r in shapes:
                    sr = math.sqrt(r)
                    out.append(((y + 0.5) / fm, (x + 0.5) / fm, s / sr, s * sr))
    a = np.array(out, dtype=np.float32)
    assert a.shape == (1917, 4), a.shape
    return a


def build_model(model_path, out_dir):
    """The model with Tasks' object detector metadata, written to out_dir; returns its path."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_info
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    from mediapipe.tasks.python.metadata.metadata_writers import object_detector as od
    anchors = [od.FixedAnchor(x_center=float(a[1]), y_center=float(a[0]), width=float(a[3]),
                              height=float(a[2])) for a in ssd_anchors()]
    decoding = od.TensorsDecodingOptions(
        num_classes=len(LABELS), num_boxes=1917, num_coords=4, keypoint_coord_offset=0,
        num_keypoints=0, num_values_per_keypoint=2, x_scale=X_SCALE, y_scale=Y_SCALE,
        w_scale=W_SCALE, h_scale=H_SCALE, apply_exponential_on_box_size=True, sigmoid_score=True)
    w = od.MetadataWriter.create_for_models_without_nms(
        bytearray(open(model_path, "rb").read()), [127.5], [127.5],
        metadata_writer.Labels().add(LABELS),
        od.SsdAnchorsOptions(fixed_anchors_schema=od.FixedAnchorsSchema(anchors=anchors)),
        decoding, metadata_info.RawDetectionOutputTensorsOrder.LOCATION_SCORE)
    buf, _ = w.populate()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, MODEL_NAME.replace(".tflite", ".metadata.tflite"))
    with open(path, "wb") as f:
        f.write(buf)
    return path


def read_rgb(path):
    # BGR -> RGB, 3 channels even for the grayscale PNGs (see golden.py).
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def prestretch(rgb):
    return cv2.resize(rgb, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)


def tasks_warp(rgb):
    """The 300x300 RGB image Tasks' CPU ImageToTensorCalculator makes: corners onto corners.

    Tensor pixel j samples the image at j*W/300 (and i*H/300), bilinear with OpenCV's classic
    fixed point: the source position rounded to 1/32 pixel, weights (32-f)*(32-g)*32 etc. out of
    2^15, result rounded, (sum + 2^14) >> 15, neighbours past the edge replicated. The OpenCV of
    the mediapipe wheel does exactly this; the cv2 of the venv (5.x, a newer warp implementation)
    differs by up to 4 grey levels, enough to move scores by 3e-3, so it is written out here.
    """
    h, w = rgb.shape[:2]

    def axis(size):
        q = np.rint(np.arange(SIZE) * (size / SIZE) * 32).astype(np.int64)
        i0, f = q >> 5, q & 31
        return np.minimum(i0, size - 1), np.minimum(i0 + 1, size - 1), f

    y0, y1, fy = axis(h)
    x0, x1, fx = axis(w)
    p = rgb.astype(np.int64)
    wy0, wy1 = (32 - fy)[:, None, None], fy[:, None, None]
    wx0, wx1 = (32 - fx)[None, :, None], fx[None, :, None]
    acc = 32 * (p[y0][:, x0] * wy0 * wx0 + p[y0][:, x1] * wy0 * wx1
                + p[y1][:, x0] * wy1 * wx0 + p[y1][:, x1] * wy1 * wx1)
    return np.clip((acc + (1 << 14)) >> 15, 0, 255).astype(np.uint8)


def run_tasks(model_path, rgb_images):
    """Tasks ObjectDetector on each RGB image: lists of (xmin, ymin, xmax, ymax, score) normalized."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision
    det = vision.ObjectDetector.create_from_options(vision.ObjectDetectorOptions(
        base_options=BaseOptions(model_asset_path=model_path),
        running_mode=vision.RunningMode.IMAGE, score_threshold=SCORE_THRESHOLD,
        category_allowlist=["Person"], max_results=-1))
    out = []
    for rgb in rgb_images:
        h, w = rgb.shape[:2]
        res = det.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)))
        boxes = []
        for d in res.detections:
            assert d.categories[0].category_name == "Person", d.categories
            b = d.bounding_box
            boxes.append({"xmin": b.origin_x / w, "ymin": b.origin_y / h,
                          "xmax": (b.origin_x + b.width) / w, "ymax": (b.origin_y + b.height) / h,
                          "score": float(d.categories[0].score)})
        out.append(sorted(boxes, key=lambda b: -b["score"]))
    det.close()
    return out


class Reference:
    """Plain numpy decode of the SSD (ai_edge_litert for the model itself)."""

    def __init__(self, model_path):
        from ai_edge_litert.interpreter import Interpreter
        self.it = Interpreter(model_path=model_path, num_threads=1)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        outs = {d["name"]: d["index"] for d in self.it.get_output_details()}
        self.box_idx = outs["raw_outputs/box_encodings"]
        self.cls_idx = outs["raw_outputs/class_predictions"]
        self.anchors = ssd_anchors().astype(np.float64)

    def raw(self, rgb300):
        x = rgb300.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
        self.it.set_tensor(self.inp, x[None])
        self.it.invoke()
        return (self.it.get_tensor(self.box_idx)[0].astype(np.float64),
                self.it.get_tensor(self.cls_idx)[0].astype(np.float64))

    def decode(self, rgb300, rule):
        enc, logits = self.raw(rgb300)
        a = self.anchors
        yc = enc[:, 0] / Y_SCALE * a[:, 2] + a[:, 0]
        xc = enc[:, 1] / X_SCALE * a[:, 3] + a[:, 1]
        h = np.exp(enc[:, 2] / H_SCALE) * a[:, 2]
        w = np.exp(enc[:, 3] / W_SCALE) * a[:, 3]
        boxes = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1)
        score = 1.0 / (1.0 + np.exp(-logits[:, PERSON]))
        keep = score >= SCORE_THRESHOLD
        if rule == "objectron":
            keep &= np.argmax(logits[:, 1:], axis=1) + 1 == PERSON
            iou_max = OBJECTRON_NMS_IOU
        else:
            iou_max = TASKS_NMS_IOU
        idx = np.nonzero(keep)[0]
        idx = idx[np.argsort(-score[idx], kind="stable")]
        kept = []
        for i in idx:
            if all(iou(boxes[i], boxes[k]) <= iou_max for k in kept):
                kept.append(i)
        return [{"xmin": float(boxes[i, 0]), "ymin": float(boxes[i, 1]), "xmax": float(boxes[i, 2]),
                 "ymax": float(boxes[i, 3]), "score": float(score[i])} for i in kept]


def iou(a, b):
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def as_tasks_pixels(b, w, h):
    """A normalized float box as Tasks would report it for a w x h image (truncate, clamp)."""
    def bound(v, hi):
        return max(0, min(int(v), hi))
    x0, y0 = bound(b["xmin"] * w, w), bound(b["ymin"] * h, h)
    bw, bh = bound((b["xmax"] - b["xmin"]) * w, w), bound((b["ymax"] - b["ymin"]) * h, h)
    return dict(b, xmin=x0 / w, ymin=y0 / h, xmax=(x0 + bw) / w, ymax=(y0 + bh) / h)


def compare(golden, ref, w, h):
    """(matched, only in golden, only in ref, max abs box diff after quantizing ref, max raw, max score diff)."""
    q = [as_tasks_pixels(b, w, h) for b in ref]
    used, dq, dr, ds, m = set(), 0.0, 0.0, 0.0, 0
    keys = ("xmin", "ymin", "xmax", "ymax")
    for g in golden:
        best, bi = 0.5, None
        for j, r in enumerate(q):
            if j in used:
                continue
            v = iou([g[k] for k in keys], [r[k] for k in keys])
            if v > best:
                best, bi = v, j
        if bi is None:
            continue
        used.add(bi)
        m += 1
        dq = max(dq, max(abs(g[k] - q[bi][k]) for k in keys))
        dr = max(dr, max(abs(g[k] - ref[bi][k]) for k in keys))
        ds = max(ds, abs(g["score"] - ref[bi]["score"]))
    return m, len(golden) - m, len(ref) - m, dq, dr, ds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(MODELS, MODEL_NAME))
    ap.add_argument("--out", default=OUT, help="where the metadata'd model and numpy lists go")
    ap.add_argument("--golden", default=str(ROOT / "testdata" / "golden" / "person_ssd.json"))
    ap.add_argument("--no-numpy", dest="numpy", action="store_false")
    ap.add_argument("images", nargs="*", default=IMAGES, help="paths relative to the repository")
    a = ap.parse_args()

    import mediapipe as mp
    sha = hashlib.sha256(open(a.model, "rb").read()).hexdigest()
    if sha != MODEL_SHA256:
        raise SystemExit(f"{a.model}: sha256 {sha}, want {MODEL_SHA256}")
    model = build_model(a.model, a.out)
    print("metadata'd model:", model)

    rgbs = [read_rgb(ROOT / p) for p in a.images]
    pre = [prestretch(r) for r in rgbs]
    tasks_orig = run_tasks(model, rgbs)
    up = [cv2.resize(p, (SIZE * UPSCALE, SIZE * UPSCALE), interpolation=cv2.INTER_NEAREST) for p in pre]
    tasks_pre = run_tasks(model, up)

    golden = {
        "source": (f"scripts/mediapipe/multipose/ssd_golden.py: MediaPipe Tasks ObjectDetector "
                   f"(mediapipe {mp.__version__}), {MODEL_NAME} with metadata added by the wheel's "
                   f"writer, IMAGE mode, score_threshold 0.3, category_allowlist [Person], "
                   f"max_results -1; boxes = Tasks' integer pixels / image size"),
        "model_sha256": sha,
        "score_threshold": SCORE_THRESHOLD,
        "nms_iou": TASKS_NMS_IOU,
        "nms": "greedy (NonMaxSuppressionCalculator DEFAULT), IoU > nms_iou suppresses, class-agnostic, no cap",
        "class_rule": "allowlist: score = sigmoid(Person logit), whatever the other classes score",
        "preprocess": "stretch",
        "preprocess_detail": ("images: Tasks' own stretch (warpPerspective corners onto corners, "
                              "INTER_LINEAR in OpenCV's 1/32-pixel fixed point: tensor pixel j "
                              "samples j*W/300, not cv2.resize's (j+0.5)*W/300-0.5); images_prestretched: cv2.resize INTER_LINEAR to 300x300 "
                              f"first, given to Tasks upscaled {UPSCALE}x nearest (same tensor, "
                              f"1/{SIZE * UPSCALE} box precision)"),
        "images": dict(zip(a.images, tasks_orig)),
        "images_prestretched": dict(zip(a.images, tasks_pre)),
    }
    os.makedirs(os.path.dirname(a.golden), exist_ok=True)
    with open(a.golden, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print("wrote", a.golden, "-", sum(map(len, tasks_orig)), "people (originals),",
          sum(map(len, tasks_pre)), "(pre-stretched)")
    if a.numpy:
        numpy_report(a, model, rgbs, pre, tasks_orig, tasks_pre)


def numpy_report(a, model, rgbs, pre, tasks_orig, tasks_pre):
    ref = Reference(a.model)
    lists = {}
    cases = [
        # (name, golden lists, input per image, rule, image size Tasks saw)
        ("prestretched vs numpy[tasks rule, cv2.resize]", tasks_pre, pre, "tasks", lambda r: (3000, 3000)),
        ("prestretched vs numpy[objectron rule, cv2.resize]", tasks_pre, pre, "objectron", lambda r: (3000, 3000)),
        ("originals vs numpy[tasks rule, Tasks' warp]", tasks_orig, [tasks_warp(r) for r in rgbs], "tasks",
         lambda r: (r.shape[1], r.shape[0])),
        ("originals vs numpy[tasks rule, cv2.resize]", tasks_orig, pre, "tasks", lambda r: (r.shape[1], r.shape[0])),
        ("originals vs numpy[objectron rule, cv2.resize]", tasks_orig, pre, "objectron",
         lambda r: (r.shape[1], r.shape[0])),
    ]
    for name, gl, inputs, rule, size in cases:
        tot = [0, 0, 0]
        dq = dr = ds = 0.0
        per = {}
        for path, rgb, g, x in zip(a.images, rgbs, gl, inputs):
            r = ref.decode(x, rule)
            per[path] = r
            m, og, orf, q, raw, s = compare(g, r, *size(rgb))
            tot = [tot[0] + m, tot[1] + og, tot[2] + orf]
            dq, dr, ds = max(dq, q), max(dr, raw), max(ds, s)
            if og or orf:
                print(f"  {name}: {path}: golden {len(g)}, numpy {len(r)}, matched {m}")
        lists[name] = per
        print(f"{name}: matched {tot[0]}, only golden {tot[1]}, only numpy {tot[2]}; max |box diff| "
              f"{dq:.3g} (numpy truncated to Tasks' pixels), {dr:.3g} (raw); max |score diff| {ds:.3g}")
    path = os.path.join(a.out, "numpy_reference.json")
    with open(path, "w") as f:
        json.dump(lists, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    main()
