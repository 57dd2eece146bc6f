package model

import (
	"math"
	"testing"
)

func TestFaceROIFromPose(t *testing.T) {
	t.Parallel()
	// Pose 0..10: nose, left eye inner/centre/outer, right eye inner/centre/outer, ears, mouth.
	pts := []Point{
		px(320, 240), px(335, 225), px(340, 225), px(345, 225), px(305, 225), px(300, 225),
		px(295, 225), px(355, 235), px(285, 235), px(330, 260), px(310, 260),
	}
	// Box x 285..355, y 225..260: centre (320, 242.5), 70 x 35 px; eyes level: rotation 0;
	// square 70, x3 = 210 px, no shift.
	if got, want := FaceROIFromPose(pts, imgW, imgH), pxRect(320, 242.5, 210, 210, 0); !rectNear(got, want, 2e-6) {
		t.Errorf("level: got %+v, want %+v", got, want)
	}
	// Left eye (2) 10 px higher: the head tilts counter-clockwise on screen, the rotation is
	// -atan(10/40) and the axis-aligned box grows to y 215..260.
	pts[2] = px(340, 215)
	if got, want := FaceROIFromPose(pts, imgW, imgH), pxRect(320, 237.5, 210, 210, -math.Atan2(10, 40)); !rectNear(got, want, 2e-6) {
		t.Errorf("tilted: got %+v, want %+v", got, want)
	}
}

func TestFaceDetectionROI(t *testing.T) {
	t.Parallel()
	// The box is ignored (USE_KEYPOINTS): keypoints span x 280..360, y 220..260, centre
	// (320, 240), 80 x 40 px; shift_y -0.1 of the 40 px height *before* squaring = 4 px up; square
	// 80, x2 = 160.
	d := Detection{Score: 0.9, XMin: 0, YMin: 0, XMax: 1, YMax: 1, Keypoints: []Point{
		px(300, 220), px(340, 220), px(320, 240), px(320, 260), px(280, 230), px(360, 230),
	}}
	if got, want := FaceDetectionROI(d, imgW, imgH), pxRect(320, 236, 160, 160, 0); !rectNear(got, want, 2e-6) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestFaceLandmarksROI(t *testing.T) {
	t.Parallel()
	lms := make([]Point, NumFaceLandmarks)
	for i := range lms {
		lms[i] = px(320, 240)
	}
	lms[10], lms[152] = px(320, 180), px(320, 300) // forehead, chin
	lms[234], lms[454] = px(270, 240), px(370, 240)
	// Eye corners 33 → 263, 10 px rise over 60 px.
	lms[33], lms[263] = px(290, 230), px(350, 220)
	// Box 270..370 x 180..300: centre (320, 240), 100 x 120 px, square 120, x1.5 = 180, no shift.
	want := pxRect(320, 240, 180, 180, -math.Atan2(10, 60))
	if got := FaceLandmarksROI(lms, imgW, imgH); !rectNear(got, want, 2e-6) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
