package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/stream"
)

// Integration tests on the embedded Kafka-protocol cluster, with the real models, the real Avro
// codecs and registry framing, and real footage. The same scenarios run against Apache Kafka in
// the integration suite.

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestDemoAccountsForEveryFrame runs `holostream demo --frames 60` with corrupt frames mixed in:
// every frame produced comes out as a keypoint event or a dead letter.
func TestDemoAccountsForEveryFrame(t *testing.T) {
	pf := processorFlags{model: string(model.PoseLite), workers: 2, threads: 1, people: peopleFlags{maxPeople: 1, detector: string(model.PoseDetector)}, maxImageBytes: 8 << 20,
		maxMegapixels: 50, window: 5 * time.Second, grace: time.Second}
	// 3 cameras x 20 frames of the 40-frame footage, every 5th frame truncated: frames 5, 10, 15
	// and 20 of each camera go to the dead-letter topic.
	sum, err := demo(context.Background(), quietLog(), pf, demoOptions{frames: 60, cameras: 3, fps: 0, partitions: 4, badEvery: 5, timeout: 3 * time.Minute})
	if err != nil {
		t.Fatalf("demo: %v (summary %+v)", err, sum)
	}
	t.Logf("summary: %+v", *sum)
	if sum.FramesIn != 60 || sum.KeypointsOut != 48 || sum.DLQ != 12 || sum.Stale != 0 || sum.Duplicate != 0 {
		t.Errorf("summary %+v: want 60 in = 48 keypoints + 12 dead letters", *sum)
	}
	if sum.Detected < 40 {
		t.Errorf("a person in %d of 48 frames; MediaPipe finds one in 39 of 40 frames of this footage", sum.Detected)
	}
	if l := sum.LatencyMs; !(l.P50 > 0 && l.P50 <= l.P95 && l.P95 <= l.P99) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
}

// instance is one `holostream run` in the test's process.
type instance struct {
	obs     []landmarks.Observation
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

func (in *instance) observations() []landmarks.Observation {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]landmarks.Observation(nil), in.obs...)
}

// startInstance runs the processors with the test settings (500 ms windows, 100 ms grace) and
// waits until they are running.
func startInstance(t *testing.T, topo stream.Topology, clients *kafka.Clients, w *stream.Wire, lm *model.Landmarker) *instance {
	t.Helper()
	cfg := stream.Config{Topology: topo, Landmarker: lm, MaxImageBytes: 8 << 20, MaxMegapixels: 50,
		Window: 500 * time.Millisecond, Grace: 100 * time.Millisecond}
	return runInstance(t, cfg, clients, w, prometheus.NewRegistry())
}

// runInstance runs the processors of cfg, recording their observations, and waits until they
// are running.
func runInstance(t *testing.T, cfg stream.Config, clients *kafka.Clients, w *stream.Wire, reg prometheus.Registerer) *instance {
	t.Helper()
	in := &instance{done: make(chan error, 1)}
	observe := cfg.Observe
	cfg.Observe = func(o landmarks.Observation) {
		in.mu.Lock()
		in.obs = append(in.obs, o)
		in.mu.Unlock()
		if observe != nil {
			observe(o)
		}
	}
	p, err := stream.NewPipeline(cfg, clients, w, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- p.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := p.WaitRunning(wctx); err != nil {
		t.Fatalf("instance did not start: %v", err)
	}
	return in
}

// running fails the test if the processors have stopped.
func (in *instance) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-in.done:
		in.done <- err
		t.Fatalf("the processors stopped: %v", err)
	default:
	}
}

// stop stops the instance once; later calls do nothing.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	if in.stopped {
		return
	}
	in.stopped = true
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("instance: %v", err)
		}
	case <-time.After(time.Minute):
		t.Error("instance did not stop within a minute")
	}
}

