package model

import (
	"math"
	"testing"
)

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func rectNear(a, b Rect, tol float64) bool {
	return approx(float64(a.XCenter), float64(b.XCenter), tol) && approx(float64(a.YCenter), float64(b.YCenter), tol) &&
		approx(float64(a.Width), float64(b.Width), tol) && approx(float64(a.Height), float64(b.Height), tol) &&
		approx(float64(a.Rotation), float64(b.Rotation), tol)
}

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

func TestNormalizeRadians(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want float64 }{
		{0, 0}, {1, 1}, {-1, -1}, {math.Pi / 2, math.Pi / 2},
		{math.Pi, -math.Pi}, {-math.Pi, -math.Pi}, {3 * math.Pi / 2, -math.Pi / 2},
		{-3 * math.Pi / 2, math.Pi / 2}, {2 * math.Pi, 0}, {7, 7 - 2*math.Pi}, {-7, -7 + 2*math.Pi},
	}
	for i, tt := range tests {
		if got := NormalizeRadians(tt.in); !approx(got, tt.want, 1e-12) {
			t.Errorf("%d: NormalizeRadians(%g) = %g, want %g", i, tt.in, got, tt.want)
		}
	}
}

func TestAlignmentRect(t *testing.T) {
	t.Parallel()
	// 640x480 image, centre at its middle (320, 240), scale point 100 px away: side 200 px,
	// which is 0.3125 of the width and 0.41667 of the height.
	const w, h = 640, 480
	c := Point{0.5, 0.5}
	side := Rect{XCenter: 0.5, YCenter: 0.5, Width: 200.0 / w, Height: 200.0 / h}
	rot := func(r float32) Rect { s := side; s.Rotation = r; return s }
	tests := []struct {
		name  string
		scale Point
		want  Rect
	}{
		{"above", Point{0.5, 0.5 - 100.0/h}, rot(0)},
		{"right", Point{0.5 + 100.0/w, 0.5}, rot(math.Pi / 2)},
		{"left", Point{0.5 - 100.0/w, 0.5}, rot(-math.Pi / 2)},
		{"below", Point{0.5, 0.5 + 100.0/h}, rot(-math.Pi)},
		// 60 px right and 80 px up: still 100 px away, rotated atan(60/80) clockwise.
		{"up-right", Point{0.5 + 60.0/w, 0.5 - 80.0/h}, rot(float32(math.Atan2(60, 80)))},
	}
	for i, tt := range tests {
		got := AlignmentRect(c, tt.scale, w, h, math.Pi/2)
		if !rectNear(got, tt.want, 2e-6) {
			t.Errorf("%d %s: got %+v, want %+v", i, tt.name, got, tt.want)
		}
		if px, py := got.Width*w, got.Height*h; !approx(float64(px), float64(py), 1e-3) {
			t.Errorf("%d %s: not square in pixels: %g x %g", i, tt.name, px, py)
		}
	}
	// In normalized units the same points would give a different angle on a non-square image:
	// the rotation must come from pixels.
	got := AlignmentRect(Point{0, 0}, Point{0.1, -0.1}, w, h, math.Pi/2)
	if want := math.Pi/2 - math.Atan2(0.1*h, 0.1*w); !approx(float64(got.Rotation), want, 1e-6) {
		t.Errorf("diagonal: rotation %g, want %g (pixel geometry)", got.Rotation, want)
	}
}

