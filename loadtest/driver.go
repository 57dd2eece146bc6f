package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Driver is what a mode (Kafka, HTTP) plugs into a run: a camera sending for a while, the
// readings of the system under test, and the end of the sending.
type Driver struct {
	// Camera sends id's frames at fps for dur (or until ctx ends).
	Camera func(ctx context.Context, id string, fps float64, dur time.Duration) error
	// Lag reads the consumer lag; nil when there is none.
	Lag func() (int64, error)
	// Meter reads CPU and memory; nil when not measured.
	Meter *Meter
	// Flush waits for the acknowledgements (Kafka) or answers (HTTP) still due, within ctx.
	Flush func(ctx context.Context) error
	// Refresh brings in outcomes counted elsewhere (the processors' table), during the drain;
	// nil when there are none.
	Refresh func(ctx context.Context)
}

// CameraID is a camera id unique to the run and the step (from 1), so a frame's (camera, seq)
// is unique and no earlier table state applies to it.
func CameraID(runID string, step, cam int) string {
	return fmt.Sprintf("lt-%s-s%d-cam-%d", runID, step, cam)
}

// CameraPrefix is what every camera id of the run starts with.
func CameraPrefix(runID string) string { return "lt-" + runID + "-" }

// Execute runs the plan's steps one after the other with d, then drains: it waits until every
// acknowledged frame has an outcome or the drain time passes. A sampler reads lag, CPU and
// memory every second, and, unless the plan is quiet, a progress line on progress shows the
// state.
func (p Plan) Execute(ctx context.Context, log *slog.Logger, d Driver, rec *Recorder, progress io.Writer) error {
	var draining atomic.Bool
	bg, stopBg := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sample(bg, log, d, rec)
	}()
	var prog *Progress
	if !p.Quiet {
		prog = NewProgress(progress, IsTerminal(progress))
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case now := <-t.C:
					l := rec.Live(now)
					l.Steps = len(p.Steps)
					prog.Update(now, l, draining.Load())
				case <-bg.Done():
					return
				}
			}
		}()
	}
	defer func() {
		stopBg()
		wg.Wait()
		if prog != nil {
			prog.Done()
		}
	}()

	for i, spec := range p.Steps {
		ids := make([]string, spec.Cameras)
		for c := range ids {
			ids[c] = CameraID(p.RunID, i+1, c+1)
		}
		start := time.Now()
		rec.BeginStep(spec, ids, start, p.Duration, p.Warmup)
		if err := runCameras(ctx, d, ids, spec.FPS, start.Add(p.Duration)); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, spec, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	draining.Store(true)
	return p.drain(ctx, log, d, rec)
}

// drain waits until every acknowledged frame has an outcome or the plan's drain time passes.
func (p Plan) drain(ctx context.Context, log *slog.Logger, d Driver, rec *Recorder) error {
	dctx, cancel := context.WithTimeout(ctx, p.Drain)
	defer cancel()
	if err := d.Flush(dctx); err != nil && dctx.Err() == nil {
		return err
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if d.Refresh != nil {
			d.Refresh(dctx)
		}
		if rec.Pending() == 0 {
			return nil
		}
		select {
		case <-t.C:
		case <-dctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("drain timed out: frames without an outcome are reported unaccounted", "pending", rec.Pending(), "drain", p.Drain)
			return nil
		}
	}
}

// runCameras runs the cameras of one step until end: fps*duration frames each. Their first
// frames are spread over one frame interval, as real cameras are not in phase.
func runCameras(ctx context.Context, d Driver, ids []string, fps float64, end time.Time) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	interval := time.Duration(float64(time.Second) / fps)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			delay := interval * time.Duration(i) / time.Duration(len(ids))
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			// Each camera runs for the step's length less half an interval from its own start:
			// fps*duration frames, the last one clear of the step's end.
			if dur := time.Until(end.Add(delay)) - interval/2; dur > 0 {
				errs[i] = d.Camera(ctx, id, fps, dur)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sample records lag, CPU and memory, and the host's CPU use, every second until ctx ends.
func sample(ctx context.Context, log *slog.Logger, d Driver, rec *Recorder) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	warned := map[string]bool{}
	warn := func(what string, err error) {
		if !warned[what] {
			warned[what] = true
			log.Warn("loadtest: cannot read "+what+" (reported as absent)", "err", err)
		}
	}
	host := NewHostCPU()
	host.Sample() // the readings the first second is compared with
	if d.Meter != nil {
		d.Meter.Sample(ctx)
	}
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		s := Sample{At: time.Now()}
		if d.Lag != nil {
			if v, err := d.Lag(); err != nil {
				warn("the consumer lag", err)
			} else {
				s.Lag = &v
			}
		}
		if d.Meter != nil {
			cores, rss, err := d.Meter.Sample(ctx)
			if err != nil && ctx.Err() == nil {
				warn("CPU and memory", err)
			}
			s.CPUCores, s.RSSMB = cores, rss
		}
		var err error
		if s.HostCPUCores, err = host.Sample(); err != nil {
			warn("the host's CPU use", err)
		}
		rec.Sample(s)
	}
}
