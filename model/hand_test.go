package model

import (
	"math"
	"testing"
)

func TestHandROIFromPose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		wrist, pinky, index Point
		want                Rect
	}{
		// Fingers up: middle finger estimate m = (2·index + pinky)/3 = (320, 200), 100 px from the
		// wrist, so a 200 px box, rotation 0; shift_y -0.1 moves it 20 px up (towards the
		// fingers), then x2.7 = 540 px.
		{"up", px(320, 300), px(290, 200), px(335, 200), pxRect(320, 180, 540, 540, 0)},
		// Fingers to the right: m = (360, 240), 60 px from the wrist: 120 px box rotated a quarter
		// turn; the shift of 0.1·120 px goes right; x2.7 = 324 px.
		{"right", px(300, 240), px(360, 270), px(360, 225), pxRect(372, 240, 324, 324, math.Pi/2)},
		// Fingers down: rotation -π (NormalizeRadians wraps π to -π), shift 20 px down.
		{"down", px(320, 200), px(320, 300), px(320, 300), pxRect(320, 320, 540, 540, -math.Pi)},
	}
	for i, tt := range tests {
		if got := HandROIFromPose(tt.wrist, tt.pinky, tt.index, imgW, imgH); !rectNear(got, tt.want, 2e-6) {
			t.Errorf("%d %s: got %+v, want %+v", i, tt.name, got, tt.want)
		}
	}
}

func TestHandRecropROI(t *testing.T) {
	t.Parallel()
	// A 256 px ROI centred in the image: crop pixels are image pixels shifted by (192, 112).
	roi := pxRect(320, 240, 256, 256, 0)
	// k0 at the crop's centre, k1 100 px straight below it (the wrist side): rotation 0
	// (target -90°), side 200 px, shift_y -0.1 moves the centre 20 px up, scale 1.
	out := []float32{128, 128, 128, 228}
	if got, want := HandRecropROI(out, roi, imgW, imgH), pxRect(320, 220, 200, 200, 0); !rectNear(got, want, 2e-6) {
		t.Errorf("upright: got %+v, want %+v", got, want)
	}
	// The same crop output from a ROI rotated a quarter turn: the crop's down is the image's
	// left, so k1 lies 100 px left of k0, the hand points right, and the shift goes right.
	roi.Rotation = math.Pi / 2
	if got, want := HandRecropROI(out, roi, imgW, imgH), pxRect(340, 240, 200, 200, math.Pi/2); !rectNear(got, want, 2e-6) {
		t.Errorf("rotated: got %+v, want %+v", got, want)
	}
}

// uprightHand is a hand, fingers up, whose palm subset (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
// spans x 275..355 and y 175..300 px and whose wrist→((5+13)/2+9)/2 vector points straight up.
// The fingertips and top joints (4, 7, 8, 11, 12, 15, 16, 19, 20) are far away: the ROI must
// ignore them.
func uprightHand() []Point {
	lms := make([]Point, NumHandLandmarks)
	for i := range lms {
		lms[i] = px(600, 20)
	}
	for k, p := range map[int]Point{
		0: px(320, 300), 1: px(290, 280), 2: px(280, 260), 3: px(275, 240),
		5: px(300, 200), 6: px(300, 180), 9: px(320, 200), 10: px(320, 175),
		13: px(340, 200), 14: px(340, 180), 17: px(350, 210), 18: px(355, 190),
	} {
		lms[k] = p
	}
	return lms
}

func TestHandLandmarksROI(t *testing.T) {
	t.Parallel()
	lms := uprightHand()
	// Box centre (315, 237.5), 80 x 125 px; shift_y -0.1·125 = 12.5 px up; square 125; x2 = 250.
	want := pxRect(315, 225, 250, 250, 0)
	if got := HandLandmarksROI(lms, imgW, imgH); !rectNear(got, want, 2e-6) {
		t.Errorf("upright: got %+v, want %+v", got, want)
	}
	// Turning the hand turns the ROI with it: the box is taken in the hand's own frame.
	for _, a := range []float64{0.3, math.Pi / 2, -2} {
		turned := make([]Point, len(lms))
		for i, p := range lms {
			turned[i] = turn(p, 320, 240, a)
		}
		if got, want := HandLandmarksROI(turned, imgW, imgH), turnRect(want, 320, 240, a); !rectNear(got, want, 1e-5) {
			t.Errorf("turned %g: got %+v, want %+v", a, got, want)
		}
	}
}
