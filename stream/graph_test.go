package stream

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// standingLandmarker finds a person standing upright in every image, without a model: the
// graph test is about the wiring, the models are tested in model/ and on the embedded cluster.
type standingLandmarker struct{}

func (standingLandmarker) Kind() model.Kind { return model.PoseLite }

func (standingLandmarker) MaxPeople() int { return 1 }

func (standingLandmarker) Track(img pixels.Image, tr *model.Track, ts time.Duration) (model.Result, error) {
	res := model.Result{DetectorRan: tr.ROI == nil, Pose: &model.Pose{}}
	for i := range res.Pose.Landmarks {
		y := float32(i) / model.NumPoseLandmarks
		res.Pose.Landmarks[i] = model.Landmark{X: 0.5, Y: y, Visibility: 1, Presence: 1}
		res.Pose.World[i] = model.WorldLandmark{X: 0, Y: y - 0.5, Z: 0}
	}
	tr.ROI = &model.Rect{XCenter: 0.5, YCenter: 0.5, Width: 0.4, Height: 0.8}
	tr.LastTimestamp = ts
	return res, nil
}

// runGraph runs the stream's two group graphs with landmarker under goka's tester, with the
// topics' real Avro codecs, windows of 1 s and no grace.
func runGraph(t *testing.T, landmarker landmarks.Landmarker) (*tester.Tester, Topology, *Wire) {
	t.Helper()
	topo := NewTopology("graph.")
	w, err := NewWire(context.Background(), topo, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Topology: topo, Landmarker: landmarker, Window: time.Second}
	g, err := newGraph(cfg, w, m, placement{partitions: 1, partition: func(string, int32) int32 { return 0 }, maxRecord: 1 << 20,
		keypointsIn: w.Keypoints.Codec()})
	if err != nil {
		t.Fatal(err)
	}
	tt := tester.New(t)
	for _, gg := range []*goka.GroupGraph{g.landmarks, g.analytics} {
		proc, err := goka.NewProcessor(nil, gg, goka.WithTester(tt), goka.WithNilHandling(goka.NilProcess), goka.WithLogger(gokaLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- proc.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: %v", gg.Group(), err)
			}
		})
	}
	return tt, topo, w
}

// TestGraphUnderGokaTester runs frames -> landmarks -> keypoints -> analytics (through its
// loopback) -> actions and pose-stats through the stream's composed graph under goka's tester,
// with the topics' real Avro codecs: every frame is accounted for in the camera's table row,
// every good frame comes out as a keypoint event the analytics group reads, the bad one as a
// dead letter, and the closed windows count the events of their user.
func TestGraphUnderGokaTester(t *testing.T) {
	tt, topo, w := runGraph(t, standingLandmarker{})
	keypoints, dlq := tt.NewQueueTracker(string(topo.Keypoints)), tt.NewQueueTracker(string(topo.DLQ))
	stats := tt.NewQueueTracker(string(topo.Stats))
	const n, bad = 25, 7
	start := consumeFrames(t, tt, topo, w, n, bad)

	var events []schemas.KeypointEvent
	for {
		_, v, ok := keypoints.Next()
		if !ok {
			break
		}
		events = append(events, v.(schemas.KeypointEvent))
	}
	if len(events) != n-1 {
		t.Fatalf("%d keypoint events, want %d", len(events), n-1)
	}
	for i, ev := range events {
		want := int64(i + 1)
		if want >= bad {
			want++
		}
		if ev.Seq != want {
			t.Errorf("event %d: seq %d, want %d", i, ev.Seq, want)
		}
		if ev.Status != schemas.StatusDetected || ev.Pose == nil {
			t.Errorf("event seq %d: status %s, pose %v", ev.Seq, ev.Status, ev.Pose != nil)
		}
	}
	_, v, ok := dlq.Next()
	if !ok {
		t.Fatal("no dead letter for the truncated frame")
	}
	if dl := v.(schemas.DeadLetter); dl.Seq != bad || dl.Code != landmarks.CodeCorrupt {
		t.Errorf("dead letter seq %d code %s, want seq %d %s", dl.Seq, dl.Code, bad, landmarks.CodeCorrupt)
	}
	st, _ := tt.TableValue(goka.GroupTable(topo.Landmarks), "cam-1").(*landmarks.CameraState)
	if st == nil {
		t.Fatal("no table row for cam-1")
	}
	if c := st.Counters; c.Received != n || c.Emitted != n-1 || c.DeadLettered != 1 || !c.Balanced() {
		t.Errorf("counters %+v: want %d received = %d emitted + 1 dead-lettered", c, n, n-1)
	}

	// The analytics group read the events through its loopback, keyed by user: the windows
	// before the last event's are closed, each with the events captured in it.
	var frames int32
	var windows []string
	for {
		key, v, ok := stats.Next()
		if !ok {
			break
		}
		s := v.(schemas.PoseStats)
		if key != "user-1" || s.UserID != "user-1" {
			t.Errorf("stats for key %q user %q, want user-1", key, s.UserID)
		}
		frames += s.Frames
		windows = append(windows, fmt.Sprintf("%s+%d", s.WindowStart.Sub(start), s.Frames))
	}
	t.Logf("%d keypoint events, dead letter seq %d, windows (start since the first frame + events): %v", len(events), bad, windows)
	if len(windows) != 2 || frames != 19 {
		t.Errorf("windows %v (%d events): want the first two seconds closed, 9+10 events (the 7th frame was dead-lettered)", windows, frames)
	}
}

