package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestSuperviseRestartsStoppedProcessors: processors that stop on their own (goka gives up on a
// consumer group error) are rebuilt and run again, with backoff, until the context ends.
func TestSuperviseRestartsStoppedProcessors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var runs, rebuilds atomic.Int32
	run := func(ctx context.Context) error {
		if runs.Add(1) < 3 {
			return errors.New("error consuming from group consumer: connection refused")
		}
		cancel() // the third run is healthy: it runs until the process is told to stop
		<-ctx.Done()
		return nil
	}
	rebuild := func() (func(context.Context) error, error) {
		if rebuilds.Add(1) == 1 {
			return nil, errors.New("brokers still down")
		}
		return run, nil
	}
	start := time.Now()
	if err := supervise(ctx, quietLog(), run, rebuild); err != nil {
		t.Fatalf("supervise: %v", err)
	}
	if runs.Load() != 3 || rebuilds.Load() != 3 {
		t.Errorf("%d runs, %d rebuilds; want 3 runs (two failed), 3 rebuilds (one failed)", runs.Load(), rebuilds.Load())
	}
	// Backoff 1 s, 2 s, 4 s between the three rebuilds.
	if el := time.Since(start); el < 7*time.Second {
		t.Errorf("restarted after %v: no backoff", el)
	}
}
