package main

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// TestPipelineEmitsIdleUsersLastWindow: a user's camera sends ten frames and stops. With no
// event after them, every window of the user still comes out on pose-stats, the last one at
// most a window, the grace and a few of the punctuator's ticks after the last keypoint event,
// and together they count every frame.
func TestPipelineEmitsIdleUsersLastWindow(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	topo := stream.NewTopology("")
	clients, err := kafka.New(kafka.Config{Brokers: cluster.Brokers(), ClientID: "idle-test", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, lm, src := pipelineParts(t, topo, cluster.RegistryURL())
	in := startInstance(t, topo, clients, w, lm) // 500 ms windows, 100 ms grace: a tick a second
	defer in.stop(t)

	// Frames 100 ms apart in event time, from now on: they span two or three windows.
	cam := camera.Camera{ID: "idle-cam", User: "ivy", Now: steppingClock(time.Now())}
	if n, err := stream.Produce(context.Background(), clients, topo, w, src[:10], []camera.Camera{cam}, 10); err != nil || n != 10 {
		t.Fatalf("produced %d frames: %v", n, err)
	}

	client, err := sarama.NewClient(clients.Config.Brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	keypoints := readRecords(t, client, string(topo.Keypoints), 10, time.Minute)
	var last time.Time // when the last keypoint event was written
	var lastAt time.Time
	for _, m := range keypoints {
		ev, err := w.Keypoints.Decode(m.Value)
		if err != nil {
			t.Fatalf("keypoint event: %v", err)
		}
		last, lastAt = latest(last, m.Timestamp), latest(lastAt, ev.CapturedAt)
	}

	// The windows come out with no further event; the last one holds the last frame.
	var stats []schemas.PoseStats
	var frames int32
	var lastOut time.Time
	deadline := time.Now().Add(time.Minute)
	for frames < 10 && time.Now().Before(deadline) {
		stats, frames, lastOut = nil, 0, time.Time{}
		for _, m := range readRecords(t, client, string(topo.Stats), 0, 0) {
			s, err := w.Stats.Decode(m.Value)
			if err != nil {
				t.Fatalf("pose-stats: %v", err)
			}
			stats, frames, lastOut = append(stats, s), frames+s.Frames, latest(lastOut, m.Timestamp)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if frames != 10 {
		t.Fatalf("%d windows counting %d frames within a minute of the last event, want every one of the 10 frames: %+v", len(stats), frames, stats)
	}
	for _, s := range stats {
		if s.UserID != "ivy" || s.LateEvents != 0 {
			t.Errorf("window %+v: want ivy's, nothing late", s)
		}
	}
	if end := stats[len(stats)-1].WindowEnd; !end.After(lastAt) {
		t.Errorf("last window ends at %v, before the last frame at %v", end, lastAt)
	}
	// The last window is due 600 ms after the last event at most (its end and the grace); then
	// the next tick (1 s) finds it. The rest is slack for a loaded machine.
	if d := lastOut.Sub(last); d > 5*time.Second {
		t.Errorf("the last window came out %v after the last keypoint event, want a few ticks", d)
	}
	t.Logf("%d windows; the last out %v after the last keypoint event", len(stats), lastOut.Sub(last).Round(time.Millisecond))
}

// readRecords reads every partition of topic from the start: until it has want records in all
// within timeout, or, with want 0, what is there now.
func readRecords(t *testing.T, client sarama.Client, topic string, want int, timeout time.Duration) []*sarama.ConsumerMessage {
	t.Helper()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	deadline := time.Now().Add(timeout)
	for {
		if err := client.RefreshMetadata(topic); err != nil {
			t.Fatal(err)
		}
		parts, err := client.Partitions(topic)
		if err != nil {
			t.Fatal(err)
		}
		var out []*sarama.ConsumerMessage
		for _, p := range parts {
			end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				t.Fatal(err)
			}
			if end == 0 {
				continue
			}
			pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
			if err != nil {
				t.Fatal(err)
			}
			for done := false; !done; {
				select {
				case m := <-pc.Messages():
					out = append(out, m)
					done = m.Offset >= end-1
				case <-time.After(30 * time.Second):
					t.Fatalf("%s partition %d: not read to offset %d within 30 s", topic, p, end)
				}
			}
			pc.Close()
		}
		if len(out) >= want || !time.Now().Before(deadline) {
			if len(out) < want {
				t.Fatalf("%s: %d records within %v, want %d", topic, len(out), timeout, want)
			}
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
