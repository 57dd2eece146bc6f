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

func TestProjectDetection(t *testing.T) {
	t.Parallel()
	// A 200 px ROI centred at (300, 200), turned a quarter turn: the crop's x axis points down
	// the image and its y axis to the left.
	roi := pxRect(300, 200, 200, 200, math.Pi/2)
	d := Detection{XMin: 0.5, YMin: 0.25, XMax: 0.75, YMax: 0.5, Keypoints: []Point{{0.5, 0.5}, {0.75, 0.25}}}
	ProjectDetection(&d, roi, imgW, imgH)
	// Crop (0.75, 0.25) is 50 px along x and -50 px along y from the centre: image (350, 250).
	wantKps := []Point{px(300, 200), px(350, 250)}
	for i, k := range d.Keypoints {
		if !approx(float64(k.X), float64(wantKps[i].X), 1e-6) || !approx(float64(k.Y), float64(wantKps[i].Y), 1e-6) {
			t.Errorf("keypoint %d: %+v, want %+v", i, k, wantKps[i])
		}
	}
	// The box's corners go to x 300..350, y 200..250.
	want := Detection{XMin: 300.0 / imgW, YMin: 200.0 / imgH, XMax: 350.0 / imgW, YMax: 250.0 / imgH}
	if !approx(float64(d.XMin), float64(want.XMin), 1e-6) || !approx(float64(d.XMax), float64(want.XMax), 1e-6) ||
		!approx(float64(d.YMin), float64(want.YMin), 1e-6) || !approx(float64(d.YMax), float64(want.YMax), 1e-6) {
		t.Errorf("box %+v, want %+v", d, want)
	}
	// For a pixel-square ROI it agrees with LandmarkProjectionCalculator.
	lms := []Landmark{{X: 0.75, Y: 0.25}}
	ProjectLandmarks(lms, roi)
	if !approx(float64(lms[0].X), float64(d.Keypoints[1].X), 1e-6) || !approx(float64(lms[0].Y), float64(d.Keypoints[1].Y), 1e-6) {
		t.Errorf("ProjectLandmarks %+v, ProjectDetection %+v", lms[0], d.Keypoints[1])
	}
}

func TestFaceDetectorAnchors(t *testing.T) {
	t.Parallel()
	a := GenerateAnchors(FaceDetectorAnchors())
	if len(a) != faceDetectorBoxes {
		t.Fatalf("%d anchors, want %d", len(a), faceDetectorBoxes)
	}
	// Stride 8: a 16x16 grid, 2 anchors a cell; stride 16: 8x8, 6 a cell.
	checks := []struct {
		i    int
		want Anchor
	}{
		{0, Anchor{0.5 / 16, 0.5 / 16, 1, 1}}, {1, Anchor{0.5 / 16, 0.5 / 16, 1, 1}},
		{2, Anchor{1.5 / 16, 0.5 / 16, 1, 1}}, {511, Anchor{15.5 / 16, 15.5 / 16, 1, 1}},
		{512, Anchor{0.5 / 8, 0.5 / 8, 1, 1}}, {517, Anchor{0.5 / 8, 0.5 / 8, 1, 1}},
		{518, Anchor{1.5 / 8, 0.5 / 8, 1, 1}}, {895, Anchor{7.5 / 8, 7.5 / 8, 1, 1}},
	}
	for _, c := range checks {
		if a[c.i] != c.want {
			t.Errorf("anchor %d: %+v, want %+v", c.i, a[c.i], c.want)
		}
	}
}
