package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

const (
	testKeypoints goka.Stream = "keypoints"
	testActions   goka.Stream = "actions"
	testStats     goka.Stream = "pose-stats"
	testGroup     goka.Group  = "analytics"
)

// harness runs the processor on goka's tester with JSON codecs for the topics.
type harness struct {
	t              *testing.T
	tt             *tester.Tester
	actions, stats *tester.QueueTracker
}

func decodeJSON(b []byte) (schemas.KeypointEvent, error) {
	var ev schemas.KeypointEvent
	err := json.Unmarshal(b, &ev)
	return ev, err
}

func newHarness(t *testing.T, window, grace time.Duration) *harness {
	t.Helper()
	return newHarnessWith(t, Config{Window: window, Grace: grace, DecodeKeypoints: decodeJSON})
}

// newHarnessWith runs a config with the test topics.
func newHarnessWith(t *testing.T, cfg Config, opts ...goka.ProcessorOption) *harness {
	t.Helper()
	cfg.Keypoints, cfg.Actions, cfg.Stats = testKeypoints, testActions, testStats
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tt := tester.New(t)
	gg := cfg.Group(testGroup, codecs.JSON[UserState]{}, codecs.JSON[schemas.ActionEvent]{}, codecs.JSON[schemas.PoseStats]{}, new(codec.Bytes))
	opts = append(opts, goka.WithTester(tt), goka.WithLogger(log.New(io.Discard, "", 0)))
	proc, err := goka.NewProcessor(nil, gg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("processor: %v", err)
		}
	})
	return &harness{t: t, tt: tt, actions: tt.NewQueueTracker(string(testActions)), stats: tt.NewQueueTracker(string(testStats))}
}

// send consumes one keypoint event keyed by its camera.
func (h *harness) send(ev schemas.KeypointEvent) {
	h.t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tt.Consume(string(testKeypoints), ev.CameraID, b)
}

// sendFrames sends a generated sequence from one camera, starting at offset.
func (h *harness) sendFrames(v view, user, cam string, offset time.Duration, frames []frame) {
	h.t.Helper()
	for i, f := range frames {
		h.send(v.event(user, cam, int64(i), offset+f.at, f.pose))
	}
}

func (h *harness) nextActions() []schemas.ActionEvent {
	h.t.Helper()
	var out []schemas.ActionEvent
	for {
		key, v, ok := h.actions.Next()
		if !ok {
			return out
		}
		a := v.(*schemas.ActionEvent)
		if key != a.UserID {
			h.t.Errorf("action keyed %q for user %q", key, a.UserID)
		}
		out = append(out, *a)
	}
}

func (h *harness) nextStats() []schemas.PoseStats {
	h.t.Helper()
	var out []schemas.PoseStats
	for {
		key, v, ok := h.stats.Next()
		if !ok {
			return out
		}
		s := v.(*schemas.PoseStats)
		if key != s.UserID {
			h.t.Errorf("stats keyed %q for user %q", key, s.UserID)
		}
		out = append(out, *s)
	}
}

func (h *harness) state(key string) *UserState {
	h.t.Helper()
	v := h.tt.TableValue(goka.GroupTable(testGroup), key)
	if v == nil {
		return nil
	}
	return v.(*UserState)
}

func kinds(as []schemas.ActionEvent, k schemas.ActionKind) []schemas.ActionEvent {
	var out []schemas.ActionEvent
	for _, a := range as {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

func TestProcessorPostureDebounce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	v := worldSide
	stand := v.pose(stance{}, 0.5, 0.5, nil)
	sit := v.pose(stance{thigh: 90, shin: 5, torso: 5}, 0.5, 0.7, nil)
	var script []*schemas.Pose
	for range 30 {
		script = append(script, stand)
	}
	script = append(script, sit) // one glitch frame
	for range 10 {
		script = append(script, stand)
	}
	for range 30 {
		script = append(script, sit)
	}
	for i, p := range script {
		h.send(v.event("ann", "cam-1", int64(i), time.Duration(i)*time.Second/30, p))
	}
	got := kinds(h.nextActions(), schemas.ActionPostureChanged)
	if len(got) != 2 {
		t.Fatalf("posture changes %+v, want 2", got)
	}
	first, second := got[0], got[1]
	if first.PreviousPosture != schemas.PostureUnknown || first.Posture != schemas.PostureStanding || first.Seq != 4 {
		t.Errorf("first change %+v, want UNKNOWN -> STANDING at seq 4", first)
	}
	if second.PreviousPosture != schemas.PostureStanding || second.Posture != schemas.PostureSitting || second.Seq != 45 ||
		!second.At.Equal(t0.Add(45*time.Second/30)) || second.CameraID != "cam-1" || second.UserID != "ann" || second.Confidence < 0.9 {
		t.Errorf("second change %+v, want STANDING -> SITTING at seq 45 from cam-1 for ann", second)
	}
	if st := h.state("ann"); st == nil || st.Posture.Reported() != schemas.PostureSitting {
		t.Errorf("state %+v", st)
	}
}

func TestProcessorSquats(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	h.sendFrames(worldSide, "sam", "cam-1", 0, squatFrames(worldSide, 11))
	reps := kinds(h.nextActions(), schemas.ActionRep)
	if len(reps) != 5 {
		t.Fatalf("%d reps, want 5: %+v", len(reps), reps)
	}
	for i, r := range reps {
		if r.Exercise != "SQUAT" || r.RepCount != int32(i+1) {
			t.Errorf("rep %d: %s count %d", i, r.Exercise, r.RepCount)
		}
	}
	if st := h.state("sam"); st.Squat.Count != 5 || st.JumpingJack.Count != 0 || st.Events != 301 {
		t.Errorf("state: squats %d jacks %d events %d", st.Squat.Count, st.JumpingJack.Count, st.Events)
	}
}

func TestProcessorJumpingJacks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	h.sendFrames(imageFrnt, "jo", "cam-1", 0, jackFrames(imageFrnt, 12))
	reps := kinds(h.nextActions(), schemas.ActionRep)
	if len(reps) != 5 {
		t.Fatalf("%d reps, want 5: %+v", len(reps), reps)
	}
	for i, r := range reps {
		if r.Exercise != "JUMPING_JACK" || r.RepCount != int32(i+1) {
			t.Errorf("rep %d: %s count %d", i, r.Exercise, r.RepCount)
		}
	}
}

