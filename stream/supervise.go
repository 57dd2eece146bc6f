package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/kafka"
)

// Run runs the processors of `holostream run` until ctx ends: it builds them from cfg, serves
// /metrics, /healthz and /readyz on metricsAddr ("": none) with reg, and when they stop early
// (goka's processors stop for good on a consumer group error) builds fresh ones and runs them
// again (supervise). The caller has checked the grants (ProcessorAccess) and registered the
// schemas (NewWire); a grant that goes missing while running is named on /readyz, and after
// maxDenials stops in a row for want of it Run returns an error.
func Run(ctx context.Context, cfg Config, clients *kafka.Clients, w *Wire, reg *prometheus.Registry, metricsAddr string) error {
	p, err := NewPipeline(cfg, clients, w, reg)
	if err != nil {
		return err
	}
	var cur atomic.Pointer[Pipeline]
	cur.Store(p)
	access := ProcessorAccess(cfg.Topology)
	check := func() error { return clients.CheckAccess(access) }
	var health health
	denied := &denials{most: maxDenials, check: check, health: &health,
		progress: func() int64 { return cur.Load().Committed() }}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return supervise(ctx, log, p.Run, func() (func(context.Context) error, error) {
			if err := check(); err != nil {
				return nil, err
			}
			p, err := NewPipeline(cfg, clients, w, replacingRegisterer{reg})
			if err != nil {
				return nil, err
			}
			cur.Store(p)
			return p.Run, nil
		}, denied)
	})
	if metricsAddr != "" {
		ready := func() error {
			if err := health.get(); err != nil {
				return err
			}
			p := cur.Load()
			if err := p.Refusal(); err != nil {
				return err
			}
			if !p.Recovered() {
				return errors.New("processors recovering their tables")
			}
			return nil
		}
		g.Go(func() error { return ServeOps(ctx, metricsAddr, reg, ready) })
	}
	return g.Wait()
}

// LogError logs err at level Error; an access error (kafka.AccessError) first logs each
// missing grant as its own line, so each reads whole.
func LogError(log *slog.Logger, msg string, err error, attrs ...any) {
	var ae *kafka.AccessError
	if errors.As(err, &ae) {
		for _, line := range ae.Lines() {
			log.Error("missing grant", "grant", line)
		}
		first, _, _ := strings.Cut(err.Error(), "\n")
		err = errors.New(strings.TrimSuffix(first, ":") + ": each named above")
	}
	log.Error(msg, append([]any{"err", err}, attrs...)...)
}

// maxDenials is how many times in a row the processors may stop for want of a grant before run
// gives up: with the backoff, about half a minute for an operator's grant to take effect.
const maxDenials = 5

// denials is how supervise treats processors that stopped on an authorization error: a grant is
// missing, which no restart brings. It names what is missing (the access check, which a run's
// error may not: goka's group errors do not say which group), holds /readyz at not ready with
// it, and after most such stops in a row, none of them with records processed in between, gives
// up: run exits non-zero, for the orchestrator's restart policy and alerting to see, instead of
// restarting the processors forever.
type denials struct {
	most int
	// check names every missing grant (kafka.AccessError), nil when none is.
	check  func() error
	health *health
	// progress is how many records the processors have committed so far.
	progress func() int64
	n        int
}

// stopped logs why the processors stopped, and returns the error to exit with once too many
// stops in a row were denials.
func (d *denials) stopped(log *slog.Logger, err error, backoff time.Duration) error {
	code := kafka.Denied(err)
	if d == nil || code == "" {
		log.Warn("processors stopped; restarting them", "err", err, "in", backoff)
		return nil
	}
	d.n++
	reason := err
	var named *kafka.AccessError
	if d.check != nil && !errors.As(err, &named) {
		// A check that fails otherwise (a broker down) says nothing of the grants.
		if cerr := d.check(); kafka.Denied(cerr) != "" {
			reason = cerr
		}
	}
	d.health.set(fmt.Errorf("processors stopped, not authorized (%s), which no restart cures: %w", code, reason))
	if d.n >= d.most {
		return fmt.Errorf("processors stopped %d times in a row, not authorized (%s): giving up: %w", d.n, code, reason)
	}
	LogError(log, "processors stopped, not authorized, which no restart cures: an operator must grant what is missing", reason,
		"code", code, "attempt", d.n, "of", d.most, "retry_in", backoff)
	return nil
}

// ran counts from zero again when the run that began at progress since committed records.
func (d *denials) ran(since int64) {
	if d != nil && d.progress != nil && d.progress() > since {
		d.n = 0
	}
}

func (d *denials) since() int64 {
	if d == nil || d.progress == nil {
		return 0
	}
	return d.progress()
}

// rebuilt: the new processors passed the access check, so /readyz goes by their tables again.
func (d *denials) rebuilt() {
	if d != nil {
		d.health.set(nil)
	}
}

// health is why the processors are not ready besides recovering their tables.
type health struct {
	mu  sync.Mutex
	err error
}

func (h *health) set(err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.err = err
}

func (h *health) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// supervise runs run until ctx ends; when it stops early (goka's processors stop for good on a
// consumer group error, e.g. a broker of the cluster killed under them), it builds fresh
// processors with rebuild and runs them, after a backoff of 1 s doubling to 30 s (back to 1 s
// once a run lasted a minute). Nothing is lost: the camera states are in the table, which the
// new processors recover, and the frames not yet committed are read again (at-least-once).
// Stops for want of a grant are told apart (d; nil: not), and may end it with an error.
func supervise(ctx context.Context, log *slog.Logger, run func(context.Context) error, rebuild func() (func(context.Context) error, error), d *denials) error {
	const first, most = time.Second, 30 * time.Second
	backoff := first
	for {
		start, since := time.Now(), d.since()
		err := run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			backoff = first
		}
		d.ran(since)
		for {
			if err := d.stopped(log, err, backoff); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, most)
			if run, err = rebuild(); err == nil {
				break
			}
		}
		d.rebuilt()
	}
}
