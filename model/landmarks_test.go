package model

import (
	"math"
	"testing"
)

func TestSigmoid(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want float32 }{
		{0, 0.5}, {100, 1}, {-100, 0}, // e^100 overflows float32, as expf does
		{2, 0.880797}, {-2, 0.119203},
		{float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), 0},
	}
	for i, tt := range tests {
		if got := Sigmoid(tt.in); !approx(float64(got), float64(tt.want), 1e-6) {
			t.Errorf("%d: Sigmoid(%g) = %g, want %g", i, tt.in, got, tt.want)
		}
	}
}

func TestDecodeLandmarks(t *testing.T) {
	t.Parallel()
	raw := []float32{
		128, 64, 25.6, 0, 100,
		-12.8, 300, -51.2, -100, 2,
	}
	got := make([]Landmark, 2)
	DecodeLandmarks(raw, 256, 256, got)
	want := []Landmark{
		{X: 0.5, Y: 0.25, Z: 0.1, Visibility: 0.5, Presence: 1},
		{X: -0.05, Y: 300.0 / 256, Z: -0.2, Visibility: Sigmoid(-100), Presence: Sigmoid(2)},
	}
	for i := range want {
		g, w := got[i], want[i]
		if !approx(float64(g.X), float64(w.X), 1e-7) || !approx(float64(g.Y), float64(w.Y), 1e-7) ||
			!approx(float64(g.Z), float64(w.Z), 1e-7) || g.Visibility != w.Visibility || g.Presence != w.Presence {
			t.Errorf("%d: got %+v, want %+v", i, g, w)
		}
	}
	// World-style input: 3 values per landmark, x and z over the width, y over the height.
	DecodeLandmarks([]float32{10, 20, 30}, 10, 20, got[:1])
	if got[0] != (Landmark{X: 1, Y: 1, Z: 3}) {
		t.Errorf("3 values: got %+v", got[0])
	}
}

// peakedHeatmap is an h x w x c heatmap of logit -100 except logit v at (row, col) of channel k.
func peakedHeatmap(w, h, c int, peaks ...struct {
	row, col, k int
	v           float32
}) []float32 {
	hm := make([]float32, w*h*c)
	for i := range hm {
		hm[i] = -100
	}
	for _, p := range peaks {
		hm[(p.row*w+p.col)*c+p.k] = p.v
	}
	return hm
}

