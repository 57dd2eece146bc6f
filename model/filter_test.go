package model

import (
	"encoding/json"
	"testing"
)

const frameNs = 33_333_000 // Python's synthetic 33 333 µs per frame

func TestLowPass(t *testing.T) {
	t.Parallel()
	var s LowPassState
	for i, tt := range []struct{ in, want float32 }{{1, 1}, {0, 0.9}, {0, 0.81}, {1, 0.829}} {
		if got := LowPass(&s, tt.in, 0.1); !approx(float64(got), float64(tt.want), 1e-6) {
			t.Errorf("%d: got %g, want %g", i, got, tt.want)
		}
		if s.Raw != tt.in || !s.Initialized {
			t.Errorf("%d: state %+v does not remember input %g", i, s, tt.in)
		}
	}
}

func TestOneEuroAlphaAt30Hz(t *testing.T) {
	t.Parallel()
	// The derivative filter's alpha at 30 Hz with d_cutoff 1: 1/(1 + 30/(2π)).
	if got := oneEuroAlpha(30, 1); !approx(got, 0.173171, 1e-6) {
		t.Errorf("alpha = %g, want 0.173171", got)
	}
}

func TestOneEuroWorkedExample(t *testing.T) {
	t.Parallel()
	// Worked by hand from one_euro_filter.cc with min_cutoff 1, beta 0.1, d_cutoff 1, value
	// scale 0.5, frames 33.333 ms apart (f = 30.0003 Hz, derivative alpha 0.173169):
	//   1: 0 passes through.
	//   2: speed (10-0)·0.5·f = 150.0015, filtered 25.97565, cutoff 3.597565, alpha 0.4297005,
	//      output 4.297005.
	//   3: speed 0, filtered 21.47747, cutoff 3.147747, alpha 0.3973202,
	//      output 0.3973202·10 + 0.6026798·4.297005 = 6.562921.
	p := OneEuroParams{Frequency: 30, MinCutoff: 1, Beta: 0.1, DerivateCutoff: 1}
	var s OneEuroState
	for i, tt := range []struct{ in, want float32 }{{0, 0}, {10, 4.297005}, {10, 6.562921}} {
		got := p.Filter(&s, int64(i+1)*frameNs, tt.in, 0.5)
		if !approx(float64(got), float64(tt.want), 2e-5) {
			t.Errorf("sample %d: got %g, want %g", i+1, got, tt.want)
		}
	}
	if !approx(s.Frequency, 1/(frameNs*1e-9), 1e-9) || s.LastTimeNs != 3*frameNs {
		t.Errorf("state %+v", s)
	}
}

func TestOneEuroTimestamps(t *testing.T) {
	t.Parallel()
	p := PoseLandmarkFilter()
	var s OneEuroState
	if got := p.Filter(&s, frameNs, 5, 1); got != 5 {
		t.Fatalf("first sample: got %g, want it unchanged", got)
	}
	before := s
	for _, ts := range []int64{frameNs, frameNs - 1, 0} {
		if got := p.Filter(&s, ts, 9, 1); got != 9 || s != before {
			t.Errorf("t=%d not after the last: got %g and state %+v, want the value and no change", ts, got, s)
		}
	}

	// A stream that starts at t=0 never derives a frequency from (0, t1): the parameter's is used
	// until two non-zero timestamps arrive. With frequency 10 instead of 30 the second output
	// differs: 0.6479572·10 (worked as above, beta 0.1, scale 0.5).
	p = OneEuroParams{Frequency: 10, MinCutoff: 1, Beta: 0.1, DerivateCutoff: 1}
	s = OneEuroState{}
	p.Filter(&s, 0, 0, 0.5)
	if got := p.Filter(&s, frameNs, 10, 0.5); !approx(float64(got), 6.479572, 2e-5) || s.Frequency != 10 {
		t.Errorf("from t=0: got %g with frequency %g, want 6.479572 at 10 Hz", got, s.Frequency)
	}
}