// twoPeopleLandmarker finds two people standing upright in every image, with track ids 1 and 2.
type twoPeopleLandmarker struct{ standingLandmarker }

func (twoPeopleLandmarker) MaxPeople() int { return 2 }

func (l twoPeopleLandmarker) Track(img pixels.Image, tr *model.Track, ts time.Duration) (model.Result, error) {
	res, err := l.standingLandmarker.Track(img, tr, ts)
	second := *res.Pose
	for i := range second.Landmarks {
		second.Landmarks[i].X = 0.2
	}
	res.People = []model.Person{{ID: 1, Pose: res.Pose}, {ID: 2, Pose: &second}}
	return res, err
}

// TestGraphPeopleUnderGokaTester: with several people per camera the analytics group keys each
// person's windows by analytics.PersonKey, and the user's key gets none.
func TestGraphPeopleUnderGokaTester(t *testing.T) {
	tt, topo, w := runGraph(t, twoPeopleLandmarker{})
	stats := tt.NewQueueTracker(string(topo.Stats))
	consumeFrames(t, tt, topo, w, 25, 0) // as in TestGraphUnderGokaTester, none of them bad
	frames := map[string][]int32{}
	for {
		key, v, ok := stats.Next()
		if !ok {
			break
		}
		s := v.(schemas.PoseStats)
		if key != s.UserID {
			t.Errorf("stats for key %q user %q", key, s.UserID)
		}
		frames[s.UserID] = append(frames[s.UserID], s.Frames)
	}
	want := map[string][]int32{"user-1#cam-1#1": {10, 10}, "user-1#cam-1#2": {10, 10}}
	if fmt.Sprint(frames) != fmt.Sprint(want) {
		t.Errorf("windows' frames by user %v, want %v", frames, want)
	}
}

// consumeFrames gives the graph n frames of cam-1 (user-1), a real photo, 100 ms apart in event
// time from the returned start, a second and a half ago and on (windows of 1 s, no grace: the
// events of the third second close the first two windows); frame bad (0: none) is cut short.
func consumeFrames(t *testing.T, tt *tester.Tester, topo Topology, w *Wire, n, bad int64) time.Time {
	t.Helper()
	photo, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-1500 * time.Millisecond).Truncate(time.Second)
	for seq := int64(1); seq <= n; seq++ {
		img := photo
		if seq == bad {
			img = photo[:len(photo)/3]
		}
		f := schemas.Frame{CameraID: "cam-1", UserID: "user-1", Seq: seq, CapturedAt: start.Add(time.Duration(seq-1) * 100 * time.Millisecond),
			ContentType: "image/jpeg", Image: img}
		raw, err := w.Frames.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		tt.Consume(string(topo.Frames), f.CameraID, raw)
	}
	return start
}
