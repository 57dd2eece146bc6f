package analytics

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

const ms = time.Millisecond

// feed assigns, counts and advances one event per time, returning the windows closed.
func feed(ws *Windows, spec WindowSpec, ats ...time.Duration) (closed []Window, dropped int) {
	for _, at := range ats {
		t := t0.Add(at)
		w, late := ws.Assign(t, spec)
		if w == nil {
			dropped++
		} else {
			w.Add(true, &Angles{})
			if late {
				w.Late++
			}
		}
		closed = ws.Advance(t, spec, closed)
	}
	return closed, dropped
}

func steps(from, to, step time.Duration) []time.Duration {
	var out []time.Duration
	for at := from; at < to; at += step {
		out = append(out, at)
	}
	return out
}

func TestWindows(t *testing.T) {
	t.Parallel()
	type want struct {
		start  time.Duration
		frames int32
		late   int32
	}
	spec := WindowSpec{Size: time.Second, Grace: 500 * ms}
	cases := []struct {
		name    string
		spec    WindowSpec
		ats     []time.Duration
		closed  []want
		open    int
		dropped int
	}{
		{"three windows, two closed", spec, steps(0, 3*time.Second, 100*ms),
			[]want{{0, 10, 0}, {time.Second, 10, 0}}, 1, 0},
		{"watermark exactly at end+grace closes", spec, []time.Duration{0, 1500 * ms},
			[]want{{0, 1, 0}}, 1, 0},
		{"just before end+grace does not", spec, []time.Duration{0, 1499 * ms},
			nil, 2, 0},
		{"late within grace is taken", spec, []time.Duration{900 * ms, 1200 * ms, 950 * ms, 1500 * ms},
			[]want{{0, 2, 1}}, 1, 0},
		{"on time before the end is not late", spec, []time.Duration{100 * ms, 900 * ms, 500 * ms, 2 * time.Second},
			[]want{{0, 3, 0}}, 1, 0},
		{"beyond grace is dropped", spec, []time.Duration{900 * ms, 1600 * ms, 950 * ms},
			[]want{{0, 1, 0}}, 1, 1},
		{"late window that never opened is dropped", spec, []time.Duration{3 * time.Second, 1200 * ms},
			nil, 1, 1},
		{"late window that never opened, within grace", spec, []time.Duration{2200 * ms, 1900 * ms, 2600 * ms},
			[]want{{time.Second, 1, 1}}, 1, 0},
		{"gap in time closes everything before", spec, []time.Duration{0, 1100 * ms, time.Hour},
			[]want{{0, 1, 0}, {time.Second, 1, 0}}, 1, 0},
		{"zero grace", WindowSpec{Size: time.Second}, []time.Duration{0, 999 * ms, time.Second, 999 * ms},
			[]want{{0, 2, 0}}, 1, 1},
		{"max open bound closes the oldest early", WindowSpec{Size: time.Second, Grace: time.Hour, MaxOpen: 3},
			[]time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second},
			[]want{{0, 1, 0}, {time.Second, 1, 0}}, 3, 0},
		{"closed early is closed", WindowSpec{Size: time.Second, Grace: time.Hour, MaxOpen: 2},
			[]time.Duration{0, time.Second, 2 * time.Second, 500 * ms},
			[]want{{0, 1, 0}}, 2, 1},
		{"a long grace cannot open more than MaxOpen", WindowSpec{Size: time.Second, Grace: time.Hour},
			steps(0, 100*time.Second, 3*time.Second), []want{{0, 1, 0}, {3 * time.Second, 1, 0}, {6 * time.Second, 1, 0}, {9 * time.Second, 1, 0}, {12 * time.Second, 1, 0}, {15 * time.Second, 1, 0}, {18 * time.Second, 1, 0}, {21 * time.Second, 1, 0}, {24 * time.Second, 1, 0}, {27 * time.Second, 1, 0}, {30 * time.Second, 1, 0}, {33 * time.Second, 1, 0}, {36 * time.Second, 1, 0}, {39 * time.Second, 1, 0}, {42 * time.Second, 1, 0}, {45 * time.Second, 1, 0}, {48 * time.Second, 1, 0}, {51 * time.Second, 1, 0}},
			DefaultMaxOpen, 0},
	}
	for i, c := range cases {
		var ws Windows
		closed, dropped := feed(&ws, c.spec, c.ats...)
		if len(closed) != len(c.closed) {
			t.Errorf("%d %s: %d closed, want %d", i, c.name, len(closed), len(c.closed))
			continue
		}
		for k, w := range closed {
			wc := c.closed[k]
			if !w.Start.Equal(t0.Add(wc.start)) || w.End.Sub(w.Start) != c.spec.Size || w.Frames != wc.frames || w.Late != wc.late {
				t.Errorf("%d %s: closed %d = [%v, %v) frames %d late %d, want start %v frames %d late %d",
					i, c.name, k, w.Start.Sub(t0), w.End.Sub(t0), w.Frames, w.Late, wc.start, wc.frames, wc.late)
			}
		}
		if len(ws.Open) != c.open || dropped != c.dropped || ws.LateDropped != int64(c.dropped) {
			t.Errorf("%d %s: %d open, %d dropped (LateDropped %d), want %d open, %d dropped", i, c.name, len(ws.Open), dropped, ws.LateDropped, c.open, c.dropped)
		}
	}
}

