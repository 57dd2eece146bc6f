package stream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/schemas"
)

// Produce runs the cameras against the frames topic until each has sent count frames (0: until
// ctx ends), then flushes; it returns the number of frames Kafka acknowledged, and the first
// error: a camera's, or the first write Kafka refused.
func Produce(ctx context.Context, clients *kafka.Clients, topo Topology, w *Wire, src camera.Source, cams []camera.Camera, count int) (int64, error) {
	if err := clients.EnsureStreams(topo.Frames); err != nil {
		return 0, err
	}
	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.Frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		return 0, fmt.Errorf("emitter: %w", err)
	}
	sink := &emitterSink{em: em}
	g, gctx := errgroup.WithContext(ctx)
	for _, c := range cams {
		g.Go(func() error {
			_, err := c.Run(gctx, src, count, sink.emit)
			return err
		})
	}
	runErr := g.Wait()
	if err := em.Finish(); err != nil && runErr == nil {
		runErr = err
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if runErr == nil {
		runErr = sink.err
	}
	return sink.acked.Load(), runErr
}

// emitterSink sends frames through a goka Emitter without waiting for each acknowledgement,
// counting the ones Kafka acknowledged and failing on the first error it reports.
type emitterSink struct {
	em    *goka.Emitter
	acked atomic.Int64
	mu    sync.Mutex
	err   error
}

func (s *emitterSink) emit(_ context.Context, f schemas.Frame) error {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return err
	}
	prom, err := s.em.Emit(f.CameraID, f)
	if err != nil {
		return err
	}
	prom.Then(func(err error) {
		if err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.mu.Unlock()
			return
		}
		s.acked.Add(1)
	})
	return nil
}

// FrameWriter writes frames one at a time and waits for each acknowledgement: the gateway's
// POST /v1/frames. Safe for concurrent use.
type FrameWriter struct {
	em    *goka.Emitter
	topic string
}

// NewFrameWriter makes a writer to the frames topic; Close flushes it.
func NewFrameWriter(clients *kafka.Clients, topo Topology, w *Wire) (*FrameWriter, error) {
	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.Frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		return nil, fmt.Errorf("frames emitter: %w", err)
	}
	return &FrameWriter{em: em, topic: string(topo.Frames)}, nil
}

// Written is where Kafka put a frame.
type Written struct {
	Topic     string
	Partition int32
	Offset    int64
}

// Write sends f and waits for Kafka's acknowledgement or for ctx to end. An error for a record
// that can never be written (too large, refused by a policy) has kafka.Permanent's code: the
// caller must change the record, not retry it.
func (s *FrameWriter) Write(ctx context.Context, f schemas.Frame) (Written, error) {
	prom, err := s.em.Emit(f.CameraID, f)
	if err != nil {
		return Written{}, err
	}
	type ack struct {
		at  Written
		err error
	}
	done := make(chan ack, 1)
	prom.ThenWithMessage(func(m *sarama.ProducerMessage, err error) {
		a := ack{err: err}
		if m != nil {
			a.at = Written{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
		}
		done <- a
	})
	select {
	case a := <-done:
		if a.at.Topic == "" {
			a.at.Topic = s.topic
		}
		return a.at, a.err
	case <-ctx.Done():
		return Written{}, fmt.Errorf("waiting for Kafka's acknowledgement: %w", ctx.Err())
	}
}

// Topic is the topic the writer writes to.
func (s *FrameWriter) Topic() string { return s.topic }

// Close flushes the frames still in flight.
func (s *FrameWriter) Close() error { return s.em.Finish() }

// Outputs are what Follow calls for each new record of the topics it follows; nil skips one.
// They are called from one goroutine at a time.
type Outputs struct {
	Frame     func(schemas.Frame)
	Keypoints func(schemas.KeypointEvent)
	Action    func(schemas.ActionEvent)
	Stats     func(schemas.PoseStats)
}

// Follow reads every new frame, keypoint event, action and window of stats from now on and
// passes each to out, until ctx ends. Records it cannot decode are skipped, and so is a frame
// whose key is not its camera's id: a live view, not an account.
func Follow(ctx context.Context, clients *kafka.Clients, topo Topology, w *Wire, out Outputs) error {
	var topics []string
	for _, t := range []struct {
		topic goka.Stream
		on    bool
	}{{topo.Frames, out.Frame != nil}, {topo.Keypoints, out.Keypoints != nil}, {topo.Actions, out.Action != nil}, {topo.Stats, out.Stats != nil}} {
		if t.on {
			topics = append(topics, string(t.topic))
		}
	}
	return Tail(ctx, clients, topics, false, func(r Record) error {
		switch r.Topic {
		case string(topo.Frames):
			if f, err := w.Frames.Decode(r.Value); err == nil && f.CameraID == r.Key {
				out.Frame(f)
			}
		case string(topo.Keypoints):
			if ev, err := w.Keypoints.Decode(r.Value); err == nil {
				out.Keypoints(ev)
			}
		case string(topo.Actions):
			if ev, err := w.Actions.Decode(r.Value); err == nil {
				out.Action(ev)
			}
		case string(topo.Stats):
			if ev, err := w.Stats.Decode(r.Value); err == nil {
				out.Stats(ev)
			}
		}
		return nil
	})
}