func TestRefineFromHeatmap(t *testing.T) {
	t.Parallel()
	type peak = struct {
		row, col, k int
		v           float32
	}
	tests := []struct {
		name   string
		w, h   int
		peak   peak
		in     Landmark
		wantXY [2]float64 // NaN: unchanged
	}{
		{"moves to the peak", 64, 64, peak{20, 30, 0, 5}, Landmark{X: 28.5 / 64, Y: 21.2 / 64}, [2]float64{30.0 / 64, 20.0 / 64}},
		{"max exactly 0.5 refines", 64, 64, peak{20, 30, 0, 0}, Landmark{X: 28.5 / 64, Y: 21.2 / 64}, [2]float64{30.0 / 64, 20.0 / 64}},
		{"max below 0.5 keeps", 64, 64, peak{20, 30, 0, -0.01}, Landmark{X: 28.5 / 64, Y: 21.2 / 64}, [2]float64{math.NaN()}},
		{"peak outside the 7x7 window", 64, 64, peak{20, 35, 0, 5}, Landmark{X: 28.5 / 64, Y: 21.2 / 64}, [2]float64{math.NaN()}},
		// x in (-1/64, 0) truncates to column 0 and still refines.
		{"slightly left truncates to 0", 64, 64, peak{5, 2, 0, 5}, Landmark{X: -0.01, Y: 5.5 / 64}, [2]float64{2.0 / 64, 5.0 / 64}},
		{"left of the map", 64, 64, peak{5, 0, 0, 5}, Landmark{X: -1.5 / 64, Y: 5.5 / 64}, [2]float64{math.NaN()}},
		{"right of the map", 64, 64, peak{5, 63, 0, 5}, Landmark{X: 1, Y: 5.5 / 64}, [2]float64{math.NaN()}},
		{"below the map", 64, 64, peak{63, 5, 0, 5}, Landmark{X: 5.5 / 64, Y: 1}, [2]float64{math.NaN()}},
		{"NaN", 64, 64, peak{5, 5, 0, 5}, Landmark{X: float32(math.NaN()), Y: 0.1}, [2]float64{math.NaN()}},
		// Non-square map: columns scale by the width, rows by the height.
		{"8 wide, 4 high", 8, 4, peak{1, 6, 0, 5}, Landmark{X: 0.5, Y: 0.5}, [2]float64{6.0 / 8, 1.0 / 4}},
		{"second channel", 64, 64, peak{40, 41, 1, 5}, Landmark{X: 40.0 / 64, Y: 40.0 / 64}, [2]float64{41.0 / 64, 40.0 / 64}},
	}
	for i, tt := range tests {
		hm := peakedHeatmap(tt.w, tt.h, 2, tt.peak)
		in := tt.in
		in.Z, in.Visibility, in.Presence = 0.25, 0.75, 0.5
		lms := []Landmark{in, in}
		RefineFromHeatmap(lms, hm, tt.w, tt.h, 2, 7, 0.5)
		got := lms[tt.peak.k]
		want := in
		if !math.IsNaN(tt.wantXY[0]) {
			want.X, want.Y = float32(tt.wantXY[0]), float32(tt.wantXY[1])
		}
		if !approx(float64(got.X), float64(want.X), 1e-6) && !(math.IsNaN(float64(got.X)) && math.IsNaN(float64(want.X))) ||
			!approx(float64(got.Y), float64(want.Y), 1e-6) || got.Z != in.Z || got.Visibility != in.Visibility || got.Presence != in.Presence {
			t.Errorf("%d %s: got %+v, want %+v", i, tt.name, got, want)
		}
	}
}

func TestRefineFromHeatmapWeightedMean(t *testing.T) {
	t.Parallel()
	// Two equal peaks two columns apart: the landmark goes half way, confidence-weighted, with
	// the background's tiny weight included.
	hm := peakedHeatmap(16, 16, 1,
		struct {
			row, col, k int
			v           float32
		}{8, 6, 0, 3},
		struct {
			row, col, k int
			v           float32
		}{8, 8, 0, 3})
	lms := []Landmark{{X: 7.2 / 16, Y: 8.9 / 16}}
	RefineFromHeatmap(lms, hm, 16, 16, 1, 7, 0.5)
	if !approx(float64(lms[0].X), 7.0/16, 1e-6) || !approx(float64(lms[0].Y), 8.0/16, 1e-6) {
		t.Errorf("got (%g, %g), want (%g, %g)", lms[0].X, lms[0].Y, 7.0/16, 8.0/16)
	}
}

func TestProjectLandmarks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		roi  Rect
		in   Landmark
		want Landmark
	}{
		{"centre", Rect{0.5, 0.5, 0.5, 0.5, 0}, Landmark{X: 0.5, Y: 0.5, Visibility: 0.9}, Landmark{X: 0.5, Y: 0.5, Visibility: 0.9}},
		{"corner", Rect{0.5, 0.5, 0.5, 0.25, 0}, Landmark{X: 1, Y: 1, Z: 0.2}, Landmark{X: 0.75, Y: 0.625, Z: 0.1}},
		// Rotated +π/2: the crop's +x maps to image +y.
		{"rotated", Rect{0.4, 0.6, 0.5, 0.25, math.Pi / 2}, Landmark{X: 1, Y: 0.5, Z: 0.2}, Landmark{X: 0.4, Y: 0.725, Z: 0.1}},
	}
	for i, tt := range tests {
		lms := []Landmark{tt.in}
		ProjectLandmarks(lms, tt.roi)
		g := lms[0]
		if !approx(float64(g.X), float64(tt.want.X), 1e-6) || !approx(float64(g.Y), float64(tt.want.Y), 1e-6) ||
			!approx(float64(g.Z), float64(tt.want.Z), 1e-7) || g.Visibility != tt.want.Visibility {
			t.Errorf("%d %s: got %+v, want %+v", i, tt.name, g, tt.want)
		}
	}
}