// TestWindowsResized: windows opened with one size keep it; new ones never overlap them.
func TestWindowsResized(t *testing.T) {
	t.Parallel()
	var ws Windows
	feed(&ws, WindowSpec{Size: time.Second, Grace: time.Minute}, 500*ms)
	feed(&ws, WindowSpec{Size: 10 * time.Second, Grace: time.Minute}, 1500*ms, 700*ms)
	if len(ws.Open) != 2 {
		t.Fatalf("%d open windows", len(ws.Open))
	}
	a, b := ws.Open[0], ws.Open[1]
	if !a.Start.Equal(t0) || !a.End.Equal(t0.Add(time.Second)) || a.Frames != 2 ||
		!b.Start.Equal(t0.Add(time.Second)) || !b.End.Equal(t0.Add(10*time.Second)) || b.Frames != 1 {
		t.Errorf("windows [%v %v) %d, [%v %v) %d", a.Start.Sub(t0), a.End.Sub(t0), a.Frames, b.Start.Sub(t0), b.End.Sub(t0), b.Frames)
	}
}

func TestCreditPosture(t *testing.T) {
	t.Parallel()
	var ws Windows
	spec := WindowSpec{Size: time.Second, Grace: time.Second}
	feed(&ws, spec, 0, time.Second)
	ws.CreditPosture(t0.Add(800*ms), t0.Add(1300*ms), schemas.PostureSitting)
	k := postureIndex(schemas.PostureSitting)
	if a, b := ws.Open[0].PostureSeconds[k], ws.Open[1].PostureSeconds[k]; math.Abs(a-0.2) > 1e-9 || math.Abs(b-0.3) > 1e-9 {
		t.Errorf("credited %.3f s and %.3f s, want 0.2 and 0.3", a, b)
	}
}

func TestWindowStats(t *testing.T) {
	t.Parallel()
	w := Window{Start: t0, End: t0.Add(time.Second), Frames: 4, Late: 1, Falls: 1, MotionSum: 0.03, MotionN: 2}
	a := Angles{}
	a.Deg[LeftKnee], a.Valid[LeftKnee] = 100, true
	w.Add(true, &a)
	a.Deg[LeftKnee] = 160
	a.Deg[Torso], a.Valid[Torso] = 10, true
	w.Add(true, &a)
	w.Add(false, &a)
	w.PostureSeconds[postureIndex(schemas.PostureStanding)] = 0.25
	w.Reps[JumpingJack] = 2
	s := w.Stats("alice")
	want := schemas.PoseStats{
		UserID: "alice", WindowStart: t0, WindowEnd: t0.Add(time.Second),
		Frames: 7, Detected: 2, DetectionRate: 2.0 / 7, MotionEnergy: 0.015, Falls: 1, LateEvents: 1,
		MeanAngles:     map[string]float32{"left_knee": 130, "torso": 10},
		PostureSeconds: map[string]float32{"STANDING": 0.25},
		Reps:           map[string]int32{"JUMPING_JACK": 2},
	}
	if !equalStats(s, want) {
		t.Errorf("stats\n%+v\nwant\n%+v", s, want)
	}
	empty := (&Window{}).Stats("bob")
	if empty.MeanAngles == nil || empty.PostureSeconds == nil || empty.Reps == nil || empty.DetectionRate != 0 {
		t.Errorf("empty window stats %+v", empty)
	}
}

func equalStats(a, b schemas.PoseStats) bool {
	eqMap := func(x, y map[string]float32) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || math.Abs(float64(v-w)) > 1e-4 {
				return false
			}
		}
		return true
	}
	if len(a.Reps) != len(b.Reps) {
		return false
	}
	for k, v := range a.Reps {
		if b.Reps[k] != v {
			return false
		}
	}
	return a.UserID == b.UserID && a.WindowStart.Equal(b.WindowStart) && a.WindowEnd.Equal(b.WindowEnd) &&
		a.Frames == b.Frames && a.Detected == b.Detected && math.Abs(float64(a.DetectionRate-b.DetectionRate)) < 1e-6 &&
		math.Abs(float64(a.MotionEnergy-b.MotionEnergy)) < 1e-6 && a.Falls == b.Falls && a.LateEvents == b.LateEvents &&
		eqMap(a.MeanAngles, b.MeanAngles) && eqMap(a.PostureSeconds, b.PostureSeconds)
}

