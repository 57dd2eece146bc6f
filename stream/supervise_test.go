package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/holostream/holostream/kafka"
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
	if err := supervise(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), run, rebuild, nil); err != nil {
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

// TestSuperviseGivesUpOnDenials: processors that stop for want of a grant are restarted a
// bounded number of times, /readyz's reason naming the grant the check finds missing, then
// supervise returns that error (run exits non-zero); a run that committed records in between
// counts from zero again; other errors are retried as before.
func TestSuperviseGivesUpOnDenials(t *testing.T) {
	t.Parallel()
	denied := fmt.Errorf("error emitting to acl.keypoints: %v", sarama.ErrTopicAuthorizationFailed)
	missing := &kafka.AccessError{Principal: "User:holostream", Brokers: []string{"127.0.0.1:9093"}, Missing: []kafka.Grant{
		{Principal: "User:holostream", Resource: "topic", Name: "acl.keypoints", Ops: []kafka.Operation{kafka.Write}}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var runs, committed atomic.Int64
	var h health
	var readyWhileDenied []error
	run := func(context.Context) error {
		// The second run processed records before it was refused too.
		if runs.Add(1) == 2 {
			committed.Add(10)
		}
		if runs.Load() > 1 {
			readyWhileDenied = append(readyWhileDenied, h.get())
		}
		return denied
	}
	d := &denials{most: 3, check: func() error { return missing }, health: &h, progress: committed.Load}
	// The rebuild passes (as if the grant came back between the check and the run), so only the
	// runs are refused.
	rebuild := func() (func(context.Context) error, error) { return run, nil }
	start := time.Now()
	err := supervise(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), run, rebuild, d)
	var ae *kafka.AccessError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "3 times in a row") {
		t.Fatalf("supervise: %v; want it to give up with the check's error", err)
	}
	// Run 2 committed records before it was refused: it starts the count again, and with runs
	// 3 and 4 makes the three in a row.
	if runs.Load() != 4 {
		t.Errorf("%d runs, want 4", runs.Load())
	}
	if err := h.get(); err == nil || !strings.Contains(err.Error(), "lacks Write on topic acl.keypoints") {
		t.Errorf("readiness: %v; want the missing grant named", err)
	}
	// Each rebuild passed the check: its run starts ready, until refused again.
	for i, e := range readyWhileDenied {
		if e != nil {
			t.Errorf("run %d started not ready: %v", i+2, e)
		}
	}
	t.Logf("gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
}