func TestOneEuroStateRoundTrip(t *testing.T) {
	t.Parallel()
	// The state is plain data: saving and restoring it mid-stream changes nothing.
	p := PoseLandmarkFilter()
	var a, b OneEuroState
	in := []float32{100, 101, 104, 104, 90, 91, 91.5, 92}
	for i, v := range in {
		ts := int64(i+1) * frameNs
		want := p.Filter(&a, ts, v, 1.0/200)
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var restored OneEuroState
		if err := json.Unmarshal(data, &restored); err != nil {
			t.Fatal(err)
		}
		b = restored
		if got := p.Filter(&b, ts, v, 1.0/200); got != want {
			t.Fatalf("sample %d: restored filter gave %g, uninterrupted %g", i, got, want)
		}
	}
}

func TestSmoothLandmarks(t *testing.T) {
	t.Parallel()
	const w, h = 640, 480
	p := PoseLandmarkFilter()
	states := make([]OneEuroState, 3)
	ref := make([]OneEuroState, 3)
	const scale = 200
	for i, lm := range []Landmark{
		{X: 0.5, Y: 0.5, Z: -0.1, Visibility: 0.7},
		{X: 0.52, Y: 0.49, Z: -0.12, Visibility: 0.7},
		{X: 0.6, Y: 0.45, Z: -0.05, Visibility: 0.7},
	} {
		ts := int64(i+1) * frameNs
		lms := []Landmark{lm}
		SmoothLandmarks(p, states, lms, ts, w, h, scale)
		// The same filter run by hand on pixel values, speeds relative to the object scale.
		want := Landmark{
			X:          p.Filter(&ref[0], ts, lm.X*w, 1.0/scale) / w,
			Y:          p.Filter(&ref[1], ts, lm.Y*h, 1.0/scale) / h,
			Z:          p.Filter(&ref[2], ts, lm.Z*w, 1.0/scale) / w,
			Visibility: 0.7,
		}
		if lms[0] != want {
			t.Errorf("sample %d: got %+v, want %+v", i, lms[0], want)
		}
		if i == 2 && (lms[0].X == lm.X || lms[0].X <= 0.52) {
			t.Errorf("sample %d: x %g not smoothed between 0.52 and 0.6", i, lms[0].X)
		}
	}

	// Below the minimum object scale the landmarks pass and the filters are not touched.
	before := append([]OneEuroState(nil), states...)
	lms := []Landmark{{X: 0.9, Y: 0.1, Z: 0.3}}
	SmoothLandmarks(p, states, lms, 4*frameNs, w, h, 1e-7)
	if lms[0] != (Landmark{X: 0.9, Y: 0.1, Z: 0.3}) || states[0] != before[0] || states[2] != before[2] {
		t.Errorf("tiny scale: got %+v, states changed %v", lms[0], states[0] != before[0])
	}
}

func TestSmoothWorldLandmarks(t *testing.T) {
	t.Parallel()
	p := PoseWorldLandmarkFilter()
	states := make([]OneEuroState, 6)
	ref := make([]OneEuroState, 1)
	// World landmarks are filtered in metres with no value scaling, whatever their extent.
	for i, x := range []float32{0.1, 0.3, 0.3} {
		ts := int64(i+1) * frameNs
		lms := []WorldLandmark{{X: x, Y: 0.2, Z: -0.1, Visibility: 0.5}, {X: x, Y: 0.2, Z: 0}}
		SmoothWorldLandmarks(p, states, lms, ts)
		if want := p.Filter(&ref[0], ts, x, 1); lms[0].X != want || lms[1].X != want || lms[0].Visibility != 0.5 {
			t.Errorf("sample %d: got %+v, want x %g", i, lms, want)
		}
	}
	// With value scaling, a set of landmarks of no extent is passed through.
	p.DisableValueScaling = false
	lms := []WorldLandmark{{X: 5, Y: 5}, {X: 5, Y: 5}}
	SmoothWorldLandmarks(p, states, lms, 9*frameNs)
	if lms[0].X != 5 || states[0].LastTimeNs != 3*frameNs {
		t.Errorf("zero extent: got %+v, state time %d", lms, states[0].LastTimeNs)
	}
}

