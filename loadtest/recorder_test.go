package loadtest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	for i, c := range []struct {
		v    []float64
		p    float64
		want float64
	}{
		{nil, 50, 0},
		{[]float64{7}, 50, 7},
		{[]float64{7}, 99, 7},
		{ten, 50, 5}, // nearest rank: ceil(0.5*10) = 5th
		{ten, 95, 10},
		{ten, 10, 1},
		{ten, 100, 10},
		{hundred, 50, 50},
		{hundred, 95, 95},
		{hundred, 99, 99},
		{[]float64{1.04, 1.06}, 100, 1.1}, // rounded to 0.1 ms
	} {
		if got := Percentile(c.v, c.p); got != c.want {
			t.Errorf("%d: p%v of %d values = %v, want %v", i, c.p, len(c.v), got, c.want)
		}
	}
}

// FuzzSummarizeOrdered: for any values, p50 <= p95 <= p99 <= max and the mean lies between the
// smallest value and the largest.
func FuzzSummarizeOrdered(f *testing.F) {
	f.Add(int64(1), 10)
	f.Add(int64(7), 1)
	f.Fuzz(func(t *testing.T, seed int64, n int) {
		n = n%500 + 1
		if n < 1 {
			n += 500
		}
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		v := make([]float64, n)
		for i := range v {
			v[i] = r.ExpFloat64() * 100
		}
		l := Summarize(v)
		if !(l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) || l.Count != n {
			t.Fatalf("%+v not ordered", l)
		}
	})
}

