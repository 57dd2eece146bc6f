package analytics

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

var testSpec = WindowSpec{Size: time.Second, Grace: 500 * ms}

func TestApplyOutOfOrder(t *testing.T) {
	t.Parallel()
	var st UserState
	var out Output
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	for _, at := range []time.Duration{100 * ms, 300 * ms, 200 * ms, 300 * ms, 400 * ms} {
		ev := worldSide.event("u", "c", 0, at, stand)
		st.Apply("u", &ev, testSpec, &out)
	}
	if st.Events != 5 || st.OutOfOrder != 2 || !st.LastAt.Equal(t0.Add(400*ms)) {
		t.Errorf("events %d out of order %d last %v, want 5, 2, 400ms", st.Events, st.OutOfOrder, st.LastAt.Sub(t0))
	}
	if w := st.Windows.Open; len(w) != 1 || w[0].Frames != 5 {
		t.Errorf("windows %+v, want one with 5 frames", w)
	}
}

func TestEventTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		captured, processed time.Time
		want                time.Time
		ok                  bool
	}{
		{"captured", t0, t0.Add(time.Second), t0, true},
		{"no capture time: processing time", time.Time{}, t0, t0, true},
		{"no time at all", time.Time{}, time.Time{}, time.Time{}, false},
		{"camera clock ahead", t0.Add(2 * time.Minute), t0, time.Time{}, false},
		{"camera clock a little ahead", t0.Add(30 * time.Second), t0, t0.Add(30 * time.Second), true},
		{"before 1970", time.Unix(-1, 0), time.Time{}, time.Time{}, false},
		{"year 3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, time.Time{}, false},
	}
	for i, c := range cases {
		got, ok := EventTime(&schemas.KeypointEvent{CapturedAt: c.captured, ProcessedAt: c.processed})
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%d %s: %v %v, want %v %v", i, c.name, got, ok, c.want, c.ok)
		}
	}
	var st UserState
	var out Output
	ev := schemas.KeypointEvent{Status: schemas.StatusNoPerson}
	st.Apply("u", &ev, testSpec, &out)
	if st.Events != 1 || st.Invalid != 1 || len(st.Windows.Open) != 0 {
		t.Errorf("event without time: %+v", st)
	}
}

// TestApplyPostureSeconds: the time between events goes to the earlier event's posture, capped
// per gap, and adds up across windows.
func TestApplyPostureSeconds(t *testing.T) {
	t.Parallel()
	var st UserState
	var out Output
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	sit := worldSide.pose(stance{thigh: 90, shin: 5, torso: 5}, 0.5, 0.7, nil)
	at := time.Duration(0)
	for ; at < 600*ms; at += 100 * ms {
		ev := worldSide.event("u", "c", 0, at, stand)
		st.Apply("u", &ev, testSpec, &out)
	}
	for ; at <= 1500*ms; at += 100 * ms { // sitting from 0.6 s, across the 1 s boundary
		ev := worldSide.event("u", "c", 0, at, sit)
		st.Apply("u", &ev, testSpec, &out)
	}
	ev := worldSide.event("u", "c", 0, 5*time.Second, nil) // 3.5 s later: only 1 s counts
	st.Apply("u", &ev, testSpec, &out)
	if len(out.Stats) != 2 {
		t.Fatalf("%d windows closed, want 2", len(out.Stats))
	}
	want := []map[string]float32{{"STANDING": 0.6, "SITTING": 0.4}, {"SITTING": 1.0}}
	for k, s := range out.Stats {
		if len(s.PostureSeconds) != len(want[k]) {
			t.Errorf("window %d: %v, want %v", k, s.PostureSeconds, want[k])
		}
		for p, sec := range want[k] {
			if math.Abs(float64(s.PostureSeconds[p]-sec)) > 1e-4 {
				t.Errorf("window %d: %v, want %v", k, s.PostureSeconds, want[k])
			}
		}
	}
	// A 4 s gap inside one window counts as 1 s.
	st, out = UserState{}, Output{}
	spec := WindowSpec{Size: 10 * time.Second}
	for _, at := range []time.Duration{0, 4 * time.Second, 10 * time.Second} {
		ev := worldSide.event("u", "c", 0, at, stand)
		st.Apply("u", &ev, spec, &out)
	}
	if len(out.Stats) != 1 || out.Stats[0].PostureSeconds["STANDING"] != 2 {
		t.Errorf("stats %+v, want 2 s STANDING", out.Stats)
	}
}

