package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/schemas"
)

// Outputs records the outcomes a run reads from the pipeline's output topics: keypoint events
// and dead letters, decoded. Safe for concurrent use.
type Outputs struct {
	Rec *Recorder
	// model is the landmark model the first keypoint event names.
	model atomic.Pointer[string]
}

// Keypoints records an emitted frame at now, with its capture-to-now latency.
func (o *Outputs) Keypoints(ev schemas.KeypointEvent, now time.Time) {
	if o.model.Load() == nil {
		m := ev.Model
		o.model.CompareAndSwap(nil, &m)
	}
	o.Rec.Outcome(FrameID{Camera: ev.CameraID, Seq: ev.Seq}, Emitted, now, now.Sub(ev.CapturedAt), ev.Status == schemas.StatusDetected)
}

// DeadLetter records a dead-lettered frame at now.
func (o *Outputs) DeadLetter(dl schemas.DeadLetter, now time.Time) {
	o.Rec.Outcome(FrameID{Camera: dl.CameraID, Seq: dl.Seq}, DeadLettered, now, 0, false)
}

// Model is the landmark model the keypoint events named, "" before the first.
func (o *Outputs) Model() string {
	if m := o.model.Load(); m != nil {
		return *m
	}
	return ""
}

// Emit sends one frame without waiting, calling done with the write's outcome once known.
type Emit func(f schemas.Frame, done func(error)) error

// Sink is a camera's sink that sends each frame with emit, recording it as sent, then
// acknowledged or failed.
func (r *Recorder) Sink(emit Emit) camera.Sink {
	return func(_ context.Context, f schemas.Frame) error {
		id := FrameID{Camera: f.CameraID, Seq: f.Seq}
		r.Sent(id, time.Now())
		err := emit(f, func(err error) {
			if err != nil {
				r.Failed(id, "produce")
				return
			}
			r.Acked(id)
		})
		if err != nil {
			r.Failed(id, "produce")
		}
		return nil
	}
}

// Pipeline is what a run through Kafka needs of the pipeline under test: the caller connects
// it to a cluster (the stream package's parts), or to the processors of this process.
type Pipeline struct {
	// Emit writes a frame to the frames topic without waiting; Flush waits for the writes in
	// flight.
	Emit  Emit
	Flush func() error
	// Follow reads the keypoint events and dead letters of the run's cameras (keys starting with
	// CameraPrefix) into out until ctx ends; it calls ready once its starting offsets are fixed
	// (reading from the newest offsets, a record written before that could be missed).
	Follow func(ctx context.Context, ready func(), out *Outputs) error
	// Lag reads the processors' consumer lag; nil: not measured.
	Lag func() (int64, error)
	// Counts reads a camera's stale and duplicate counters where the processors run elsewhere
	// (their table); nil where they report those outcomes themselves (Recorder.Outcome).
	Counts func(camera string) (stale, dup int64, ok bool)
	// Meter reads the CPU and memory of the process under test; nil: not measured.
	Meter *Meter
}

// ExecuteKafka runs the plan through Kafka: each camera's frames emitted with p, their outcomes
// read back with p.Follow (started first, and ready before the first frame), the drain waiting
// for the last ones. It fills in run's model from the keypoint events when it has none.
func (pl Plan) ExecuteKafka(ctx context.Context, log *slog.Logger, p Pipeline, src camera.Source, rec *Recorder, run *Run, progress io.Writer) error {
	out := &Outputs{Rec: rec}
	fctx, stopFollow := context.WithCancel(ctx)
	defer stopFollow()
	followed := make(chan error, 1)
	ready := make(chan struct{})
	go func() { followed <- p.Follow(fctx, func() { close(ready) }, out) }()
	select {
	case <-ready:
	case err := <-followed:
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("reading the keypoint and dead-letter topics: %w", err)
	case <-ctx.Done():
		stopFollow()
		<-followed
		return ctx.Err()
	}
	d := Driver{
		Camera: func(ctx context.Context, id string, fps float64, dur time.Duration) error {
			ctx, cancel := context.WithTimeout(ctx, dur)
			defer cancel()
			_, err := camera.Camera{ID: id, User: id, FPS: fps}.Run(ctx, src, 0, rec.Sink(p.Emit))
			return err
		},
		Flush: func(context.Context) error { return p.Flush() },
		Lag:   p.Lag,
		Meter: p.Meter,
	}
	if p.Counts != nil {
		d.Refresh = func(context.Context) {
			for _, id := range rec.Cameras() {
				if stale, dup, ok := p.Counts(id); ok {
					rec.CameraCounts(id, stale, dup)
				}
			}
		}
	}
	err := pl.Execute(ctx, log, d, rec, progress)
	if run.Model == "" {
		run.Model = out.Model()
	}
	stopFollow()
	if ferr := <-followed; ferr != nil && err == nil {
		err = fmt.Errorf("reading the outputs: %w", ferr)
	}
	return err
}