// waitAccounted polls the landmarks table until every camera has received want frames.
func waitAccounted(t *testing.T, topo stream.Topology, clients *kafka.Clients, cams []string, want int64) []*landmarks.CameraState {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		states, err := stream.CameraStates(ctx, clients, topo, cams)
		cancel()
		done := err == nil
		for _, s := range states {
			done = done && s != nil && s.Counters.Received >= want
		}
		if done {
			return states
		}
		if time.Now().After(deadline) {
			received := make([]any, len(states))
			for i, s := range states {
				if s != nil {
					received[i] = s.Counters.Received
				}
			}
			t.Fatalf("frames not accounted for within 2 minutes (err %v): %v received of %d, cameras %v", err, received, want, cams)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestFailoverKeepsTracking runs two processor instances on a 4-partition cluster; one stops
// mid-stream; the other takes over its cameras and carries on tracking from the state in the
// table, without running the detector again; every frame is accounted for.
func TestFailoverKeepsTracking(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	testFailover(t, cluster.Brokers(), cluster.RegistryURL(), stream.NewTopology(""))
}

// pipelineParts builds what a test pipeline needs: the topics' codecs (registered with the
// registry at registryURL, if any), a pose-lite landmarker with 2 workers (closed when the test
// ends, after its deferred instance stops) and the built-in footage.
func pipelineParts(t *testing.T, topo stream.Topology, registryURL string) (*stream.Wire, *model.Landmarker, camera.Source) {
	t.Helper()
	w, err := stream.NewWire(context.Background(), topo, registryURL)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := model.Open(model.PoseLite, model.WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lm.Close() })
	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	return w, lm, src
}

// steppingClock stamps frames 100 ms apart, as a 10 fps camera would, however fast they are
// sent: smoothing and tracking follow capture time, not arrival.
func steppingClock(start time.Time) func() time.Time {
	n := 0
	return func() time.Time { n++; return start.Add(time.Duration(n) * 100 * time.Millisecond) }
}

func testFailover(t *testing.T, brokers []string, registryURL string, topo stream.Topology) {
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "failover-test", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, lm, src := pipelineParts(t, topo, registryURL)
	ids := []string{"cam-a", "cam-b", "cam-c", "cam-d", "cam-e", "cam-f"}
	clocks := map[string]func() time.Time{}
	for _, id := range ids {
		clocks[id] = steppingClock(time.Now())
	}
	produce := func(first int64) {
		t.Helper()
		var cams []camera.Camera
		for _, id := range ids {
			cams = append(cams, camera.Camera{ID: id, User: "user-" + id, FirstSeq: first, Now: clocks[id]})
		}
		// Frames first..first+9 of each camera: footage frames first-1..first+8, all with a person.
		n, err := stream.Produce(ctx, clients, topo, w, src[first-1:], cams, 10)
		if err != nil || n != int64(10*len(ids)) {
			t.Fatalf("produced %d frames: %v", n, err)
		}
	}

	a := startInstance(t, topo, clients, w, lm)
	b := startInstance(t, topo, clients, w, lm)
	defer a.stop(t)
	defer b.stop(t)
	produce(1)
	before := waitAccounted(t, topo, clients, ids, 10)
	onA := map[string]bool{}
	for _, o := range a.observations() {
		onA[o.Camera] = true
	}
	if len(onA) == 0 || len(onA) == len(ids) {
		t.Fatalf("instance A had %d of %d cameras: the partitions were not shared", len(onA), len(ids))
	}
	for i, s := range before {
		if s.Track.ROI == nil {
			t.Fatalf("%s: no tracking ROI in the table after 10 frames of a person (counters %+v)", ids[i], s.Counters)
		}
	}

	a.stop(t)
	handover := len(b.observations())
	produce(11)
	after := waitAccounted(t, topo, clients, ids, 20)

	firstOnB := map[string]landmarks.Observation{}
	for _, o := range b.observations()[handover:] {
		if _, seen := firstOnB[o.Camera]; !seen {
			firstOnB[o.Camera] = o
		}
	}
	for cam := range onA {
		o, ok := firstOnB[cam]
		switch {
		case !ok:
			t.Errorf("%s: instance B never processed it after A stopped", cam)
		case o.Seq != 11 || o.Outcome != landmarks.OutcomeEmitted:
			t.Errorf("%s: first frame on B is seq %d (%s), want 11 emitted", cam, o.Seq, o.Outcome)
		case o.DetectorRan:
			t.Errorf("%s: B ran the detector on seq 11: tracking state was not carried over", cam)
		}
	}
	for i, s := range after {
		c := s.Counters
		if c.Received != 20 || c.Emitted != 20 || !c.Balanced() || s.LastSeq != 20 {
			// What each instance saw of the camera, in the order it saw it: which record (topic,
			// partition, offset) came when tells a producer's reordering from a consumer's.
			t.Errorf("%s: counters %+v last seq %d: want 20 received and emitted; A saw %s; B saw %s",
				ids[i], c, s.LastSeq, seen(a.observations(), ids[i]), seen(b.observations(), ids[i]))
		}
	}
	t.Logf("A had %d of %d cameras; B took them over at seq 11 without re-detecting; 120 frames accounted for", len(onA), len(ids))
}

// seen lists an instance's observations of one camera in order: seq, outcome and the record.
func seen(obs []landmarks.Observation, cam string) string {
	var out []string
	for _, o := range obs {
		if o.Camera == cam {
			out = append(out, fmt.Sprintf("%d %s %s/%d@%d", o.Seq, o.Outcome, o.Topic, o.Partition, o.Offset))
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}