func TestParseRamp(t *testing.T) {
	t.Parallel()
	for i, c := range []struct {
		in   string
		want []StepSpec
		ok   bool
	}{
		{"1x5,2x5, 8X10", []StepSpec{{1, 5}, {2, 5}, {8, 10}}, true},
		{"3x2.5", []StepSpec{{3, 2.5}}, true},
		{"", nil, false},
		{"4", nil, false},
		{"0x5", nil, false},
		{"2x0", nil, false},
		{"2x-1", nil, false},
		{"axb", nil, false},
		{"1.5x5", nil, false},
	} {
		got, err := ParseRamp(c.in)
		if (err == nil) != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%d: ParseRamp(%q) = %v, %v", i, c.in, got, err)
		}
	}
	if s := (StepSpec{4, 2.5}).String(); s != "4x2.5" {
		t.Errorf("String = %q", s)
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// TestRecorderAggregates follows a scripted step of 4 s with 1 s of warmup: per-second buckets
// by wall clock, percentiles of the frames sent after the warmup, throughput, the outcomes and
// the accounting invariant, frames of other traffic ignored.
func TestRecorderAggregates(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	r.BeginStep(StepSpec{Cameras: 2, FPS: 2}, []string{"a", "b"}, t0, 4*time.Second, time.Second)
	// Eight frames: two cameras, 2 fps, sent at 0, 0.5, ... 3.5 s alternately.
	for i := 0; i < 8; i++ {
		cam := []string{"a", "b"}[i%2]
		id := FrameID{cam, int64(i/2 + 1)}
		if !r.Sent(id, at(float64(i)*0.5)) {
			t.Fatalf("frame %v: camera unknown", id)
		}
		if i != 7 {
			r.Acked(id)
		}
	}
	r.Failed(FrameID{"b", 4}, "produce") // the 8th: sent, never acknowledged
	if r.Sent(FrameID{"other", 1}, at(1)) {
		t.Error("a camera of no step was taken")
	}
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	// Outcomes: a1 in the warmup (no latency), a2 100 ms, b2 200 ms, a3 dead letter, b3 stale,
	// a4 emitted twice, b1 nothing (unaccounted).
	r.Outcome(FrameID{"a", 1}, Emitted, at(0.05), ms(50), true)
	r.Outcome(FrameID{"a", 2}, Emitted, at(1.1), ms(100), true)
	r.Outcome(FrameID{"b", 2}, Emitted, at(1.7), ms(200), false)
	r.Outcome(FrameID{"a", 3}, DeadLettered, at(2.1), 0, false)
	r.Outcome(FrameID{"b", 3}, Stale, at(2.6), 0, false)
	r.Outcome(FrameID{"a", 4}, Emitted, at(3.2), ms(300), true)
	r.Outcome(FrameID{"a", 4}, Emitted, at(3.3), ms(400), true)
	if r.Outcome(FrameID{"other", 9}, Emitted, at(2), ms(1), true) {
		t.Error("an output of other traffic was taken")
	}
	r.Sample(Sample{At: at(0.9), Lag: ptr(int64(3)), CPUCores: ptr(0.5), RSSMB: ptr(100.0)})
	r.Sample(Sample{At: at(1.9), Lag: ptr(int64(7)), CPUCores: ptr(1.0), RSSMB: ptr(120.0)})
	r.Sample(Sample{At: at(2.9), Lag: ptr(int64(2)), CPUCores: ptr(2.0), RSSMB: ptr(110.0)})
	r.Sample(Sample{At: at(9)}) // after the step: dropped
	if p := r.Pending(); p != 1 {
		t.Errorf("Pending = %d, want 1 (b1)", p)
	}

	rep := r.Report(Run{ID: "x"})
	s := rep.Steps[0]
	want := Step{Index: 1, Cameras: 2, FPS: 2, OfferedFPS: 4, Start: t0, DurationS: 4, WarmupS: 1,
		Counts: Counts{Sent: 8, Acknowledged: 7, Emitted: 4, Detected: 3, DeadLettered: 1, Stale: 1, Unaccounted: 1, RepeatedOutputs: 1,
			Errors: map[string]int64{"produce": 1}},
		SentFPS: 2, ThroughputFPS: 1.33,
		LatencyMs: Latency{Count: 3, Mean: 200, P50: 200, P95: 300, P99: 300, Max: 300},
		Lag:       &Lag{Max: 7, Last: 2}, CPU: &CPU{Mean: 1.5, Max: 2}, RSSMBMax: ptr(120.0)}
	series := s.Series
	s.Series = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("step\n got %+v\nwant %+v", s, want)
	}
	if !s.Balanced() {
		t.Error("step not balanced")
	}
	type sec struct {
		warm            bool
		sent, processed int
		p50             float64
	}
	wantSecs := []sec{{true, 2, 1, 50}, {false, 2, 2, 100}, {false, 2, 1, 0}, {false, 2, 1, 300}}
	if len(series) != len(wantSecs) {
		t.Fatalf("%d seconds, want %d", len(series), len(wantSecs))
	}
	for i, w := range wantSecs {
		g := series[i]
		p50 := 0.0
		if g.P50 != nil {
			p50 = *g.P50
		}
		if g.T != i || g.Warmup != w.warm || g.Sent != w.sent || g.Processed != w.processed || p50 != w.p50 {
			t.Errorf("second %d: %+v (p50 %v), want %+v", i, g, p50, w)
		}
	}
	if series[2].P95 != nil || series[1].Lag == nil || *series[1].Lag != 7 {
		t.Errorf("second 2 has a p95 without a keypoint, or second 1 no lag: %+v %+v", series[2], series[1])
	}

	tot := rep.Totals
	if tot.Accounted || tot.Unaccounted != 1 || tot.Emitted != 4 || tot.Errors["produce"] != 1 || len(tot.Problems) != 2 {
		t.Errorf("totals %+v", tot)
	}
	if rep.OK() {
		t.Error("report with an unaccounted frame and a produce error is OK")
	}
}

// TestRecorderSeriesByWallClock: a frame sent in step 1 and processed during step 2 is
// throughput of step 2 and latency of step 1.
func TestRecorderSeriesByWallClock(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	r.BeginStep(StepSpec{1, 1}, []string{"s1"}, t0, 2*time.Second, 0)
	r.Sent(FrameID{"s1", 1}, at(1.5))
	r.Acked(FrameID{"s1", 1})
	r.BeginStep(StepSpec{1, 1}, []string{"s2"}, at(2), 2*time.Second, 0)
	r.Outcome(FrameID{"s1", 1}, Emitted, at(2.5), 1000*time.Millisecond, true)
	steps := r.Steps()
	if steps[0].Emitted != 1 || steps[0].LatencyMs.P50 != 1000 || steps[0].ThroughputFPS != 0 {
		t.Errorf("step 1: %+v", steps[0])
	}
	if steps[1].Emitted != 0 || steps[1].ThroughputFPS != 0.5 || steps[1].Series[0].Processed != 1 || *steps[1].Series[0].P99 != 1000 {
		t.Errorf("step 2: %+v", steps[1])
	}
}

