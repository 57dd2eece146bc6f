"""The service a user would build instead of `holostream serve`: MediaPipe's Python solution
behind Gunicorn's sync workers and Flask, one model per worker, built once when the worker
starts (static_image_mode, as for independent photos).

    MODEL=pose-full gunicorn -w 2 -b 127.0.0.1:8081 app:app

POST /v1/infer takes a raw JPEG or PNG body and answers the landmarks as JSON, like holostream's
endpoint of the same name (pose: 33 points with visibility; holistic: pose, face and hands).
"""
import os

import cv2
import mediapipe as mp
import numpy as np
from flask import Flask, jsonify, request

MODEL = os.environ.get("MODEL", "pose-full")
if MODEL == "pose-full":
    solution = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
elif MODEL == "holistic":
    solution = mp.solutions.holistic.Holistic(static_image_mode=True, model_complexity=1)
else:
    raise SystemExit(f"MODEL={MODEL}: use pose-full or holistic")

app = Flask(__name__)


def points(landmarks, visibility=False):
    if landmarks is None:
        return None
    if visibility:
        return [{"x": p.x, "y": p.y, "z": p.z, "visibility": p.visibility} for p in landmarks.landmark]
    return [{"x": p.x, "y": p.y, "z": p.z} for p in landmarks.landmark]


@app.post("/v1/infer")
def infer():
    img = cv2.imdecode(np.frombuffer(request.get_data(), np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return jsonify(error="not a JPEG or PNG image"), 415
    res = solution.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    out = {"width": img.shape[1], "height": img.shape[0], "model": MODEL,
           "pose": points(res.pose_landmarks, visibility=True)}
    if MODEL == "holistic":
        out.update(face=points(res.face_landmarks), left_hand=points(res.left_hand_landmarks),
                   right_hand=points(res.right_hand_landmarks))
    return jsonify(out)


@app.get("/healthz")
def healthz():
    return "ok\n"
