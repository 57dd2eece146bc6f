// Package model runs MediaPipe's landmark models through TensorFlow Lite: a faithful port of
// MediaPipe's Pose pipeline (detector, ROI, rotated crop, landmark model, heatmap refinement,
// projection, One Euro smoothing) in image and video (tracking) mode, and of MediaPipe Holistic
// on top of it (hand.go, face_*.go, holistic.go): both hands from the pose's wrist, pinky and index
// landmarks through hand_recrop and hand_landmark_full, and the 468-point face mesh from the
// pose's face landmarks through the short-range face detector and face_landmark (or, with
// refine_face_landmarks, 478 points from face_landmark_with_attention, whose MediaPipe custom
// ops attention_ops.c implements; face_landmarks.go merges its outputs), each tracked from its
// previous frame's landmarks as MediaPipe's RoiTrackingCalculator decides. The three branches
// run at once when the process has more than one CPU, as MediaPipe's scheduler runs them.
//
// The pipeline reads frames as package pixels gives them (pixels.Image: packed RGB, decoded or
// converted as OpenCV would); decoding is not this package's.
//
// The stages are small functions over plain values, each naming the MediaPipe calculator it
// follows, so they can be unit-tested against values worked out from MediaPipe's sources.
// A Landmarker owns a pool of TFLite interpreters and is safe for concurrent use; the tracking
// state of a stream (the next frame's ROI and the filters' memory) is a plain value, Track,
// that the caller holds and may serialize, so a stream processor can keep it in a table; for
// Holistic it also holds each branch's previous landmarks.
package model
