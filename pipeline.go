package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/analytics"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// wire holds the Avro codecs of every topic: registered with the Schema Registry when there is
// one (Confluent wire format), single-object encoded when not.
type wire struct {
	frames    *codecs.Avro[schemas.Frame]
	keypoints *codecs.Avro[schemas.KeypointEvent]
	actions   *codecs.Avro[schemas.ActionEvent]
	stats     *codecs.Avro[schemas.PoseStats]
	dlq       *codecs.Avro[schemas.DeadLetter]
}

// newWire builds the codecs; with a registry URL it registers every schema, which fails early
// and clearly when a schema is incompatible with what the registry holds.
func newWire(ctx context.Context, topo Topology, registryURL string) (*wire, error) {
	var reg codecs.Registry
	if registryURL != "" {
		var err error
		if reg, err = codecs.NewRegistry(registryURL); err != nil {
			return nil, err
		}
	}
	var w wire
	var err error
	if w.frames, err = codecs.NewAvro(ctx, string(topo.Frames), schemas.FrameContract(), reg); err != nil {
		return nil, err
	}
	if w.keypoints, err = codecs.NewAvro(ctx, string(topo.Keypoints), schemas.KeypointEventContract(), reg); err != nil {
		return nil, err
	}
	if w.actions, err = codecs.NewAvro(ctx, string(topo.Actions), schemas.ActionEventContract(), reg); err != nil {
		return nil, err
	}
	if w.stats, err = codecs.NewAvro(ctx, string(topo.Stats), schemas.PoseStatsContract(), reg); err != nil {
		return nil, err
	}
	if w.dlq, err = codecs.NewAvro(ctx, string(topo.DLQ), schemas.DeadLetterContract(), reg); err != nil {
		return nil, err
	}
	return &w, nil
}

// pipelineConfig is everything the two processors need.
type pipelineConfig struct {
	topo          Topology
	landmarker    landmarks.Landmarker
	maxAge        time.Duration
	maxImageBytes int
	maxMegapixels float64
	maxClockSkew  time.Duration
	maxSeqJump    int64
	window, grace time.Duration
	// stateDir keeps the processors' local copies of their tables (LevelDB) across restarts, so
	// a restart reads only the table's tail; empty keeps them in memory and rebuilds them from the
	// table topics at start (the state is small: one row per camera and per user).
	stateDir string
	// log receives goka's messages (rebalances, recovery) at gokaLevel; nil discards them.
	log       *slog.Logger
	gokaLevel slog.Level
	// observe, when set, sees every frame's outcome besides the metrics (the demo's summary).
	observe func(landmarks.Observation)
}

// pipeline is the landmarks and analytics processors of one instance.
type pipeline struct {
	landmarks, analytics *goka.Processor
	// punctuate closes the windows of users who stopped sending (analytics.Punctuator).
	punctuate func(context.Context) error
	// committed holds the landmarks processor's observations until their records are committed.
	committed *landmarks.Committed
	// refused is the first write refused for want of a grant: from then on the processors are
	// stopping, and not ready.
	refused atomic.Pointer[kafka.WriteFailure]
}

// refusal says why the processors are not ready when a write was refused, nil when none was.
func (p *pipeline) refusal() error {
	if f := p.refused.Load(); f != nil {
		return fmt.Errorf("processors stopping: a write to topic %s was refused (%s), the principal not authorized: %v", f.Topic, f.Code, f.Err)
	}
	return nil
}

