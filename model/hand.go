package model

import "math"

// The hand branch of MediaPipe Holistic (mediapipe/modules/holistic_landmark/
// hand_landmarks_from_pose_cpu.pbtxt), run once per side: a ROI from three pose landmarks, refined
// by the hand_recrop model, then hand_landmark_full on that ROI or on the one tracked from the
// previous frame's hand landmarks.

// Sizes and thresholds of the holistic hand graphs.
const (
	// NumHandLandmarks is the number of landmarks MediaPipe's hand model outputs.
	NumHandLandmarks = 21

	handRecropInput   = 256 // hand_recrop_by_roi_cpu.pbtxt: ImageToTensor 256x256
	handLandmarkInput = 224 // hand_landmark_cpu.pbtxt: ImageToTensor 224x224
	// handNormalizeZ is TensorsToLandmarksCalculator's normalize_z in hand_landmark_cpu.pbtxt.
	handNormalizeZ = 0.4
	// handVisibilityThreshold gates a hand on its pose wrist's visibility (strictly above, in
	// double precision), hand_visibility_from_hand_landmarks_from_pose.pbtxt.
	handVisibilityThreshold = 0.1
	// handPresenceThreshold is hand_landmark_cpu.pbtxt's ThresholdingCalculator on the presence
	// output, which the model already squashes to a probability.
	handPresenceThreshold = 0.5
)

// The pose landmarks each hand's ROI comes from, in the order wrist, pinky, index
// (hand_landmarks_left_and_right_cpu.pbtxt). Pose names landmarks from the person's point of
// view, so the left hand is the person's left.
var (
	leftHandFromPose  = [3]int{15, 17, 19}
	rightHandFromPose = [3]int{16, 18, 20}
)

// HandROIFromPose is hand_landmarks_from_pose_to_recrop_roi.pbtxt: the rectangle
// HandDetectionsFromPoseToRectsCalculator builds from the pose's wrist, pinky and index landmarks
// (mediapipe/modules/holistic_landmark/calculators/hand_detections_from_pose_to_rects_calculator.cc),
// then RectTransformation scale 2.7, shift_y -0.1, square_long. In pixels: the middle finger is
// estimated at m = (2·index + pinky)/3, the rectangle is centred there with side 2·|m − wrist|,
// rotated so that the wrist→m vector points up, and the shift moves it towards the fingers.
func HandROIFromPose(wrist, pinky, index Point, imgW, imgH int) Rect {
	w, h := float32(imgW), float32(imgH)
	wx, wy := wrist.X*w, wrist.Y*h
	mx := (2*(index.X*w) + pinky.X*w) / 3
	my := (2*(index.Y*h) + pinky.Y*h) / 3
	dx, dy := mx-wx, my-wy
	side := float32(math.Sqrt(float64(dx*dx+dy*dy))) * 2
	angle := float32(math.Pi*0.5) - atan2f(-dy, dx)
	r := Rect{
		XCenter:  mx / w,
		YCenter:  my / h,
		Width:    side / w,
		Height:   side / h,
		Rotation: float32(NormalizeRadians(float64(angle))),
	}
	return RectTransform{ScaleX: 2.7, ScaleY: 2.7, ShiftY: -0.1, SquareLong: true}.Apply(r, imgW, imgH)
}

// HandRecropROI is the rest of hand_recrop_by_roi_cpu.pbtxt once hand_recrop has run on the
// 256x256 crop of roi: its output (x0, y0, x1, y1), in crop pixels, holds two points; projected
// through roi they are the centre k0 and a scale point k1 of an AlignmentPointsRects rectangle
// (side 2·|k1 − k0| in pixels) rotated so that k1 lies straight below k0 (target angle −90°),
// then RectTransformation scale 1, shift_y -0.1, square_long. The result is the re-crop ROI.
func HandRecropROI(out []float32, roi Rect, imgW, imgH int) Rect {
	var kps [2]Landmark
	DecodeLandmarks(out[:4], handRecropInput, handRecropInput, kps[:])
	removeCropPadding(kps[:], roi, imgW, imgH, handRecropInput)
	ProjectLandmarks(kps[:], roi)
	r := AlignmentRect(Point{kps[0].X, kps[0].Y}, Point{kps[1].X, kps[1].Y}, imgW, imgH, float64(float32(-math.Pi/2)))
	return RectTransform{ScaleX: 1, ScaleY: 1, ShiftY: -0.1, SquareLong: true}.Apply(r, imgW, imgH)
}

// handPalmSubset are the landmarks HandLandmarksToRectCalculator keeps from a full hand: the
// wrist, the thumb's three joints and the two lower joints of every other finger; no fingertips.
var handPalmSubset = [12]int{0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18}

// HandLandmarksROI is hand_landmarks_to_roi.pbtxt, the ROI the next frame tracks a hand with:
// HandLandmarksToRectCalculator (mediapipe/modules/hand_landmark/calculators/
// hand_landmarks_to_rect_calculator.cc) on the 21 landmarks lms (fewer panics), then RectTransformation scale 2,
// shift_y -0.1, square_long. The rotation turns the vector from the wrist (0) to
// ((lm5 + lm13)/2 + lm9)/2 upright; the rectangle is the bounding box of the palm subset in that
// rotated frame, in pixels.
func HandLandmarksROI(lms []Point, imgW, imgH int) Rect {
	var pts [len(handPalmSubset)]Point
	for i, k := range handPalmSubset {
		pts[i] = lms[k]
	}
	w, h := float32(imgW), float32(imgH)
	// Subset indices 0, 4, 6, 8: the wrist and the index, middle and ring finger MCP joints.
	x0, y0 := pts[0].X*w, pts[0].Y*h
	x1 := (pts[4].X + pts[8].X) / 2
	y1 := (pts[4].Y + pts[8].Y) / 2
	x1 = (x1 + pts[6].X) / 2 * w
	y1 = (y1 + pts[6].Y) / 2 * h
	rotation := float32(NormalizeRadians(float64(float32(math.Pi*0.5) - atan2f(-(y1-y0), x1-x0))))
	reverse := float32(NormalizeRadians(float64(-rotation)))

	xmin, ymin, xmax, ymax := landmarkBounds(pts[:])
	cx, cy := (xmax+xmin)/2, (ymax+ymin)/2
	// The offsets from that centre, in pixels, rotated by -rotation: their bounding box is the
	// rectangle in the hand's own frame.
	c, s := cosSin(reverse)
	for i, p := range pts {
		px, py := rotate((p.X-cx)*w, (p.Y-cy)*h, c, s)
		pts[i] = Point{px, py}
	}
	xmin, ymin, xmax, ymax = landmarkBounds(pts[:])
	pcx, pcy := (xmax+xmin)/2, (ymax+ymin)/2
	c, s = cosSin(rotation)
	ox, oy := rotate(pcx, pcy, c, s)
	r := Rect{
		XCenter:  (ox + w*cx) / w,
		YCenter:  (oy + h*cy) / h,
		Width:    (xmax - xmin) / w,
		Height:   (ymax - ymin) / h,
		Rotation: rotation,
	}
	return RectTransform{ScaleX: 2, ScaleY: 2, ShiftY: -0.1, SquareLong: true}.Apply(r, imgW, imgH)
}
