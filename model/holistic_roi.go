package model

import "math"

// Geometry shared by the face and hand branches of MediaPipe Holistic
// (mediapipe/modules/holistic_landmark/). Points are normalized to the image; angles, distances
// and tracking tests are worked out in pixels, as MediaPipe's calculators do.

// floatMin is C++'s std::numeric_limits<float>::min(), the smallest positive normal float32,
// which LandmarksToDetectionCalculator and HandLandmarksToRectCalculator start their running
// maximum from (so a maximum over all-negative values comes out as this tiny positive value).
const floatMin = 0x1p-126

// pointRotation is DetectionsToRectsCalculator::ComputeRotation
// (mediapipe/calculators/util/detections_to_rects_calculator.cc) on two normalized points of an
// imgW x imgH image: the angle that turns the vector p0→p1, in pixels, to targetAngle (radians,
// counter-clockwise from +x with y up), wrapped to [-π, π).
func pointRotation(p0, p1 Point, imgW, imgH int, targetAngle float32) float32 {
	w, h := float32(imgW), float32(imgH)
	x0, y0 := p0.X*w, p0.Y*h
	x1, y1 := p1.X*w, p1.Y*h
	angle := targetAngle - atan2f(-(y1-y0), x1-x0)
	return float32(NormalizeRadians(float64(angle)))
}

// LandmarksBoxRect is LandmarksToDetectionCalculator followed by DetectionsToRectsCalculator in
// its DEFAULT conversion mode (mediapipe/calculators/util/landmarks_to_detection_calculator.cc,
// detections_to_rects_calculator.cc: RectFromBox): the axis-aligned bounding box of the points,
// normalized, unrotated. Like MediaPipe, the running maximum starts at the smallest positive
// float, so if every x (or every y) is negative that maximum is wrong in the same way.
func LandmarksBoxRect(pts []Point) Rect {
	xmin, ymin, xmax, ymax := landmarkBounds(pts)
	w, h := xmax-xmin, ymax-ymin
	return Rect{XCenter: xmin + w/2, YCenter: ymin + h/2, Width: w, Height: h}
}

// landmarkBounds is the bounding box of pts with MediaPipe's landmark-box initialization: the
// minimum starts at the largest float, the maximum at floatMin.
func landmarkBounds(pts []Point) (xmin, ymin, xmax, ymax float32) {
	xmin, ymin = math.MaxFloat32, math.MaxFloat32
	xmax, ymax = floatMin, floatMin
	for _, p := range pts {
		xmin, xmax = min(xmin, p.X), max(xmax, p.X)
		ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
	}
	return xmin, ymin, xmax, ymax
}

// KeypointsRect is DetectionsToRectsCalculator's USE_KEYPOINTS conversion
// (detections_to_rects_calculator.cc: NormRectFromKeyPoints): the axis-aligned bounding box of a
// detection's keypoints rather than its box, normalized, unrotated.
func KeypointsRect(kps []Point) Rect {
	xmin, ymin := float32(math.MaxFloat32), float32(math.MaxFloat32)
	xmax, ymax := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	for _, p := range kps {
		xmin, xmax = min(xmin, p.X), max(xmax, p.X)
		ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
	}
	return Rect{XCenter: (xmin + xmax) / 2, YCenter: (ymin + ymax) / 2, Width: xmax - xmin, Height: ymax - ymin}
}

// RoiTracking is RoiTrackingCalculatorOptions with rect and landmarks requirements and no IoU
// requirement, the configuration both holistic branches use
// (mediapipe/modules/holistic_landmark/calculators/roi_tracking_calculator.proto).
type RoiTracking struct {
	RotationDegrees float32 // largest allowed rotation change
	// Translation and Scale bound the change of centre and of size, as fractions of the re-crop
	// rectangle's width and height.
	Translation, Scale float32
	// RecropMargin grows (or, negative, shrinks) the re-crop rectangle before checking that every
	// previous landmark lies inside it.
	RecropMargin float32
}

// HandRoiTracking is the RoiTrackingCalculator of hand_tracking.pbtxt.
func HandRoiTracking() RoiTracking {
	return RoiTracking{RotationDegrees: 40, Translation: 0.2, Scale: 0.4, RecropMargin: -0.1}
}