func TestProcessorFall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	h.sendFrames(worldSide, "fay", "cam-1", 0, fallFrames(worldSide, 13))
	falls := kinds(h.nextActions(), schemas.ActionFall)
	if len(falls) != 1 {
		t.Fatalf("%d falls, want 1: %+v", len(falls), falls)
	}
	if at := falls[0].At.Sub(t0); at < 1400*ms || at > 1800*ms || falls[0].Posture == "" {
		t.Errorf("fall %+v", falls[0])
	}
	// Sitting down slowly, later: no fall.
	h.sendFrames(worldSide, "fay", "cam-1", time.Minute, sitFrames(worldSide, 14, 2*time.Second))
	as := h.nextActions()
	if n := len(kinds(as, schemas.ActionFall)); n != 0 {
		t.Errorf("%d falls sitting down", n)
	}
	if ch := kinds(as, schemas.ActionPostureChanged); len(ch) == 0 || ch[len(ch)-1].Posture != schemas.PostureSitting {
		t.Errorf("posture changes sitting down: %+v", ch)
	}
	// Stats of the window with the fall.
	h.send(worldSide.event("fay", "cam-1", 0, 2*time.Minute, nil))
	var sum int32
	for _, s := range h.nextStats() {
		sum += s.Falls
	}
	if sum != 1 {
		t.Errorf("%d falls in the windows, want 1", sum)
	}
}

func TestProcessorWindows(t *testing.T) {
	t.Parallel()
	h := newHarness(t, time.Second, 500*ms)
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	send := func(at time.Duration, detected bool) {
		p := stand
		if !detected {
			p = nil
		}
		h.send(worldSide.event("win", "cam-1", 0, at, p))
	}
	// 10 fps over three windows; every fifth frame without a person.
	for k := range 30 {
		send(time.Duration(k)*100*ms, k%5 != 4)
	}
	stats := h.nextStats()
	if len(stats) != 2 {
		t.Fatalf("%d windows closed, want 2", len(stats))
	}
	for i, s := range stats {
		if !s.WindowStart.Equal(t0.Add(time.Duration(i)*time.Second)) || !s.WindowEnd.Equal(t0.Add(time.Duration(i+1)*time.Second)) ||
			s.Frames != 10 || s.Detected != 8 || s.DetectionRate != 0.8 || s.LateEvents != 0 {
			t.Errorf("window %d: %+v", i, s)
		}
		if knee := s.MeanAngles["left_knee"]; knee < 179 {
			t.Errorf("window %d: mean left knee %.1f, want about 180", i, knee)
		}
		if sec := s.PostureSeconds["STANDING"] + s.PostureSeconds["UNKNOWN"]; sec < 0.999 || sec > 1.001 {
			t.Errorf("window %d: posture seconds %v, want 1 s in all", i, s.PostureSeconds)
		}
	}
	send(3200*ms, true) // watermark 3.2: [2 s, 3 s) ended but is within grace
	send(2950*ms, true) // late, within grace: taken
	if got := h.nextStats(); len(got) != 0 {
		t.Fatalf("closed before the watermark passed end+grace: %+v", got)
	}
	send(3600*ms, true) // watermark 3.6 >= 3.5: [2 s, 3 s) closes
	send(2500*ms, true) // beyond grace: dropped
	stats = h.nextStats()
	if len(stats) != 1 {
		t.Fatalf("%d windows closed, want 1", len(stats))
	}
	if s := stats[0]; !s.WindowStart.Equal(t0.Add(2*time.Second)) || s.Frames != 11 || s.Detected != 9 || s.LateEvents != 1 {
		t.Errorf("third window %+v, want 11 frames, 9 detected, 1 late", s)
	}
	st := h.state("win")
	if st.Windows.LateDropped != 1 || st.OutOfOrder != 2 || st.Events != 34 {
		t.Errorf("state: late dropped %d, out of order %d, events %d; want 1, 2, 34", st.Windows.LateDropped, st.OutOfOrder, st.Events)
	}
}

func TestProcessorRekeysByUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10*time.Second, time.Second)
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	for k := range 20 {
		cam := "cam-a"
		if k%2 == 1 {
			cam = "cam-b"
		}
		h.send(worldSide.event("alice", cam, int64(k), time.Duration(k)*50*ms, stand))
	}
	h.send(worldSide.event("", "cam-c", 0, 0, stand)) // no user: the camera is the user
	st := h.state("alice")
	if st == nil || st.Events != 20 || st.OutOfOrder != 0 || st.CameraID != "cam-b" {
		t.Fatalf("alice's state %+v, want 20 events from both cameras", st)
	}
	if len(st.Windows.Open) != 1 || st.Windows.Open[0].Frames != 20 {
		t.Errorf("alice's windows %+v", st.Windows.Open)
	}
	for _, cam := range []string{"cam-a", "cam-b"} {
		if s := h.state(cam); s != nil {
			t.Errorf("state under camera key %s: %+v", cam, s)
		}
	}
	if s := h.state("cam-c"); s == nil || s.Events != 1 {
		t.Errorf("cam-c's state %+v, want 1 event", s)
	}
	for _, a := range h.nextActions() {
		if a.UserID != "alice" && a.UserID != "cam-c" {
			t.Errorf("action for %q", a.UserID)
		}
	}
}

func TestProcessorUndecodable(t *testing.T) {
	t.Parallel()
	// goka drops nil records unless told otherwise; with NilProcess they reach Route and count.
	h := newHarnessWith(t, Config{Window: 10 * time.Second, DecodeKeypoints: decodeJSON}, goka.WithNilHandling(goka.NilProcess))
	h.tt.Consume(string(testKeypoints), "cam-x", []byte("\x00not a keypoint event"))
	h.tt.Consume(string(testKeypoints), "cam-x", nil)
	st := h.state("cam-x")
	if st == nil || st.Undecodable != 2 || st.Events != 0 {
		t.Fatalf("cam-x state %+v, want 2 undecodable", st)
	}
	// The processor carries on.
	h.send(worldSide.event("", "cam-x", 1, 0, worldSide.pose(stance{}, 0.5, 0.5, nil)))
	if st := h.state("cam-x"); st.Undecodable != 2 || st.Events != 1 {
		t.Errorf("cam-x state after a good record: %+v", st)
	}
}

// TestRouteSurvivesBadNumbers: non-finite numbers (which JSON cannot carry on the loopback
// topic) and a panicking decoder are data, not a crash.
func TestRouteSurvivesBadNumbers(t *testing.T) {
	t.Parallel()
	nan := float32(math.NaN())
	bad := worldSide.event("nan", "cam-n", 0, 0, worldSide.pose(stance{}, 0.5, 0.5, nil))
	bad.Pose.Landmarks[lmLeftKnee].X = nan
	bad.Pose.WorldLandmarks[lmNose].Z = float32(math.Inf(-1))
	bad.ProcessingMs = nan
	bad.Face = []schemas.Point{{X: nan}}
	h := newHarnessWith(t, Config{DecodeKeypoints: func(b []byte) (schemas.KeypointEvent, error) {
		switch string(b) {
		case "nan":
			return bad, nil
		case "panic":
			panic("boom")
		}
		return decodeJSON(b)
	}})
	h.tt.Consume(string(testKeypoints), "cam-n", []byte("nan"))
	h.tt.Consume(string(testKeypoints), "cam-n", []byte("panic"))
	st := h.state("nan")
	if st == nil || st.Events != 1 || st.Invalid != 0 {
		t.Fatalf("state %+v, want the NaN event taken", st)
	}
	if w := st.Windows.Open; len(w) != 1 || w[0].Detected != 1 || w[0].AngleN[LeftKnee] != 0 || w[0].AngleN[RightKnee] != 1 {
		t.Errorf("windows %+v, want the left knee unmeasured", w)
	}
	if st := h.state("cam-n"); st == nil || st.Undecodable != 1 {
		t.Errorf("cam-n state %+v, want 1 undecodable (the panic)", st)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{Keypoints: "k", Actions: "a", Stats: "s", DecodeKeypoints: decodeJSON}
	bad := []Config{{}, {Keypoints: "k", Actions: "a", Stats: "s"}}
	for _, c := range []func(Config) Config{
		func(c Config) Config { c.Window = -1; return c },
		func(c Config) Config { c.Grace = -1; return c },
		func(c Config) Config { c.Stats = ""; return c },
	} {
		bad = append(bad, c(ok))
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for i, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%d: %v, want ErrConfig", i, err)
		}
	}
	if s := ok.Spec(); s.Size != DefaultWindow || s.Grace != 0 {
		t.Errorf("default spec %+v", s)
	}
}
