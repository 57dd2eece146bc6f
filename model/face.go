package model

import "math"

// The face branch of MediaPipe Holistic (mediapipe/modules/holistic_landmark/
// face_landmarks_from_pose_cpu.pbtxt): a ROI from the pose's face landmarks, the short-range face
// detector inside it to re-locate the face, then face_landmark on the detector's ROI or on the
// one tracked from the previous frame's face landmarks.

// Sizes and thresholds of the holistic face graphs.
const (
	// NumFaceLandmarks is the number of landmarks of face_landmark.tflite (refine_face_landmarks
	// off).
	NumFaceLandmarks = 468

	faceDetectorInput = 128 // face_detection_short_range.pbtxt: tensor 128x128
	faceDetectorBoxes = 896
	faceLandmarkInput = 192 // face_landmark_cpu.pbtxt: ImageToTensor 192x192
	// faceNMSThreshold is face_detection.pbtxt's NonMaxSuppressionCalculator (IoU, WEIGHTED).
	faceNMSThreshold = 0.3
	// facePresenceThreshold is face_landmark_cpu.pbtxt's ThresholdingCalculator on the sigmoid
	// of the face flag.
	facePresenceThreshold = 0.5
	// numFaceFromPose are the pose landmarks of the face, 0 (nose) to 10 (mouth right):
	// holistic_landmark_cpu.pbtxt splits [0, 11).
	numFaceFromPose = 11
)

// FaceDetectorAnchors returns the SsdAnchorsCalculator options of face_detection.pbtxt with the
// short-range model's values (face_detection_short_range.pbtxt): 4 layers on a 128x128 input,
// strides 8, 16, 16, 16, which make 512 + 384 = 896 fixed-size anchors.
func FaceDetectorAnchors() AnchorOptions {
	return AnchorOptions{
		NumLayers:                    4,
		MinScale:                     0.1484375,
		MaxScale:                     0.75,
		InputWidth:                   faceDetectorInput,
		InputHeight:                  faceDetectorInput,
		OffsetX:                      0.5,
		OffsetY:                      0.5,
		Strides:                      []int{8, 16, 16, 16},
		AspectRatios:                 []float32{1},
		InterpolatedScaleAspectRatio: 1,
		FixedAnchorSize:              true,
	}
}

// FaceDetectorDecode returns the TensorsToDetectionsCalculator options of face_detection.pbtxt
// with the short-range model's values: 896 boxes of 16 values (box XYWH then 6 keypoints: right
// eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion), offsets in
// 128-pixel units, scores clipped to ±100 and squashed by a sigmoid, kept at >= 0.5 (fixed in the
// graph; min_detection_confidence only reaches the pose detector).
func FaceDetectorDecode() DecodeOptions {
	return DecodeOptions{
		NumBoxes:             faceDetectorBoxes,
		NumCoords:            16,
		BoxCoordOffset:       0,
		KeypointCoordOffset:  4,
		NumKeypoints:         6,
		NumValuesPerKeypoint: 2,
		XScale:               faceDetectorInput,
		YScale:               faceDetectorInput,
		WScale:               faceDetectorInput,
		HScale:               faceDetectorInput,
		ReverseOutputOrder:   true,
		SigmoidScore:         true,
		ScoreClippingThresh:  100,
		MinScoreThresh:       0.5,
	}
}

// FaceROIFromPose is face_landmarks_from_pose_to_recrop_roi.pbtxt, the region the face detector
// searches: the bounding box of the pose's face landmarks pts (pose 0 to 10, normalized), rotated
// so that pose 5 (right eye) → pose 2 (left eye) is horizontal, then RectTransformation scale 3,
// square_long.
func FaceROIFromPose(pts []Point, imgW, imgH int) Rect {
	r := LandmarksBoxRect(pts)
	r.Rotation = pointRotation(pts[5], pts[2], imgW, imgH, 0)
	return RectTransform{ScaleX: 3, ScaleY: 3, SquareLong: true}.Apply(r, imgW, imgH)
}

// ProjectDetection maps a detection from the normalized coordinates of the crop of roi to the
// image's in place, as DetectionProjectionCalculator with the matrix of
// GetRotatedSubRectToRectTransformMatrix (mediapipe/calculators/util/detection_projection_calculator.cc,
// mediapipe/calculators/tensor/image_to_tensor_utils.cc): a point goes to
// (a·c·(x−½) − b·s·(y−½) + e)/W, (a·s·(x−½) + b·c·(y−½) + f)/H with a, b the ROI's size and e, f
// its centre in pixels; the box becomes the axis-aligned box of its four projected corners.
func ProjectDetection(d *Detection, roi Rect, imgW, imgH int) {
	w, h := float32(imgW), float32(imgH)
	a, b := roi.Width*w, roi.Height*h
	e, f := roi.XCenter*w, roi.YCenter*h
	c, s := cosSin(roi.Rotation)
	project := func(x, y float32) (float32, float32) {
		dx, dy := float32(a*(x-0.5)), float32(b*(y-0.5))
		return (float32(c*dx) - float32(s*dy) + e) / w, (float32(s*dx) + float32(c*dy) + f) / h
	}
	for i, k := range d.Keypoints {
		d.Keypoints[i].X, d.Keypoints[i].Y = project(k.X, k.Y)
	}
	xmin, ymin := float32(math.MaxFloat32), float32(math.MaxFloat32)
	xmax, ymax := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	for _, p := range [4][2]float32{{d.XMin, d.YMin}, {d.XMax, d.YMin}, {d.XMax, d.YMax}, {d.XMin, d.YMax}} {
		x, y := project(p[0], p[1])
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	d.XMin, d.YMin, d.XMax, d.YMax = xmin, ymin, xmax, ymax
}

// FaceDetectionROI is face_detection_front_detections_to_roi.pbtxt, the face's re-crop ROI from
// the first face detection (in image coordinates): the bounding box of its six keypoints, not of
// its box (USE_KEYPOINTS), rotated so that keypoint 0 (right eye) → 1 (left eye) is horizontal,
// then RectTransformation scale 2, shift_y -0.1, square_long.
func FaceDetectionROI(d Detection, imgW, imgH int) Rect {
	r := KeypointsRect(d.Keypoints)
	r.Rotation = pointRotation(d.Keypoints[0], d.Keypoints[1], imgW, imgH, 0)
	return RectTransform{ScaleX: 2, ScaleY: 2, ShiftY: -0.1, SquareLong: true}.Apply(r, imgW, imgH)
}

// FaceLandmarksROI is face_landmarks_to_roi.pbtxt, the ROI the next frame tracks a face with:
// the axis-aligned bounding box of all landmarks lms (468, or 478 with refined face landmarks:
// face_tracking.pbtxt gets whatever face_landmark_cpu.pbtxt outputs), rotated so that landmark 33 → 263 (the
// outer eye corners) is horizontal, then RectTransformation scale 1.5, square_long.
func FaceLandmarksROI(lms []Point, imgW, imgH int) Rect {
	r := LandmarksBoxRect(lms)
	r.Rotation = pointRotation(lms[33], lms[263], imgW, imgH, 0)
	return RectTransform{ScaleX: 1.5, ScaleY: 1.5, SquareLong: true}.Apply(r, imgW, imgH)
}
