package model

import "math"

// ROI tracking: whether a Holistic branch keeps the ROI built from its previous frame's landmarks
// or takes this frame's re-crop ROI, as MediaPipe's RoiTrackingCalculator decides
// (mediapipe/modules/holistic_landmark/calculators/roi_tracking_calculator.cc), for the hands
// (hand_tracking.pbtxt) and the face (face_tracking.pbtxt) alike. Points are normalized to the
// image; the requirements are checked in pixels, as the calculator does.

// ROITracking is RoiTrackingCalculatorOptions with rect and landmarks requirements and no IoU
// requirement, the configuration both holistic branches use
// (mediapipe/modules/holistic_landmark/calculators/roi_tracking_calculator.proto).
type ROITracking struct {
	RotationDegrees float32 // largest allowed rotation change
	// Translation and Scale bound the change of centre and of size, as fractions of the re-crop
	// rectangle's width and height.
	Translation, Scale float32
	// RecropMargin grows (or, negative, shrinks) the re-crop rectangle before checking that every
	// previous landmark lies inside it.
	RecropMargin float32
}

// HandROITracking is the RoiTrackingCalculator of hand_tracking.pbtxt.
func HandROITracking() ROITracking {
	return ROITracking{RotationDegrees: 40, Translation: 0.2, Scale: 0.4, RecropMargin: -0.1}
}

// FaceROITracking is the RoiTrackingCalculator of face_tracking.pbtxt.
func FaceROITracking() ROITracking {
	return ROITracking{RotationDegrees: 15, Translation: 0.1, Scale: 0.3, RecropMargin: -0.2}
}

// Choose is RoiTrackingCalculator::Process when the re-crop rectangle exists: with no previous
// landmarks it returns recrop; otherwise it returns prev, the rectangle built from prevLandmarks,
// if Keep says tracking holds, and recrop if not. kept reports which.
func (t ROITracking) Choose(prev Rect, prevLandmarks []Point, recrop Rect, imgW, imgH int) (roi Rect, kept bool) {
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
func (t ROITracking) Keep(prev Rect, prevLandmarks []Point, recrop Rect, imgW, imgH int) bool {
	return t.rectOK(prev, recrop, imgW, imgH) && t.landmarksOK(prevLandmarks, recrop, imgW, imgH)
}

func (t ROITracking) rectOK(prev, recrop Rect, imgW, imgH int) bool {
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

func (t ROITracking) landmarksOK(lms []Point, recrop Rect, imgW, imgH int) bool {
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

// degrees is C++'s `rotation / M_PI * 180.f` (double arithmetic, stored as float).
func degrees(rad float32) float32 { return float32(float64(rad) / math.Pi * 180) }

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }
