package analytics

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/holostream/holostream/schemas"
)

// withPeople makes ev an event of several people: each pose a person with track id ids[i], the
// event's own landmarks people[0]'s, as the landmarks processor writes it.
func withPeople(ev schemas.KeypointEvent, ids []int64, poses ...*schemas.Pose) schemas.KeypointEvent {
	ev.People = nil
	for i, p := range poses {
		// Face and hands, which the loopback drops.
		ev.People = append(ev.People, schemas.Person{ID: ids[i], Landmarks: schemas.Landmarks{Pose: p, Face: make([]schemas.Point, 478)}})
	}
	ev.Landmarks = ev.People[0].Landmarks
	ev.Status = schemas.StatusDetected
	return ev
}

func TestPersonKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		user, cam string
		id        int64
		want      string
	}{
		{"", "cam-1", 2, "cam-1#2"},
		{"cam-1", "cam-1", 2, "cam-1#2"},
		{"ann", "cam-1", 17, "ann#cam-1#17"},
	} {
		if got := PersonKey(&schemas.KeypointEvent{UserID: c.user, CameraID: c.cam}, c.id); got != c.want {
			t.Errorf("user %q camera %q id %d: %q, want %q", c.user, c.cam, c.id, got, c.want)
		}
	}
}

// TestProcessorPeople: with several people per camera each person is a user of its own, keyed by
// PersonKey: person 1 squats and gets the reps, the same as alone in one-person mode; person 2
// stands and gets none; each one's windows count its own frames; the user's key gets nothing
// while people are present, and the frames without anybody.
func TestProcessorPeople(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	alone := newHarness(t, 10*time.Second, time.Second)
	squat := squatFrames(worldSide, 11)
	stand := worldSide.pose(stance{}, 0.3, 0.5, nil)
	for i, f := range squat {
		ev := worldSide.event("ann", "cam-1", int64(i), f.at, nil)
		alone.send(worldSide.event("ann", "cam-1", int64(i), f.at, f.pose))
		if i >= 150 {
			// Person 2 walks out halfway (the tracker drops them), person 1 stays.
			h.send(withPeople(ev, []int64{1}, f.pose))
			continue
		}
		// Most confident first: the order changes, the ids do not.
		if i%2 == 0 {
			h.send(withPeople(ev, []int64{1, 2}, f.pose, stand))
		} else {
			h.send(withPeople(ev, []int64{2, 1}, stand, f.pose))
		}
	}
	// Nobody, then both again and nobody again, to close the windows.
	h.send(worldSide.event("ann", "cam-1", 400, 15*time.Second, nil))
	h.send(withPeople(worldSide.event("ann", "cam-1", 401, 25*time.Second, nil), []int64{2, 1}, stand, stand))
	alone.send(worldSide.event("ann", "cam-1", 401, 25*time.Second, stand))
	h.send(worldSide.event("ann", "cam-1", 402, 25100*ms, nil))

	const p1, p2 = "ann#cam-1#1", "ann#cam-1#2"
	actions := map[string][]schemas.ActionEvent{}
	for _, a := range h.nextActions() {
		actions[a.UserID] = append(actions[a.UserID], a)
	}
	reps := kinds(actions[p1], schemas.ActionRep)
	if len(reps) != 5 {
		t.Fatalf("person 1: %d reps, want 5: %+v", len(reps), reps)
	}
	// Person 1's actions are those of the same frames alone, but for the user id.
	want := alone.nextActions()
	for i := range want {
		want[i].UserID = p1
	}
	if !reflect.DeepEqual(actions[p1], want) {
		t.Errorf("person 1's actions differ from the same person's alone:\n%+v\nwant\n%+v", actions[p1], want)
	}
	if n := len(kinds(actions[p2], schemas.ActionRep)); n != 0 || len(actions[p2]) == 0 {
		t.Errorf("person 2: %d reps of %d actions, want none of some (standing)", n, len(actions[p2]))
	}
	if as := actions["ann"]; len(as) != 0 {
		t.Errorf("the user's key got actions %+v", as)
	}
	for _, a := range actions[p2] {
		if a.CameraID != "cam-1" || a.Kind != schemas.ActionPostureChanged || a.Posture != schemas.PostureStanding {
			t.Errorf("person 2's action %+v, want STANDING on cam-1", a)
		}
	}

	type win struct {
		start          time.Duration
		frames, detect int32
		reps           int32
	}
	stats := map[string][]win{}
	for _, s := range h.nextStats() {
		stats[s.UserID] = append(stats[s.UserID], win{s.WindowStart.Sub(t0), s.Frames, s.Detected, s.Reps["SQUAT"]})
	}
	for key, want := range map[string][]win{
		p1:    {{0, 300, 300, 5}, {10 * time.Second, 1, 1, 0}},
		p2:    {{0, 150, 150, 0}},
		"ann": {{10 * time.Second, 1, 0, 0}}, // the frame without anybody
	} {
		if got := stats[key]; !slices.Equal(got, want) {
			t.Errorf("%s's windows %+v, want %+v", key, got, want)
		}
	}
	if len(stats) != 3 {
		t.Errorf("windows of %d keys, want 3", len(stats))
	}
	if st := h.state(p1); st == nil || !st.Person || st.Events != 302 || st.Squat.Count != 5 {
		t.Errorf("person 1's state %+v, want a person's with 302 events and 5 squats", st)
	}
	if st := h.state("ann"); st == nil || st.Person || st.Events != 2 {
		t.Errorf("the user's state %+v, want a user's with 2 events", st)
	} else if b, err := json.Marshal(st); err != nil || strings.Contains(string(b), `"person"`) {
		t.Errorf("the user's row %s (%v): a person field, which one-person mode never writes", b, err)
	}
	if st := h.state("cam-1#1"); st != nil {
		t.Errorf("state under the camera's person key: %+v", st)
	}
}

