package main

import (
	"context"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/stream"
)

// TestPipelineAcrossRetention runs the processors on an embedded cluster that keeps 256 KiB a
// partition (about ten frames) and cleans every half second: frames and events go while the
// pipeline runs, the landmarks table is compacted under it, and every frame is still accounted
// for with the camera's counters carried on. Then, with the processors stopped, retention
// removes the frames past the group's committed offset: the next instance starts at the
// earliest frame kept and processes exactly the frames kept.
func TestPipelineAcrossRetention(t *testing.T) {
	const bound = 256 << 10
	cluster, err := embedded.Start(embedded.Options{Partitions: 2, RetentionBytes: bound, RetentionTime: -1,
		CleanInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	topo := stream.NewTopology("")
	clients, err := kafka.New(kafka.Config{Brokers: cluster.Brokers(), ClientID: "retention-test", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, lm, src := pipelineParts(t, topo, cluster.RegistryURL())
	ids := []string{"cam-a", "cam-b"}
	var next int64 = 1
	// 50 fps: each frame is a batch of its own (the producer lingers 5 ms), so retention, which
	// removes whole batches, keeps the last few frames rather than none.
	produce := func(n int) {
		t.Helper()
		var cams []camera.Camera
		for _, id := range ids {
			cams = append(cams, camera.Camera{ID: id, User: "user-" + id, FirstSeq: next, FPS: 50, Now: steppingClock(time.Now())})
		}
		if got, err := stream.Produce(context.Background(), clients, topo, w, src, cams, n); err != nil || got != int64(n*len(ids)) {
			t.Fatalf("produced %d of %d frames: %v", got, n*len(ids), err)
		}
		next += int64(n)
	}

	// Rounds of 4 frames a camera (about 100 KB): never more than the bound behind the
	// processors, so retention only takes frames already processed.
	a := startInstance(t, topo, clients, w, lm)
	const rounds, perRound = 8, 4
	for r := 1; r <= rounds; r++ {
		produce(perRound)
		waitAccounted(t, topo, clients, ids, int64(r*perRound))
	}
	// The cleaner runs every half second: the last round's frames may have come after its last
	// run, so give it two more (bounded) before judging.
	frames := topicUsage(t, cluster, string(topo.Frames))
	for deadline := time.Now().Add(3 * time.Second); (frames.Trimmed == 0 || frames.MaxPartitionBytes > bound) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		frames = topicUsage(t, cluster, string(topo.Frames))
	}
	if frames.Trimmed == 0 || frames.MaxPartitionBytes > bound {
		t.Fatalf("frames topic after %d frames: %+v: retention did not run under the pipeline", rounds*perRound*len(ids), frames)
	}
	a.stop(t)

	// 30 frames a camera (about 750 KB) while no processor runs: the committed offsets go.
	produce(30)
	cluster.Clean()
	frames = topicUsage(t, cluster, string(topo.Frames))
	if want := int64(rounds*perRound*len(ids) + 30*len(ids)); frames.Trimmed <= int64(rounds*perRound*len(ids)) || frames.Records == 0 || frames.Records+frames.Trimmed != want {
		t.Fatalf("frames topic: %+v: want more than the %d frames processed trimmed, of %d", frames, rounds*perRound*len(ids), want)
	}
	b := startInstance(t, topo, clients, w, lm)
	defer b.stop(t)
	processed := int64(rounds * perRound)
	states := waitTotal(t, topo, clients, ids, processed*int64(len(ids))+frames.Records)
	for i, s := range states {
		if c := s.Counters; !c.Balanced() || s.LastSeq != next-1 || c.Received <= processed {
			t.Errorf("%s: counters %+v, last seq %d: want the %d frames before the stop and the last kept, up to seq %d",
				ids[i], c, s.LastSeq, processed, next-1)
		}
	}
	if tbl := topicUsage(t, cluster, string(goka.GroupTable(topo.Landmarks))); tbl.Trimmed == 0 {
		t.Errorf("landmarks table: %+v: never compacted", tbl)
	}
	t.Logf("frames: %d trimmed, %d kept; after the restart the cameras received %d and %d frames",
		frames.Trimmed, frames.Records, states[0].Counters.Received, states[1].Counters.Received)
}

// waitTotal polls the landmarks table until the cameras have received want frames together,
// and fails if they received more.
func waitTotal(t *testing.T, topo stream.Topology, clients *kafka.Clients, cams []string, want int64) []*landmarks.CameraState {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	settled := false
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		states, err := stream.CameraStates(ctx, clients, topo, cams)
		cancel()
		var got int64
		for _, s := range states {
			if s != nil {
				got += s.Counters.Received
			}
		}
		switch {
		case err == nil && got > want:
			t.Fatalf("the cameras received %d frames, more than the %d processed and kept: trimmed frames came back", got, want)
		case err == nil && got == want && settled:
			return states
		case err == nil && got == want:
			settled = true // look once more, a little later: no more may come
			time.Sleep(2 * time.Second)
			continue
		case time.Now().After(deadline):
			t.Fatalf("the cameras received %d frames within 2 minutes (err %v), want %d: the group did not resume at the earliest kept", got, err, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func topicUsage(t *testing.T, c *embedded.Cluster, topic string) embedded.TopicUsage {
	t.Helper()
	for _, u := range c.Retained() {
		if u.Topic == topic {
			return u
		}
	}
	t.Fatalf("no topic %s", topic)
	return embedded.TopicUsage{}
}