// FaceRoiTracking is the RoiTrackingCalculator of face_tracking.pbtxt.
func FaceRoiTracking() RoiTracking {
	return RoiTracking{RotationDegrees: 15, Translation: 0.1, Scale: 0.3, RecropMargin: -0.2}
}

// Choose is RoiTrackingCalculator::Process when the re-crop rectangle exists: with no previous
// landmarks it returns recrop; otherwise it returns prev, the rectangle built from prevLandmarks,
// if Keep says tracking holds, and recrop if not. kept reports which.
func (t RoiTracking) Choose(prev Rect, prevLandmarks []Point, recrop Rect, imgW, imgH int) (roi Rect, kept bool) {
	if len(prevLandmarks) == 0 {
		return recrop, false
	}
	if t.Keep(prev, prevLandmarks, recrop, imgW, imgH) {
		return prev, true
	}
	return recrop, false
}

// Keep reports whether the previous frame's rectangle prev may be kept instead of this frame's
// re-crop rectangle recrop (roi_tracking_calculator.cc: RectRequirementsSatisfied,
// LandmarksRequirementsSatisfied): their rotations differ by at most RotationDegrees; along
// recrop's own axes, in pixels, their centres differ by at most Translation times recrop's width
// (height) and their widths (heights) by at most Scale times recrop's; and every previous
// landmark lies strictly inside recrop scaled by 1 + RecropMargin about its centre.
func (t RoiTracking) Keep(prev Rect, prevLandmarks []Point, recrop Rect, imgW, imgH int) bool {
	return t.rectOK(prev, recrop, imgW, imgH) && t.landmarksOK(prevLandmarks, recrop, imgW, imgH)
}

func (t RoiTracking) rectOK(prev, recrop Rect, imgW, imgH int) bool {
	w, h := float32(imgW), float32(imgH)
	// Rotate both centres by -recrop.Rotation so recrop's edges are parallel to the axes.
	c, s := cosSin(-recrop.Rotation)
	px, py := rotate(prev.XCenter*w, prev.YCenter*h, c, s)
	rx, ry := rotate(recrop.XCenter*w, recrop.YCenter*h, c, s)
	pw, ph := prev.Width*w, prev.Height*h
	rw, rh := recrop.Width*w, recrop.Height*h

	diff := degrees(prev.Rotation) - degrees(recrop.Rotation)
	if diff > 180 {
		diff -= 360
	}
	if diff < -180 {
		diff += 360
	}
	ok := abs32(diff) <= t.RotationDegrees
	ok = ok && abs32(px-rx) <= rw*t.Translation && abs32(py-ry) <= rh*t.Translation
	return ok && abs32(pw-rw) <= rw*t.Scale && abs32(ph-rh) <= rh*t.Scale
}

func (t RoiTracking) landmarksOK(lms []Point, recrop Rect, imgW, imgH int) bool {
	w, h := float32(imgW), float32(imgH)
	c, s := cosSin(-recrop.Rotation)
	x, y := rotate(recrop.XCenter*w, recrop.YCenter*h, c, s)
	rw := recrop.Width * w * (1 + t.RecropMargin)
	rh := recrop.Height * h * (1 + t.RecropMargin)
	left, right := x-rw*0.5, x+rw*0.5
	top, bottom := y-rh*0.5, y+rh*0.5
	for _, p := range lms {
		lx, ly := rotate(p.X*w, p.Y*h, c, s)
		if !(left < lx && lx < right && top < ly && ly < bottom) {
			return false
		}
	}
	return true
}

// cosSin are the float32 cosine and sine of an angle in radians, as std::cos and std::sin on
// a float (libm.go).
func cosSin(a float32) (c, s float32) {
	return cosf(a), sinf(a)
}

// rotate turns (x, y) by the angle whose cosine and sine are c and s, counter-clockwise in a
// y-up frame (clockwise on screen).
func rotate(x, y, c, s float32) (float32, float32) {
	return float32(x*c) - float32(y*s), float32(x*s) + float32(y*c)
}

// degrees is C++'s `rotation / M_PI * 180.f` (double arithmetic, stored as float).
func degrees(rad float32) float32 { return float32(float64(rad) / math.Pi * 180) }

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// landmarkPoints copies the x and y of lms into dst, reusing its capacity.
func landmarkPoints(dst []Point, lms []Landmark) []Point {
	dst = dst[:0]
	for _, l := range lms {
		dst = append(dst, Point{l.X, l.Y})
	}
	return dst
}
