"""Build MediaPipe Tasks PoseLandmarker bundles (.task) from the legacy "solution" .tflite models.

mediapipe.tasks.vision.PoseLandmarker needs a model asset bundle: a zip (stored, 4-byte aligned)
holding `pose_detector.tflite` and `pose_landmarks_detector.tflite`
(mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarker_graph.cc:78-80). The legacy models
that mp.solutions.pose uses (and holostream's .deps/models) carry no TFLite metadata, and the
Tasks preprocessing refuses a float32 image input without NormalizationOptions metadata
(mediapipe/tasks/cc/vision/utils/image_tensor_specs.cc:200-206). So this script writes that
metadata with the mediapipe wheel's own metadata writer, using the normalization that the legacy
graphs hard-code:

  pose_detector            input [1,224,224,3] float, [-1, 1]  -> mean 127.5, std 127.5
                           (modules/pose_detection/pose_detection_cpu.pbtxt output_tensor_float_range)
  pose_landmarks_detector  input [1,256,256,3] float, [0, 1]   -> mean 0, std 255
                           (modules/pose_landmark/pose_landmark_by_roi_cpu.pbtxt)

The model weights are not changed: only a metadata buffer is appended.

Outputs (in OUT/bundles; OUT is --out, default $TMPDIR/holostream-multipose):
  pose_landmarker_{lite,full,heavy}.task    metadata added (the usable bundles)
  pose_landmarker_full.nometa.task          raw files, no metadata (to show the error)

--check then opens every bundle written with PoseLandmarker (num_poses=4) and runs it on
testdata/images/messi5.jpg: the .nometa bundle is refused, the others find the person.

Models come from --models, default $HOLOSTREAM_MODELS, else .deps/models in the repository
(`make setup`).

Run:  python make_bundle.py [--models DIR] [--detector PATH] [--out DIR] [--check]
"""
import argparse
import os
import tempfile
from pathlib import Path

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

ROOT = Path(__file__).resolve().parents[3]
MODELS = os.environ.get("HOLOSTREAM_MODELS") or str(ROOT / ".deps" / "models")
OUT = os.path.join(tempfile.gettempdir(), "holostream-multipose")


def with_image_metadata(model: bytes, name: str, mean: float, std: float, n_out: int) -> bytes:
    w = metadata_writer.MetadataWriter.create(bytearray(model))
    w.add_general_info(name, "legacy MediaPipe solution model, metadata added by make_bundle.py")
    w.add_image_input(norm_mean=[mean], norm_std=[std])
    for i in range(n_out):
        w.add_feature_output(name=f"output_{i}")
    out, _ = w.populate()
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--detector", default=None,
                    help="pose detector .tflite (default: MODELS/pose_detection.tflite)")
    ap.add_argument("--out", default=OUT, help="output directory; bundles go to OUT/bundles")
    ap.add_argument("--suffix", default="", help="added to the bundle names, e.g. .wheeldet")
    ap.add_argument("--check", action="store_true", help="open each bundle and run it on messi5.jpg")
    a = ap.parse_args()
    out_dir = os.path.join(a.out, "bundles")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    det_path = a.detector or os.path.join(a.models, "pose_detection.tflite")
    det_raw = open(det_path, "rb").read()
    det = with_image_metadata(det_raw, "pose_detector", 127.5, 127.5, 2)
    for variant in ("lite", "full", "heavy"):
        lm_raw = open(os.path.join(a.models, f"pose_landmark_{variant}.tflite"), "rb").read()
        lm = with_image_metadata(lm_raw, "pose_landmarks_detector", 0.0, 255.0, 5)
        path = os.path.join(out_dir, f"pose_landmarker_{variant}{a.suffix}.task")
        model_asset_bundle_utils.create_model_asset_bundle(
            {"pose_detector.tflite": det, "pose_landmarks_detector.tflite": lm}, path)
        print("wrote", path, os.path.getsize(path))
        written.append(path)
        if variant == "full":
            path = os.path.join(out_dir, f"pose_landmarker_full{a.suffix}.nometa.task")
            model_asset_bundle_utils.create_model_asset_bundle(
                {"pose_detector.tflite": det_raw, "pose_landmarks_detector.tflite": lm_raw}, path)
            print("wrote", path, os.path.getsize(path))
            written.append(path)
    if a.check:
        check(written, str(ROOT / "testdata" / "images" / "messi5.jpg"))


def check(bundles, image):
    """Each bundle: PoseLandmarker with num_poses=4 on image; prints the poses found or the error."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision
    img = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(cv2.imread(image), cv2.COLOR_BGR2RGB))
    for b in bundles:
        try:
            lm = vision.PoseLandmarker.create_from_options(vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=b), num_poses=4))
            print(os.path.basename(b), "OK, poses:", len(lm.detect(img).pose_landmarks), flush=True)
            lm.close()
        except Exception as e:  # the metadata-less bundle: RuntimeError from the graph
            print(os.path.basename(b), "ERROR:", type(e).__name__, str(e)[:600], flush=True)


if __name__ == "__main__":
    main()
