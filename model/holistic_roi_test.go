package model

import (
	"math"
	"testing"
)

// The expected values below are worked out by hand from MediaPipe's calculators (the file of
// each is named on the function under test), on a 640x480 image, in pixels: px turns a pixel
// point into a normalized one and pxRect a pixel rectangle into a normalized Rect.
const imgW, imgH = 640, 480

func px(x, y float64) Point { return Point{float32(x / imgW), float32(y / imgH)} }

func pxRect(cx, cy, w, h, rot float64) Rect {
	return Rect{float32(cx / imgW), float32(cy / imgH), float32(w / imgW), float32(h / imgH), float32(rot)}
}

// turn rotates a pixel point about (cx, cy) by a (clockwise on screen, MediaPipe's rotation
// sense).
func turn(p Point, cx, cy, a float64) Point {
	x, y := float64(p.X)*imgW-cx, float64(p.Y)*imgH-cy
	return px(cx+x*math.Cos(a)-y*math.Sin(a), cy+x*math.Sin(a)+y*math.Cos(a))
}

func turnRect(r Rect, cx, cy, a float64) Rect {
	c := turn(Point{r.XCenter, r.YCenter}, cx, cy, a)
	r.XCenter, r.YCenter = c.X, c.Y
	r.Rotation = float32(NormalizeRadians(float64(r.Rotation) + a))
	return r
}

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

func TestLandmarkBoxesStartAtFloatMin(t *testing.T) {
	t.Parallel()
	// MediaPipe's LandmarksToDetectionCalculator starts the maximum at FLT_MIN, a tiny positive
	// number: with every x negative the box's right edge stays there, at 0 rather than -0.1.
	r := LandmarksBoxRect([]Point{{-0.2, 0.5}, {-0.1, 0.7}})
	if !approx(float64(r.Width), 0.2, 1e-7) || !approx(float64(r.XCenter), -0.1, 1e-7) || !approx(float64(r.Height), 0.2, 1e-7) {
		t.Errorf("all-negative x: %+v, want width 0.2 centred at -0.1", r)
	}
	// KeypointsRect starts at the lowest float and gets it right.
	if k := KeypointsRect([]Point{{-0.2, 0.5}, {-0.1, 0.7}}); !approx(float64(k.Width), 0.1, 1e-7) || !approx(float64(k.XCenter), -0.15, 1e-7) {
		t.Errorf("KeypointsRect: %+v", k)
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

// TestRoiTracking checks RoiTrackingCalculator's keep/replace decision against hand-worked
// cases: the re-crop rectangle C is 200 px square at (320, 240) unless stated.
func TestRoiTracking(t *testing.T) {
	t.Parallel()
	c := pxRect(320, 240, 200, 200, 0)
	// Previous landmarks comfortably inside C shrunk by the margin.
	inside := []Point{px(300, 220), px(340, 260), px(320, 240)}
	deg := math.Pi / 180
	tests := []struct {
		name   string
		track  RoiTracking
		prev   Rect
		lms    []Point
		recrop Rect
		keep   bool
	}{
		{"same", HandRoiTracking(), c, inside, c, true},
		{"no previous landmarks", HandRoiTracking(), c, nil, c, false},
		{"rotated 39°", HandRoiTracking(), pxRect(320, 240, 200, 200, 39*deg), inside, c, true},
		{"rotated 41°", HandRoiTracking(), pxRect(320, 240, 200, 200, 41*deg), inside, c, false},
		{"face rotated 14°", FaceRoiTracking(), pxRect(320, 240, 200, 200, 14*deg), inside, c, true},
		{"face rotated 16°", FaceRoiTracking(), pxRect(320, 240, 200, 200, 16*deg), inside, c, false},
		// 170° and -170° are 20° apart across the wrap.
		{"across ±180°", HandRoiTracking(), pxRect(320, 240, 200, 200, 170*deg), inside, pxRect(320, 240, 200, 200, -170*deg), true},
		// Translation limit 0.2·200 = 40 px (hand), 0.1·200 = 20 px (face).
		{"moved 38 px", HandRoiTracking(), pxRect(358, 240, 200, 200, 0), inside, c, true},
		{"moved 42 px", HandRoiTracking(), pxRect(362, 240, 200, 200, 0), inside, c, false},
		{"face moved 19 px down", FaceRoiTracking(), pxRect(320, 259, 200, 200, 0), inside, c, true},
		{"face moved 21 px down", FaceRoiTracking(), pxRect(320, 261, 200, 200, 0), inside, c, false},
		// Translation is measured along C's own axes: C is 200 x 100 px and turned a quarter turn,
		// so a 30 px move along the image's x is along C's height (limit 20 px), not its width.
		{"along C's axes", HandRoiTracking(), pxRect(350, 240, 200, 100, math.Pi/2), inside, pxRect(320, 240, 200, 100, math.Pi/2), false},
		{"along C's axes, unturned", HandRoiTracking(), pxRect(350, 240, 200, 100, 0), inside, pxRect(320, 240, 200, 100, 0), true},
		// Scale limit 0.4·200 = 80 px (hand), 0.3·200 = 60 px (face).
		{"grown 78 px", HandRoiTracking(), pxRect(320, 240, 278, 278, 0), inside, c, true},
		{"grown 82 px", HandRoiTracking(), pxRect(320, 240, 282, 282, 0), inside, c, false},
		{"face shrunk 58 px", FaceRoiTracking(), pxRect(320, 240, 142, 142, 0), inside, c, true},
		{"face shrunk 62 px", FaceRoiTracking(), pxRect(320, 240, 138, 138, 0), inside, c, false},
		// Containment: C shrunk by the margin is ±90 px (hand) or ±80 px (face) about its centre,
		// and a landmark must lie strictly inside.
		{"landmark at 89 px", HandRoiTracking(), c, append([]Point{px(409, 240)}, inside...), c, true},
		{"landmark at 91 px", HandRoiTracking(), c, append([]Point{px(411, 240)}, inside...), c, false},
		{"landmark on the edge", HandRoiTracking(), c, []Point{px(320, 150)}, c, false},
		{"face landmark at 85 px", FaceRoiTracking(), c, []Point{px(320, 325)}, c, false},
		// The containment box turns with C: 120 px right of the centre is outside an upright 200
		// px square but inside one turned 45°, where it is 85 px along either axis (limit 90).
		{"corner of upright C", HandRoiTracking(), c, []Point{px(440, 240)}, c, false},
		{"corner of turned C", HandRoiTracking(), pxRect(320, 240, 200, 200, 45*deg), []Point{px(440, 240)}, pxRect(320, 240, 200, 200, 45*deg), true},
	}
	for i, tt := range tests {
		roi, kept := tt.track.Choose(tt.prev, tt.lms, tt.recrop, imgW, imgH)
		want := tt.recrop
		if tt.keep {
			want = tt.prev
		}
		if kept != tt.keep || roi != want {
			t.Errorf("%d %s: kept %v (%+v), want %v", i, tt.name, kept, roi, tt.keep)
		}
	}
}
