package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
)

// Pipeline is the landmarks and analytics processors of one instance, against a cluster.
type Pipeline struct {
	landmarks, analytics *goka.Processor
	// punctuate closes the windows of users who stopped sending (analytics.Punctuator).
	punctuate func(context.Context) error
	// committed holds the landmarks processor's observations until their records are committed.
	committed *landmarks.Committed
	// refused is the first write refused for want of a grant: from then on the processors are
	// stopping, and not ready.
	refused atomic.Pointer[kafka.WriteFailure]
}

// Refusal says why the processors are not ready when a write was refused, nil when none was.
func (p *Pipeline) Refusal() error {
	if f := p.refused.Load(); f != nil {
		return fmt.Errorf("processors stopping: a write to topic %s was refused (%s), the principal not authorized: %v", f.Topic, f.Code, f.Err)
	}
	return nil
}

// Recovered reports whether both processors have read their tables.
func (p *Pipeline) Recovered() bool { return p.landmarks.Recovered() && p.analytics.Recovered() }

// Committed is how many frames' outcomes have been committed so far (Observe has seen them).
func (p *Pipeline) Committed() int64 { return p.committed.Passed() }

// NewPipeline builds both processors against a cluster. It creates the topics they read and
// write if they are missing, with holostream's replication and min.insync.replicas (goka would
// create its tables and the loopback itself, without them). Metrics go to reg.
func NewPipeline(cfg Config, k *kafka.Clients, w *Wire, reg prometheus.Registerer) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	topo := cfg.Topology
	if err := k.EnsureStreams(append(topo.Streams(), topo.Loop())...); err != nil {
		return nil, err
	}
	if err := k.EnsureTables(topo.Landmarks, topo.Analytics); err != nil {
		return nil, err
	}
	// The repartition topic gets the frames topic's partition count, which may predate
	// --partitions; the count is also what Route places keys with.
	framesPartitions, err := k.EnsureCopartitioned(topo.Frames, topo.Repartition)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{}
	tolerant := *k
	tolerant.Config.OnWriteFailure = p.writeFailed(cfg.Log, m.writeFailures)
	partitioner := k.Config.Partitioner
	g, err := newGraph(cfg, w, m, placement{
		partitions: framesPartitions,
		partition:  func(key string, n int32) int32 { return partitioner.Partition([]byte(key), n) },
		maxRecord:  k.Config.MaxRecordBytes(),
	})
	if err != nil {
		return nil, err
	}
	tolerant.Config.Marks = groupMarks{group: string(topo.Landmarks), c: g.committed}
	k = &tolerant
	opts := append(k.ProcessorOptions(), goka.WithStorageBuilder(storageBuilder(cfg.StateDir)),
		goka.WithLogger(gokaLogger{cfg.Log, cfg.GokaLevel}))
	// Tombstones reach the callback (goka drops them by default), which counts them.
	lp, err := goka.NewProcessor(k.Config.Brokers, g.landmarks, append(opts[:len(opts):len(opts)], goka.WithNilHandling(goka.NilProcess))...)
	if err != nil {
		return nil, fmt.Errorf("landmarks processor: %w", err)
	}
	ap, err := goka.NewProcessor(k.Config.Brokers, g.analytics, append(opts[:len(opts):len(opts)], g.punctuator.ProcessorOptions()...)...)
	if err != nil {
		return nil, fmt.Errorf("analytics processor: %w", err)
	}
	p.landmarks, p.analytics, p.committed = lp, ap, g.committed
	p.punctuate = func(ctx context.Context) error {
		return g.punctuator.Run(ctx, k.Config.Brokers, topo.Analytics, k.ViewOptions(), k.EmitterOptions())
	}
	return p, nil
}

// writeFailed counts a record the processors could not write. One that can never be written
// (too large for its topic, refused by a policy) costs that record, not the stream: counted,
// logged, and processing goes on. One refused for want of a grant is counted too, and stops
// the processors (kafka.WriteFailure.Stops): the first makes the pipeline not ready.
func (p *Pipeline) writeFailed(log *slog.Logger, failures *prometheus.CounterVec) func(kafka.WriteFailure) {
	return func(f kafka.WriteFailure) {
		// Not ready before the refusal shows in the metrics.
		first := f.Stops && p.refused.CompareAndSwap(nil, &f)
		failures.WithLabelValues(f.Topic, f.Code).Inc()
		switch {
		case log == nil:
		case first:
			log.Error("record not written: not authorized; the processors stop until the principal may write the topic", "topic", f.Topic, "code", f.Code, "err", f.Err)
		case !f.Stops:
			log.Warn("record not written, and never will be: skipped", "topic", f.Topic, "key", f.Key, "bytes", f.Bytes, "code", f.Code, "err", f.Err)
		}
	}
}

// Run runs both processors, and the analytics punctuator beside them, until ctx ends or one fails.
func (p *Pipeline) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return IgnoreCanceled(p.landmarks.Run(ctx)) })
	g.Go(func() error { return IgnoreCanceled(p.analytics.Run(ctx)) })
	if p.punctuate != nil {
		g.Go(func() error { return IgnoreCanceled(p.punctuate(ctx)) })
	}
	return g.Wait()
}

// WaitRunning blocks until both processors have joined their groups and recovered their tables.
func (p *Pipeline) WaitRunning(ctx context.Context) error {
	for _, proc := range []*goka.Processor{p.landmarks, p.analytics} {
		if err := proc.WaitForReadyContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// groupMarks passes one group's commits on to its observations.
type groupMarks struct {
	group string
	c     *landmarks.Committed
}

func (g groupMarks) Marked(group, topic string, partition int32, next int64) {
	if group == g.group {
		g.c.Marked(topic, partition, next)
	}
}

func (g groupMarks) Ended(group string) {
	if group == g.group {
		g.c.Reset()
	}
}

// gokaLogger sends goka's log lines to slog, so they share the process's format and level.
type gokaLogger struct {
	log   *slog.Logger
	level slog.Level
}

func (g gokaLogger) Print(v ...any)   { g.emit(fmt.Sprint(v...)) }
func (g gokaLogger) Println(v ...any) { g.emit(fmt.Sprint(v...)) }
func (g gokaLogger) Printf(f string, v ...any) {
	g.emit(fmt.Sprintf(f, v...))
}

func (g gokaLogger) emit(msg string) {
	if g.log != nil {
		g.log.Log(context.Background(), g.level, strings.TrimSpace(msg), "component", "goka")
	}
}

func storageBuilder(dir string) storage.Builder {
	if dir == "" {
		return storage.MemoryBuilder()
	}
	return storage.DefaultBuilder(dir)
}

// transient tells a decode error caused by our side (the registry unreachable) from a bad record.
func transient(err error) bool {
	return !errors.Is(err, codecs.ErrMalformed) && !errors.Is(err, codecs.ErrUnknownSchema)
}

// IgnoreCanceled maps the error of a run that ended because its context did to nil.
func IgnoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