func TestRectTransform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   RectTransform
		in   Rect
		w, h int
		want Rect
	}{
		{"scale", RectTransform{ScaleX: 2, ScaleY: 1.5}, Rect{0.5, 0.5, 0.2, 0.3, 0}, 100, 100,
			Rect{0.5, 0.5, 0.4, 0.45, 0}},
		{"zero scale is 1", RectTransform{}, Rect{0.5, 0.5, 0.2, 0.3, 0.1}, 100, 100,
			Rect{0.5, 0.5, 0.2, 0.3, 0.1}},
		{"shift unrotated", RectTransform{ShiftX: 0.5, ShiftY: -0.25}, Rect{0.5, 0.5, 0.2, 0.4, 0}, 100, 100,
			Rect{0.6, 0.4, 0.2, 0.4, 0}},
		// Rotated a quarter turn on a 200x100 image: the rect's x axis points down the image,
		// so a shift of 0.1 of its 100 px width moves the centre 10 px = 0.1 of the height down.
		{"shift rotated", RectTransform{ShiftX: 0.1}, Rect{0.5, 0.5, 0.5, 0.5, math.Pi / 2}, 200, 100,
			Rect{0.5, 0.6, 0.5, 0.5, math.Pi / 2}},
		// 640x480: 160 x 240 px becomes 240 x 240 px, then x1.25 = 300 px.
		{"square long", RectTransform{ScaleX: 1.25, ScaleY: 1.25, SquareLong: true}, Rect{0.5, 0.5, 0.25, 0.5, 0.3}, 640, 480,
			Rect{0.5, 0.5, 300.0 / 640, 300.0 / 480, 0.3}},
		{"square short", RectTransform{SquareShort: true}, Rect{0.5, 0.5, 0.25, 0.5, 0}, 640, 480,
			Rect{0.5, 0.5, 0.25, 160.0 / 480, 0}},
		// The shift uses the size before squaring: 0.5 of the 0.25 width, not of the squared width.
		{"shift before square", RectTransform{ShiftX: 0.5, SquareLong: true}, Rect{0.5, 0.5, 0.25, 0.5, 0}, 640, 480,
			Rect{0.625, 0.5, 0.375, 0.5, 0}},
	}
	for i, tt := range tests {
		if got := tt.tr.Apply(tt.in, tt.w, tt.h); !rectNear(got, tt.want, 1e-6) {
			t.Errorf("%d %s: got %+v, want %+v", i, tt.name, got, tt.want)
		}
	}
}

func TestLetterboxAndPadRect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       Rect
		w, h     int
		tw, th   int
		want     Rect
		wantPads Padding
	}{
		{"landscape", Rect{0.5, 0.5, 1, 1, 0}, 640, 480, 224, 224, Rect{0.5, 0.5, 1, 640.0 / 480, 0}, Padding{0, 0.125, 0, 0.125}},
		{"portrait", Rect{0.5, 0.5, 1, 1, 0}, 480, 640, 224, 224, Rect{0.5, 0.5, 640.0 / 480, 1, 0}, Padding{0.125, 0, 0.125, 0}},
		{"square", Rect{0.5, 0.5, 1, 1, 0}, 300, 300, 224, 224, Rect{0.5, 0.5, 1, 1, 0}, Padding{}},
		{"wide tensor", Rect{0.5, 0.5, 1, 1, 0}, 400, 400, 200, 100, Rect{0.5, 0.5, 2, 1, 0}, Padding{0.25, 0, 0.25, 0}},
		// A pixel-square landmark ROI on a 640x480 frame needs no padding and keeps its rotation.
		{"pixel-square roi", Rect{0.3, 0.6, 0.375, 0.5, 1.2}, 640, 480, 256, 256, Rect{0.3, 0.6, 0.375, 0.5, 1.2}, Padding{}},
	}
	for i, tt := range tests {
		got, pad := PadRect(tt.in, tt.w, tt.h, tt.tw, tt.th)
		if !rectNear(got, tt.want, 1e-6) || !approx(float64(pad.Left), float64(tt.wantPads.Left), 1e-6) ||
			!approx(float64(pad.Top), float64(tt.wantPads.Top), 1e-6) || pad.Left != pad.Right || pad.Top != pad.Bottom {
			t.Errorf("%d %s: got %+v %+v, want %+v %+v", i, tt.name, got, pad, tt.want, tt.wantPads)
		}
		if tt.in == (Rect{0.5, 0.5, 1, 1, 0}) {
			lr, lp := LetterboxROI(tt.w, tt.h, tt.tw, tt.th)
			if lr != got || lp != pad {
				t.Errorf("%d %s: LetterboxROI %+v %+v differs from PadRect", i, tt.name, lr, lp)
			}
		}
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