func TestAlign(t *testing.T) {
	t.Parallel()
	cases := []struct {
		t    time.Time
		size time.Duration
		want time.Time
	}{
		{time.Unix(7, 500), time.Second, time.Unix(7, 0)},
		{time.Unix(60, 0), time.Minute, time.Unix(60, 0)},
		{time.Unix(119, 999999999), time.Minute, time.Unix(60, 0)},
		{time.Unix(1000, 0), 7 * time.Second, time.Unix(994, 0)},
	}
	for i, c := range cases {
		if got := align(c.t, c.size); !got.Equal(c.want) {
			t.Errorf("%d: align(%v, %v) = %v, want %v", i, c.t.Unix(), c.size, got.Unix(), c.want.Unix())
		}
	}
}

// TestFlushIdle: a user who stops sending gets its windows closed once its stream time, gone on
// at the wall clock's pace since its watermark last moved, passes their end plus grace; the
// watermark itself stays, and events for a flushed window are late as after Advance.
func TestFlushIdle(t *testing.T) {
	t.Parallel()
	spec := WindowSpec{Size: time.Second, Grace: 500 * ms}
	// The wall clock runs an hour ahead of the events: only the time since the watermark
	// last moved counts, not the distance between the two clocks.
	wall := t0.Add(time.Hour)
	// Events at 0.2 s and 1.2 s (the last seen at wall): [0 s, 1 s) and [1 s, 2 s) are open.
	fresh := func() Windows {
		var ws Windows
		feed(&ws, spec, 200*ms, 1200*ms)
		ws.SeenAt = wall
		return ws
	}
	cases := []struct {
		name      string
		now       time.Duration // after wall
		notBefore time.Duration // after wall; 0: none
		closed    []time.Duration
	}{
		{"not yet idle long enough", 299 * ms, 0, nil},
		{"stream time at end+grace closes", 300 * ms, 0, []time.Duration{0}},
		{"and on, both", 1300 * ms, 0, []time.Duration{0, time.Second}},
		{"held back by notBefore", 1300 * ms, time.Second, []time.Duration{0}},
		{"held back until now", 1300 * ms, 1300 * ms, nil},
		{"a clock behind SeenAt", -time.Minute, 0, nil},
	}
	for _, c := range cases {
		ws := fresh()
		var notBefore time.Time
		if c.notBefore != 0 {
			notBefore = wall.Add(c.notBefore)
		}
		closed := ws.FlushIdle(wall.Add(c.now), notBefore, spec, nil)
		var starts []time.Duration
		for _, w := range closed {
			starts = append(starts, w.Start.Sub(t0))
		}
		if !slices.Equal(starts, c.closed) {
			t.Errorf("%s: closed windows starting at %v, want %v", c.name, starts, c.closed)
		}
		if len(ws.Open)+len(closed) != 2 || !ws.Watermark.Equal(t0.Add(1200*ms)) || !ws.SeenAt.Equal(wall) {
			t.Errorf("%s: %d open and %d closed, watermark %v, seen at %v: want 2 windows in all, the watermark and SeenAt untouched",
				c.name, len(ws.Open), len(closed), ws.Watermark.Sub(t0), ws.SeenAt.Sub(wall))
		}
		if len(closed) > 0 && !ws.ClosedThrough.Equal(closed[len(closed)-1].End) {
			t.Errorf("%s: closed through %v, want the end of the last closed window", c.name, ws.ClosedThrough.Sub(t0))
		}
	}

	// Due when FlushIdle would close the oldest window, not before.
	ws := fresh()
	if at, ok := ws.IdleDue(time.Time{}, spec); !ok || !at.Equal(wall.Add(300*ms)) {
		t.Errorf("IdleDue = %v, %v; want wall + 300 ms", at.Sub(wall), ok)
	}
	if at, ok := ws.IdleDue(wall.Add(time.Second), spec); !ok || !at.Equal(wall.Add(1300*ms)) {
		t.Errorf("IdleDue held back a second = %v, %v; want wall + 1.3 s", at.Sub(wall), ok)
	}
	if _, ok := (&Windows{}).IdleDue(time.Time{}, spec); ok {
		t.Error("IdleDue without open windows says one is due")
	}

	// Flushed, then again: nothing more; then events: one for the flushed window is late, one for
	// a window that never opened yet is taken.
	if n := len(ws.FlushIdle(wall.Add(300*ms), time.Time{}, spec, nil)); n != 1 {
		t.Fatalf("first flush closed %d windows, want 1", n)
	}
	before := ws
	before.Open = slices.Clone(ws.Open)
	if n := len(ws.FlushIdle(wall.Add(300*ms), time.Time{}, spec, nil)); n != 0 || !reflect.DeepEqual(ws, before) {
		t.Errorf("second flush closed %d windows or changed the state: %+v, want %+v", n, ws, before)
	}
	closed, dropped := feed(&ws, spec, 900*ms, 2100*ms)
	if dropped != 1 || ws.LateDropped != 1 || len(closed) != 0 || len(ws.Open) != 2 {
		t.Errorf("after the flush: %d dropped (LateDropped %d), %d closed, %d open; want the event at 0.9 s dropped late, 2 open",
			dropped, ws.LateDropped, len(closed), len(ws.Open))
	}
}
