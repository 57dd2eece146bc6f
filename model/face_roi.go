package model

// The face branch of MediaPipe Holistic (mediapipe/modules/holistic_landmark/
// face_landmarks_from_pose_cpu.pbtxt): a ROI from the pose's face landmarks, the short-range face
// detector inside it to re-locate the face (face_detector.go, its detections projected back to the
// image by detection_projection.go), then face_landmark (face_landmarks.go) on the ROI from the
// detection or on the one tracked from the previous frame's face landmarks (roi_tracking.go).
// holistic.go's faceBranch runs these stages; this file builds the branch's three ROIs.

// numFaceFromPose are the pose landmarks of the face, 0 (nose) to 10 (mouth right):
// holistic_landmark_cpu.pbtxt splits [0, 11).
const numFaceFromPose = 11

// FaceROIFromPose is face_landmarks_from_pose_to_recrop_roi.pbtxt, the region the face detector
// searches: the bounding box of the pose's face landmarks pts (pose 0 to 10, normalized), rotated
// so that pose 5 (right eye) → pose 2 (left eye) is horizontal, then RectTransformation scale 3,
// square_long.
func FaceROIFromPose(pts []Point, imgW, imgH int) Rect {
	r := LandmarksBoxRect(pts)
	r.Rotation = pointRotation(pts[5], pts[2], imgW, imgH, 0)
	return RectTransform{ScaleX: 3, ScaleY: 3, SquareLong: true}.Apply(r, imgW, imgH)
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