func TestMotion(t *testing.T) {
	t.Parallel()
	pose := func(dx, dy float32) *schemas.Pose {
		p := &schemas.Pose{Landmarks: make([]schemas.Landmark, numLandmarks)}
		for i := range p.Landmarks {
			p.Landmarks[i] = schemas.Landmark{X: 0.3 + dx, Y: 0.2 + dy, Visibility: 0.9}
		}
		return p
	}
	var m Motion
	steps := []struct {
		at       time.Duration
		p        *schemas.Pose
		detected bool
		want     float64
		ok       bool
	}{
		{0, pose(0, 0), true, 0, false},
		{100 * ms, pose(0.01, 0.02), true, 0.1*0.1 + 0.2*0.2, true}, // (0.1, 0.2)/s
		{200 * ms, pose(0.01, 0.02), true, 0, true},                 // still
		{300 * ms, nil, false, 0, false},                            // nobody: no pair across it
		{400 * ms, pose(0.5, 0.5), true, 0, false},
		{1500 * ms, pose(0.6, 0.5), true, 0, false}, // more than a second apart
		{1600 * ms, pose(0.6, 0.5), true, 0, true},
	}
	for i, s := range steps {
		got, ok := m.Update(t0.Add(s.at), s.p, s.detected)
		if ok != s.ok || math.Abs(got-s.want) > 1e-6 {
			t.Errorf("%d: %.6f %v, want %.6f %v", i, got, ok, s.want, s.ok)
		}
	}
}

// TestApplySquatsActions runs the squat sequence through Apply: 5 REPs counting 1..5, posture
// changes alternating between STANDING and SQUATTING, no FALL.
func TestApplySquatsActions(t *testing.T) {
	t.Parallel()
	var st UserState
	var out Output
	for i, f := range squatFrames(worldSide, 3) {
		ev := worldSide.event("u", "c", int64(i), f.at, f.pose)
		st.Apply("u", &ev, WindowSpec{Size: 2 * time.Second}, &out)
	}
	var reps []int32
	var postures []schemas.Posture
	for _, a := range out.Actions {
		switch a.Kind {
		case schemas.ActionRep:
			if a.Exercise != "SQUAT" {
				t.Errorf("rep of %s", a.Exercise)
			}
			reps = append(reps, a.RepCount)
		case schemas.ActionPostureChanged:
			if len(postures) > 0 && a.PreviousPosture != postures[len(postures)-1] {
				t.Errorf("posture change from %s after a change to %s", a.PreviousPosture, postures[len(postures)-1])
			}
			postures = append(postures, a.Posture)
		default:
			t.Errorf("unexpected %s", a.Kind)
		}
	}
	if len(reps) != 5 || reps[0] != 1 || reps[4] != 5 {
		t.Errorf("reps %v, want 1..5", reps)
	}
	if len(postures) != 11 {
		t.Errorf("posture changes %v, want 11: STANDING then SQUATTING/STANDING 5 times", postures)
	}
	for k, p := range postures {
		want := schemas.PostureStanding
		if k%2 == 1 {
			want = schemas.PostureSquatting
		}
		if p != want {
			t.Errorf("posture change %d to %s, want %s", k, p, want)
		}
	}
	var sum int32
	for _, s := range out.Stats {
		sum += s.Reps["SQUAT"]
		if s.MotionEnergy <= 0 || s.MeanAngles["left_knee"] < 80 || s.MeanAngles["left_knee"] > 170 {
			t.Errorf("window %v: motion %.4f, knee %.1f", s.WindowStart.Sub(t0), s.MotionEnergy, s.MeanAngles["left_knee"])
		}
	}
	if sum != 5 || len(out.Stats) != 5 {
		t.Errorf("%d windows with %d reps, want 5 and 5", len(out.Stats), sum)
	}
}

// FuzzApply: whatever numbers a keypoint event carries (NaN, infinities, huge values, any
// visibility), Apply neither panics nor leaves the state unencodable, and trim makes the event
// encodable for the loopback topic.
func FuzzApply(f *testing.F) {
	f.Add(float32(0.5), float32(0.5), float32(0), float32(0.9), int64(0), uint8(0))
	f.Add(float32(math.NaN()), float32(math.Inf(1)), float32(1e38), float32(1), int64(1e9), uint8(7))
	f.Add(float32(-1e30), float32(3), float32(-0), float32(math.NaN()), int64(-5e9), uint8(255))
	f.Fuzz(func(t *testing.T, x, y, z, vis float32, dt int64, which uint8) {
		var st UserState
		var out Output
		for k := range 4 {
			p := worldSide.pose(squatStance(90+20*float64(k)), 0.5, 0.5, nil)
			for i := range numLandmarks {
				if (i+k)%int(which%7+1) == 0 {
					p.Landmarks[i] = schemas.Landmark{X: x, Y: y, Z: z, Visibility: vis, Presence: vis}
					p.WorldLandmarks[i] = schemas.Point{X: x * 3, Y: y, Z: z, Visibility: vis}
				}
			}
			ev := worldSide.event("u", "c", int64(k), time.Duration(k)*time.Duration(dt), p)
			ev.ProcessingMs = x
			trim(&ev)
			if _, err := (codecs.JSON[schemas.KeypointEvent]{}).Encode(&ev); err != nil {
				t.Fatalf("trimmed event does not encode: %v", err)
			}
			st.Apply("u", &ev, testSpec, &out)
			if _, err := json.Marshal(&st); err != nil {
				t.Fatalf("state does not encode: %v", err)
			}
		}
	})
}