// TestProcessorForgetsPeople: a camera watching a street sees a new track id every two seconds
// for a second each. The punctuator closes each person's window once idle and deletes the row
// ForgetPeople after the person's last event; the table stays bounded, and the user's row,
// which the frames without anybody go to, stays.
func TestProcessorForgetsPeople(t *testing.T) {
	t.Parallel()
	wall := t0.Add(time.Hour)
	clock := &fakeClock{t: wall}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Window: time.Second, Grace: 500 * ms, DecodeKeypoints: decodeJSON, Now: clock.now, Observe: m.Observe}
	h := newHarnessWith(t, cfg, goka.WithNilHandling(goka.NilProcess))
	p := NewPunctuator(cfg.Spec()) // forget after 3.5 s
	table := goka.GroupTable(testGroup)
	tick := func() {
		var rows clockRows
		for _, k := range h.tt.GetTableKeys(table) {
			st := h.state(k)
			rows.keys, rows.vals, rows.errs = append(rows.keys, k), append(rows.vals, &userClock{Windows: st.Windows, Person: st.Person}), append(rows.errs, nil)
		}
		for _, u := range p.due(clock.now(), &rows, nil) {
			h.flush(u)
		}
	}
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	const people = 20
	maxKeys := 0
	for k := range people * 20 { // 40 s at 10 fps, wall clock and event time in step
		at := time.Duration(k) * 100 * ms
		clock.set(wall.Add(at))
		ev := worldSide.event("", "cam-1", int64(k), at, nil)
		if k%20 < 10 {
			h.send(withPeople(ev, []int64{int64(k/20 + 1)}, stand))
		} else {
			h.send(ev)
		}
		if k%5 == 4 {
			tick()
			maxKeys = max(maxKeys, len(h.tt.GetTableKeys(table)))
		}
	}
	// Person i is seen until 2i + 0.9 s and forgotten 3.5 s later: at most three people and the
	// camera's row.
	if maxKeys > 4 {
		t.Errorf("the table held up to %d keys, want at most 4", maxKeys)
	}
	clock.set(wall.Add(time.Hour))
	tick()
	if keys := h.tt.GetTableKeys(table); !slices.Equal(keys, []string{"cam-1"}) {
		t.Errorf("table keys %v after an hour, want only the camera's", keys)
	}
	frames := map[string]int32{}
	for _, s := range h.nextStats() {
		frames[s.UserID] += s.Frames
	}
	for i := range people {
		if key := PersonKey(&schemas.KeypointEvent{CameraID: "cam-1"}, int64(i+1)); frames[key] != 10 {
			t.Errorf("%s: %d frames in its windows, want 10", key, frames[key])
		}
	}
	if got := testutil.ToFloat64(m.forgotten); got != people {
		t.Errorf("%v people forgotten, want %d", got, people)
	}

	// A person whose window is still open when the forget time comes: one flush emits the
	// window, then deletes the row.
	h.send(withPeople(worldSide.event("", "cam-1", 500, 50*time.Second, nil), []int64{99}, stand))
	clock.set(wall.Add(2 * time.Hour))
	h.flush("cam-1#99")
	if st, stats := h.state("cam-1#99"), h.nextStats(); st != nil || len(stats) != 1 || stats[0].UserID != "cam-1#99" || stats[0].Frames != 1 {
		t.Errorf("after one flush: state %+v, windows %+v; want the row gone, its window out", st, stats)
	}

	// Never forgetting keeps them.
	cfg.ForgetPeople = -1
	h = newHarnessWith(t, cfg, goka.WithNilHandling(goka.NilProcess))
	p = NewPunctuator(cfg.Spec())
	clock.set(wall)
	h.send(withPeople(worldSide.event("", "cam-1", 0, 0, nil), []int64{7}, stand))
	clock.set(wall.Add(time.Hour))
	tick()
	if st := h.state("cam-1#7"); st == nil || len(st.Windows.Open) != 0 || len(h.nextStats()) != 1 {
		t.Errorf("with ForgetPeople < 0: state %+v, want kept with its window emitted", st)
	}
}