func TestSmoothVisibility(t *testing.T) {
	t.Parallel()
	states := make([]LowPassState, 2)
	world := make([]LowPassState, 1)
	for i, tt := range []struct{ in, want float32 }{{1, 1}, {0, 0.9}, {0, 0.81}} {
		lms := []Landmark{{X: 0.3, Visibility: tt.in}, {Visibility: 0.5}}
		SmoothVisibility(states, lms, 0.1)
		if !approx(float64(lms[0].Visibility), float64(tt.want), 1e-6) || lms[1].Visibility != 0.5 || lms[0].X != 0.3 {
			t.Errorf("%d: got %+v, want visibility %g", i, lms, tt.want)
		}
		wl := []WorldLandmark{{Visibility: tt.in}}
		SmoothWorldVisibility(world, wl, 0.1)
		if !approx(float64(wl[0].Visibility), float64(tt.want), 1e-6) {
			t.Errorf("%d: world visibility %g, want %g", i, wl[0].Visibility, tt.want)
		}
	}
}

func TestSmoothPanicsOnStateCount(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for 2 states on 1 landmark")
		}
	}()
	SmoothLandmarks(PoseLandmarkFilter(), make([]OneEuroState, 2), make([]Landmark, 1), 1, 1, 1, 1)
}

func TestObjectScale(t *testing.T) {
	t.Parallel()
	// 100 px apart on a 640x480 frame: the unscaled alignment rect is 200 px square.
	tests := []struct{ a, b Landmark }{
		{Landmark{X: 0.5, Y: 0.5}, Landmark{X: 0.5, Y: 0.5 - 100.0/480}},
		{Landmark{X: 0.5, Y: 0.5}, Landmark{X: 0.5 + 60.0/640, Y: 0.5 + 80.0/480}},
	}
	for i, tt := range tests {
		if got := ObjectScale(tt.a, tt.b, 640, 480); !approx(float64(got), 200, 1e-3) {
			t.Errorf("%d: got %g, want 200", i, got)
		}
	}
	if got := ObjectScale(Landmark{X: 0.5, Y: 0.5}, Landmark{X: 0.5, Y: 0.5}, 640, 480); got != 0 {
		t.Errorf("coincident: got %g, want 0", got)
	}
}

func TestFilterParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p                   OneEuroParams
		minCutoff, beta     float64
		disableValueScaling bool
	}{
		{PoseLandmarkFilter(), 0.05, 80, false},
		{PoseWorldLandmarkFilter(), 0.1, 40, true},
		{PoseAuxLandmarkFilter(), 0.01, 10, false},
	}
	for i, tt := range tests {
		if tt.p.Frequency != 30 || !approx(tt.p.MinCutoff, tt.minCutoff, 1e-8) || tt.p.Beta != tt.beta ||
			tt.p.DerivateCutoff != 1 || tt.p.DisableValueScaling != tt.disableValueScaling {
			t.Errorf("%d: %+v", i, tt.p)
		}
		if tt.p.MinCutoff != float64(float32(tt.minCutoff)) {
			t.Errorf("%d: min cutoff %v is not the proto's float32 %v", i, tt.p.MinCutoff, float32(tt.minCutoff))
		}
	}
}

func BenchmarkSmoothLandmarks(b *testing.B) {
	p := PoseLandmarkFilter()
	states := make([]OneEuroState, 3*benchLandmarks)
	var frames [2][benchLandmarks]Landmark // a landmark set jittering between two poses
	for i := range benchLandmarks {
		frames[0][i] = Landmark{X: 0.5 + 0.01*float32(i), Y: 0.4, Z: -0.1, Visibility: 0.9}
		frames[1][i] = Landmark{X: 0.503 + 0.01*float32(i), Y: 0.401, Z: -0.11, Visibility: 0.8}
	}
	var lms [benchLandmarks]Landmark
	b.ReportAllocs()
	ts := int64(0)
	for b.Loop() {
		ts += frameNs
		lms = frames[ts/frameNs%2]
		SmoothLandmarks(p, states, lms[:], ts, 640, 480, 220)
	}
}

// benchLandmarks is MediaPipe Pose's 33 landmarks.
const benchLandmarks = 33