// newPipeline builds both processors against a cluster. It creates the stream topics they read
// and write if they are missing (goka creates only its tables).
func newPipeline(cfg pipelineConfig, k *kafka.Clients, w *wire, reg prometheus.Registerer) (*pipeline, error) {
	// Every topic the processors use exists before they start, with holostream's replication and
	// min.insync.replicas (goka would create the tables and the loopback itself, without them).
	if err := k.EnsureStreams(append(cfg.topo.Streams(), loopTopic(cfg.topo.Analytics))...); err != nil {
		return nil, err
	}
	if err := k.EnsureTables(cfg.topo.Landmarks, cfg.topo.Analytics); err != nil {
		return nil, err
	}
	// The repartition topic gets the frames topic's partition count, which may predate
	// --partitions; the count is also what Route places keys with.
	framesPartitions, err := k.EnsureCopartitioned(cfg.topo.Frames, cfg.topo.Repartition)
	if err != nil {
		return nil, err
	}
	metrics, err := landmarks.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	// A record that can never be written (too large for its topic, refused by a policy) costs
	// that record, not the stream: counted, logged, and processing goes on.
	// A write refused for want of a grant is counted too, and stops the processors.
	writeFailures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "holostream", Subsystem: "kafka", Name: "writes_failed_total",
		Help: "Records the processors could not write, by topic and code: skipped, never retried (RECORD_TOO_LARGE, INVALID_RECORD, POLICY_VIOLATION, INVALID_TIMESTAMP), or refused for want of a grant, which stops the processors (TOPIC_AUTHORIZATION_FAILED, ...).",
	}, []string{"topic", "code"})
	if err := reg.Register(writeFailures); err != nil {
		return nil, err
	}
	p := &pipeline{}
	tolerant := *k
	tolerant.Config.OnWriteFailure = func(f kafka.WriteFailure) {
		// Not ready before the refusal shows in the metrics.
		first := f.Stops && p.refused.CompareAndSwap(nil, &f)
		writeFailures.WithLabelValues(f.Topic, f.Code).Inc()
		switch {
		case cfg.log == nil:
		case first:
			cfg.log.Error("record not written: not authorized; the processors stop until the principal may write the topic", "topic", f.Topic, "code", f.Code, "err", f.Err)
		case !f.Stops:
			cfg.log.Warn("record not written, and never will be: skipped", "topic", f.Topic, "key", f.Key, "bytes", f.Bytes, "code", f.Code, "err", f.Err)
		}
	}
	observe := metrics.Observe
	if cfg.observe != nil {
		observe = func(o landmarks.Observation) { metrics.Observe(o); cfg.observe(o) }
	}
	// A frame counts once its record is committed: its event and table row written.
	committed := landmarks.NewCommitted(observe)
	tolerant.Config.Marks = groupMarks{group: string(cfg.topo.Landmarks), c: committed}
	k = &tolerant
	lc := &landmarks.Config{
		Frames: cfg.topo.Frames, Keypoints: cfg.topo.Keypoints, DeadLetters: cfg.topo.DLQ,
		Landmarker: cfg.landmarker, DecodeFrame: w.frames.Decode, Transient: transient,
		MaxAge: cfg.maxAge, MaxImageBytes: cfg.maxImageBytes, MaxMegapixels: cfg.maxMegapixels,
		MaxRecordBytes: k.Config.MaxRecordBytes(), MaxClockSkew: cfg.maxClockSkew, MaxSeqJump: cfg.maxSeqJump,
		Observe: committed.Observe,
	}
	partitioner := k.Config.Partitioner
	lc.Repartition = landmarks.Repartitioning{Topic: cfg.topo.Repartition, Partitions: framesPartitions,
		Partition: func(key string, n int32) int32 { return partitioner.Partition([]byte(key), n) },
		Forwarded: metrics.Forwarded}
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	opts := append(k.ProcessorOptions(), goka.WithStorageBuilder(storageBuilder(cfg.stateDir)),
		goka.WithLogger(gokaLogger{cfg.log, cfg.gokaLevel}))
	// Tombstones reach the callback (goka drops them by default), which counts them.
	lp, err := goka.NewProcessor(k.Config.Brokers, lc.Group(cfg.topo.Landmarks, landmarks.Codecs{
		Frames: codecs.Bytes{}, State: landmarks.StateCodec{}, Keypoints: w.keypoints.Codec(), DeadLetters: w.dlq.Codec(),
	}), append(opts[:len(opts):len(opts)], goka.WithNilHandling(goka.NilProcess))...)
	if err != nil {
		return nil, fmt.Errorf("landmarks processor: %w", err)
	}
	am, err := analytics.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	ac := analytics.Config{
		Keypoints: cfg.topo.Keypoints, Actions: cfg.topo.Actions, Stats: cfg.topo.Stats,
		Window: cfg.window, Grace: cfg.grace, DecodeKeypoints: w.keypoints.Decode, Observe: am.Observe,
	}
	ac.Punctuator = analytics.NewPunctuator(ac.Spec())
	if err := ac.Validate(); err != nil {
		return nil, err
	}
	ap, err := goka.NewProcessor(k.Config.Brokers, ac.Group(cfg.topo.Analytics,
		codecs.JSON[analytics.UserState]{}, w.actions.Codec(), w.stats.Codec(), codecs.Bytes{}),
		append(opts[:len(opts):len(opts)], ac.Punctuator.ProcessorOptions()...)...)
	if err != nil {
		return nil, fmt.Errorf("analytics processor: %w", err)
	}
	punctuate := func(ctx context.Context) error {
		return ac.Punctuator.Run(ctx, k.Config.Brokers, cfg.topo.Analytics, k.ViewOptions(), k.EmitterOptions())
	}
	p.landmarks, p.analytics, p.punctuate, p.committed = lp, ap, punctuate, committed
	return p, nil
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

// run runs both processors, and the analytics punctuator beside them, until ctx ends or one fails.
func (p *pipeline) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ignoreCanceled(p.landmarks.Run(ctx)) })
	g.Go(func() error { return ignoreCanceled(p.analytics.Run(ctx)) })
	if p.punctuate != nil {
		g.Go(func() error { return ignoreCanceled(p.punctuate(ctx)) })
	}
	return g.Wait()
}

// waitRunning blocks until both processors have joined their groups and recovered their tables.
func (p *pipeline) waitRunning(ctx context.Context) error {
	for _, proc := range []*goka.Processor{p.landmarks, p.analytics} {
		if err := proc.WaitForReadyContext(ctx); err != nil {
			return err
		}
	}
	return nil
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

// loopTopic is the topic of a group's goka.Loop edge (goka names it "<group>-loop").
func loopTopic(g goka.Group) goka.Stream { return goka.Stream(string(g) + "-loop") }

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

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
