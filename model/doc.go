// Package model runs MediaPipe's landmark models through TensorFlow Lite: a faithful port of
// MediaPipe's Pose pipeline (detector, ROI, rotated crop, landmark model, heatmap refinement,
// projection, One Euro smoothing) in image and video (tracking) mode, and of MediaPipe Holistic
// on top of it: both hands from the pose's wrist, pinky and index landmarks through hand_recrop
// and hand_landmark_full, and the 468-point face mesh from the pose's face landmarks through the
// short-range face detector and face_landmark (or, with refine_face_landmarks, 478 points from
// face_landmark_with_attention), each tracked from its previous frame's landmarks as MediaPipe's
// RoiTrackingCalculator decides. The three branches run at once when the process has more than
// one CPU, as MediaPipe's scheduler runs them.
//
// Image mode finds one person (legacy mp.solutions.pose), or with WithMaxPeople(n > 1) up to n,
// most confident first, in Result.People: then the pipeline follows MediaPipe Tasks'
// PoseLandmarker in IMAGE mode (the same models; its detector NMS and heatmap kernel differ from
// the legacy graph's, see people.go), one landmark-model run per person, spread over the pool's
// idle workers, and for Holistic each person's face and hands. Video mode follows one person
// (legacy, smoothed), or with WithMaxPeople(n > 1) several, following Tasks' VIDEO mode
// (people_video.go): the detector only while fewer than n people are tracked, last frame's
// landmark ROIs merged with the detections by AssociationNormRectCalculator's rule, no smoothing
// (Tasks refuses it for several people), Holistic's face and hands tracked per person from that
// person's previous landmarks, as Holistic's video mode tracks its one person's. Each person
// carries a track id (Person.ID, ours: Tasks has none), kept while the association keeps them,
// given back to a person lost within the re-identification window (WithReidWindow, 1 s of stream
// time by default) and found again where they were (ROI IoU above ReidMinIoU, or centre within
// ReidMaxCentre ROI sizes), and never reused otherwise within a Track, which holds the tracked
// people, the recently lost and the id counter (and encodes them, binary versions 2 to 5).
// Re-identification changes ids only, never ROIs or landmarks.
//
// People far from the camera, too small for the pose detector, are found with
// WithPersonDetector(SSDDetector) (person_detector.go, ours): MediaPipe Objectron's SSD person
// detector run as MediaPipe Tasks' ObjectDetector runs it, each person box a landmark ROI, a
// person found twice kept once, and in video mode people associated by their boxes rather than
// by square ROIs.
//
// The pipeline reads frames as package pixels gives them (pixels.Image: packed RGB, decoded or
// converted as OpenCV would); decoding is not this package's.
//
// Files, by stage:
//
//   - landmarker.go: Landmarker (Open, Detect, Track), the pool of workers; types.go the plain
//     values (Landmark, Rect, Detection); output.go the JSON of one image's landmarks.
//   - people.go: several people per image, MediaPipe Tasks' PoseLandmarker graph;
//     people_video.go the same in video mode: tracking, association, track ids;
//     person_detector.go the SSD person detector and its non-weighted NMS.
//   - pose.go: the pose graph, detector then landmark model; anchors.go and detections.go the
//     detector's SSD anchors, box decoding and weighted NMS; landmarks.go the landmark tensors
//     decoded, refined from the heatmap and projected to the image.
//   - roi.go: the ROI rectangles MediaPipe's rect calculators build (from points, transformed,
//     padded to a tensor); crop.go (crop_amd64.c with AVX2) the rotated crop into a tensor, as
//     ImageToTensorCalculator's warpPerspective.
//   - track.go, filter.go, track_binary.go: video mode's state (Track), the One Euro and
//     low-pass smoothing filters, Track's compact binary form.
//   - holistic.go: the Holistic worker that runs the branches on the pose; hand.go the hand
//     branch's ROIs; face_roi.go the face branch's ROIs, face_detector.go its detector,
//     detection_projection.go the detector's detections mapped back to the image,
//     face_landmarks.go face_landmark and the refinement of the attention model's outputs;
//     roi_tracking.go whether a branch keeps the ROI from its previous landmarks.
//   - tflite.go: models and interpreters over two runtimes, go-tflite (tflite_go.go) for every
//     stock model and TFLite's C API (tflite_capi.go) for face_landmark_with_attention, whose
//     MediaPipe custom ops attention_ops.c implements (attention_ops.go calls its kernels for the
//     tests); xnnpack.go the XNNPACK delegate; libm.go the C library's float functions
//     (expf, cosf, sinf, atan2f) that MediaPipe's calculators call, for their rounding.
//
// The stages are small functions over plain values, each naming the MediaPipe calculator it
// follows, so they can be unit-tested against values worked out from MediaPipe's sources.
// A Landmarker owns a pool of TFLite interpreters and is safe for concurrent use; the tracking
// state of a stream (the next frame's ROI and the filters' memory) is a plain value, Track,
// that the caller holds and may serialize, so a stream processor can keep it in a table; for
// Holistic it also holds each branch's previous landmarks.
package model