// TestProjectionInvertsCrop crops an image whose pixels encode their own coordinates and checks
// that projecting a tensor pixel's ROI coordinates lands where the crop sampled it.
func TestProjectionInvertsCrop(t *testing.T) {
	t.Parallel()
	const w, h, n = 200, 150, 256
	img := testImage(w, h, func(x, y int) [3]uint8 { return [3]uint8{uint8(x), uint8(y), 77} })
	for _, rot := range []float32{0, 0.4, -2.5, math.Pi / 2} {
		roi := Rect{XCenter: 0.5, YCenter: 0.5, Width: 80.0 / w, Height: 80.0 / h, Rotation: rot}
		dst := make([]float32, n*n*3)
		if err := Crop(img, roi, dst, n, n, 0, 255, BorderReplicate); err != nil {
			t.Fatal(err)
		}
		for _, ij := range [][2]int{{0, 0}, {10, 20}, {128, 128}, {250, 3}, {255, 255}, {77, 201}} {
			lms := []Landmark{{X: float32(ij[0]) / n, Y: float32(ij[1]) / n}}
			ProjectLandmarks(lms, roi)
			px := pixelAt(dst, n, ij[0], ij[1])
			if !approx(float64(lms[0].X*w), float64(px[0]), 0.6) || !approx(float64(lms[0].Y*h), float64(px[1]), 0.6) {
				t.Errorf("rotation %g, tensor %v: projected to (%g, %g) px, crop sampled (%g, %g)",
					rot, ij, lms[0].X*w, lms[0].Y*h, px[0], px[1])
			}
		}
	}
}

func TestRemoveLandmarkLetterbox(t *testing.T) {
	t.Parallel()
	lms := []Landmark{{X: 0.5, Y: 0.3125, Z: 0.5, Visibility: 0.3}}
	RemoveLandmarkLetterbox(lms, Padding{Left: 0.25, Top: 0.125, Right: 0.25, Bottom: 0.125})
	if want := (Landmark{X: 0.5, Y: 0.25, Z: 1, Visibility: 0.3}); lms[0] != want {
		t.Errorf("got %+v, want %+v", lms[0], want)
	}
}

func TestProjectWorldLandmarks(t *testing.T) {
	t.Parallel()
	raw := []float32{1, 0, 3, 0.5, -0.25, -1}
	tests := []struct {
		rot  float32
		want []WorldLandmark
	}{
		{0, []WorldLandmark{{1, 0, 3, 0.9}, {0.5, -0.25, -1, 0.9}}},
		{math.Pi / 2, []WorldLandmark{{0, 1, 3, 0.9}, {0.25, 0.5, -1, 0.9}}},
		{math.Pi, []WorldLandmark{{-1, 0, 3, 0.9}, {-0.5, 0.25, -1, 0.9}}},
	}
	for i, tt := range tests {
		dst := []WorldLandmark{{Visibility: 0.9}, {Visibility: 0.9}}
		// Centre and size must not matter: world landmarks are only rotated.
		ProjectWorldLandmarks(raw, Rect{0.1, 0.9, 3, 0.2, tt.rot}, dst)
		for k := range dst {
			g, w := dst[k], tt.want[k]
			if !approx(float64(g.X), float64(w.X), 1e-6) || !approx(float64(g.Y), float64(w.Y), 1e-6) || g.Z != w.Z || g.Visibility != w.Visibility {
				t.Errorf("%d: landmark %d = %+v, want %+v", i, k, g, w)
			}
		}
	}
}
