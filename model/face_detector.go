package model

// The face detector of MediaPipe Holistic's face branch: face_detection_short_range.tflite, an SSD
// run on a 128x128 crop of the ROI from the pose (face_roi.go), configured as
// mediapipe/modules/face_detection/face_detection.pbtxt with the values of
// face_detection_short_range.pbtxt. Its first detection, projected to the image
// (detection_projection.go), re-locates the face.

// Sizes and thresholds of the face detection graphs.
const (
	faceDetectorInput = 128 // face_detection_short_range.pbtxt: tensor 128x128
	faceDetectorBoxes = 896
	// faceNMSThreshold is face_detection.pbtxt's NonMaxSuppressionCalculator (IoU, WEIGHTED).
	faceNMSThreshold = 0.3
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