// TestRecorderCameraCounts: stale and duplicate counts reported per camera (processors running
// elsewhere) are assigned to that camera's frames without an outcome, never beyond them.
func TestRecorderCameraCounts(t *testing.T) {
	t.Parallel()
	for i, c := range []struct {
		stale, dup                   int64
		wantStale, wantDup, wantLeft int64
	}{
		{0, 0, 0, 0, 3},
		{2, 0, 2, 0, 1},
		{1, 1, 1, 1, 1},
		{2, 5, 2, 1, 0},
		{9, 9, 3, 0, 0},
	} {
		r := NewRecorder()
		r.BeginStep(StepSpec{1, 1}, []string{"c"}, t0, 10*time.Second, 0)
		for s := int64(1); s <= 4; s++ {
			r.Sent(FrameID{"c", s}, at(float64(s)))
			r.Acked(FrameID{"c", s})
		}
		r.Outcome(FrameID{"c", 1}, Emitted, at(5), time.Millisecond, false)
		r.CameraCounts("c", c.stale, c.dup)
		s := r.Steps()[0]
		if s.Stale != c.wantStale || s.Duplicate != c.wantDup || s.Unaccounted != c.wantLeft || !s.Balanced() || r.Pending() != c.wantLeft {
			t.Errorf("%d: stale %d dup %d unaccounted %d pending %d balanced %v", i, s.Stale, s.Duplicate, s.Unaccounted, r.Pending(), s.Balanced())
		}
	}
}

// TestReportProblems: load shedding is reported but does not fail the run; other errors and
// unaccounted frames do.
func TestReportProblems(t *testing.T) {
	t.Parallel()
	for i, c := range []struct {
		step Step
		ok   bool
	}{
		{Step{Counts: Counts{Acknowledged: 3, Emitted: 3}}, true},
		{Step{Counts: Counts{Sent: 5, Acknowledged: 3, Emitted: 1, Rejected: 2, Errors: map[string]int64{"http_503": 1, "http_429": 1, "dropped_by_client": 2}}}, true},
		{Step{Counts: Counts{Acknowledged: 3, Emitted: 2, Rejected: 1, Errors: map[string]int64{"http_500": 1}}}, false},
		{Step{Counts: Counts{Acknowledged: 3, Emitted: 2, Unaccounted: 1}}, false},
		{Step{Counts: Counts{Acknowledged: 3, Emitted: 2}}, false}, // does not add up
	} {
		rep := &Report{Steps: []Step{c.step}}
		rep.total(nil)
		if rep.OK() != c.ok {
			t.Errorf("%d: OK = %v, problems %v", i, rep.OK(), rep.Totals.Problems)
		}
	}
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	cams := []string{"a", "b", "c", "d"}
	r.BeginStep(StepSpec{4, 100}, cams, time.Now(), time.Minute, 0)
	done := make(chan struct{})
	for _, c := range cams {
		go func() {
			defer func() { done <- struct{}{} }()
			for s := int64(1); s <= 200; s++ {
				id := FrameID{c, s}
				r.Sent(id, time.Now())
				r.Acked(id)
				r.Outcome(id, Emitted, time.Now(), time.Millisecond, true)
				_ = r.Live(time.Now())
			}
		}()
	}
	for range cams {
		<-done
	}
	s := r.Steps()[0]
	if s.Emitted != 800 || s.Acknowledged != 800 || !s.Balanced() {
		t.Errorf("%+v", fmt.Sprint(s.Emitted, s.Acknowledged))
	}
}
