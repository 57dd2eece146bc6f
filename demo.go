package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// demoSummary is the JSON line `demo --frames N` prints at the end.
type demoSummary struct {
	FramesIn     int64         `json:"frames_in"`
	KeypointsOut int64         `json:"keypoints_out"`
	Detected     int64         `json:"detected"`
	DLQ          int64         `json:"dlq"`
	Stale        int64         `json:"stale"`
	Duplicate    int64         `json:"duplicate"`
	FPS          float64       `json:"fps"`
	LatencyMs    latencySummay `json:"latency_ms"`
}

type latencySummay struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// demoStats collects what the demo's consumer and the processors' observer see.
type demoStats struct {
	start                                time.Time
	keypoints, detected, dlq, stale, dup atomic.Int64
	mu                                   sync.Mutex
	latencies                            []float64 // ms, captured_at to keypoint event received
	// keep bounds latencies to the last keep events (0: all), so a demo left running does not
	// grow, nor sort more every summary; next is where the next one goes once it is full.
	keep, next int
}

// demoLatencyWindow is how many of the last latencies a demo without --frames summarizes: about
// 8 minutes of two cameras at 10 fps.
const demoLatencyWindow = 10000

func (s *demoStats) addLatency(ms float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keep <= 0 || len(s.latencies) < s.keep {
		s.latencies = append(s.latencies, ms)
		return
	}
	s.latencies[s.next] = ms
	s.next = (s.next + 1) % s.keep
}

// observe counts the frames the processors drop without an output to read.
func (s *demoStats) observe(ob landmarks.Observation) {
	switch ob.Outcome {
	case landmarks.OutcomeStale:
		s.stale.Add(1)
	case landmarks.OutcomeDuplicate:
		s.dup.Add(1)
	}
}

// record counts one record of the keypoints or dead-letter topic.
func (s *demoStats) record(topo stream.Topology, w *stream.Wire, r stream.Record) {
	if r.Topic == string(topo.DLQ) {
		s.dlq.Add(1)
		return
	}
	if ev, err := w.Keypoints.Decode(r.Value); err == nil {
		s.keypoints.Add(1)
		if ev.Status == schemas.StatusDetected {
			s.detected.Add(1)
		}
		s.addLatency(float64(time.Since(ev.CapturedAt).Microseconds()) / 1000)
	}
}

func (s *demoStats) accounted() int64 {
	return s.keypoints.Load() + s.dlq.Load() + s.stale.Load() + s.dup.Load()
}

func (s *demoStats) summary(framesIn int64) demoSummary {
	s.mu.Lock()
	lat := append([]float64(nil), s.latencies...)
	s.mu.Unlock()
	sort.Float64s(lat)
	out := demoSummary{FramesIn: framesIn, KeypointsOut: s.keypoints.Load(), Detected: s.detected.Load(),
		DLQ: s.dlq.Load(), Stale: s.stale.Load(), Duplicate: s.dup.Load(),
		LatencyMs: latencySummay{P50: percentile(lat, 50), P95: percentile(lat, 95), P99: percentile(lat, 99)}}
	if secs := time.Since(s.start).Seconds(); secs > 0 {
		out.FPS = math.Round(float64(out.KeypointsOut)/secs*10) / 10
	}
	return out
}

// logEvery logs the running summary every period until ctx ends.
func (s *demoStats) logEvery(ctx context.Context, log *slog.Logger, period time.Duration, produced func() int64) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			sum := s.summary(produced())
			log.Info("demo", "keypoints", sum.KeypointsOut, "detected", sum.Detected, "dlq", sum.DLQ, "stale", sum.Stale,
				"duplicate", sum.Duplicate, "fps", sum.FPS, "p50_ms", sum.LatencyMs.P50, "p99_ms", sum.LatencyMs.P99)
		case <-ctx.Done():
			return
		}
	}
}

// percentile of sorted values, nearest rank; 0 for none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return math.Round(sorted[i]*10) / 10
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("demo", "demo [flags]\n\nRuns everything in one process: an embedded Kafka-protocol cluster and Schema Registry, the\nprocessors, and camera producers streaming real footage of people. Prints a summary line every\nfew seconds; with --frames N it stops once N frames are accounted for and prints one JSON line.", stderr)
	var pf processorFlags
	pf.register(fs)
	frames := fs.Int("frames", 0, "stop after this many frames are accounted for and print a JSON summary (0: run until interrupted)")
	cameras := fs.Int("cameras", 2, "simulated cameras")
	fps := fs.Float64("fps", 10, "frames per second per camera")
	partitions := fs.Int("partitions", 6, "partitions of every topic")
	badEvery := fs.Int("bad-every", 0, "make every Nth frame a corrupt JPEG, to show the dead-letter path (0: none)")
	timeout := fs.Duration("timeout", 10*time.Minute, "with --frames: give up after this long")
	var gf gatewayFlags
	gf.register(fs, "http-addr", "127.0.0.1:8080")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	if *frames < 0 || *cameras < 1 || *fps < 0 || *partitions < 1 || *badEvery < 0 {
		fmt.Fprintln(stderr, "holostream demo: --frames, --fps, --bad-every must be >= 0; --cameras, --partitions >= 1")
		return 2
	}
	log := newLogger(stderr)
	sum, err := demo(ctx, log, pf, demoOptions{frames: *frames, cameras: *cameras, fps: *fps, partitions: *partitions, badEvery: *badEvery, timeout: *timeout, http: gf})
	if sum != nil {
		json.NewEncoder(stdout).Encode(sum)
	}
	if err != nil {
		log.Error("holostream demo failed", "err", err)
		return 1
	}
	return 0
}

type demoOptions struct {
	frames, cameras, partitions, badEvery int
	fps                                   float64
	timeout                               time.Duration
	// http serves the gateway and the web UI on http.addr; "" leaves them off.
	http gatewayFlags
}

func demo(ctx context.Context, log *slog.Logger, pf processorFlags, o demoOptions) (*demoSummary, error) {
	src, err := defaultFootage()
	if err != nil {
		return nil, err
	}
	stats := &demoStats{}
	if o.frames == 0 {
		stats.keep = demoLatencyWindow
	}
	if o.frames > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	e, lm, reg, err := startDemoStream(ctx, log, pf, o.partitions, stats.observe)
	if err != nil {
		return nil, err
	}
	defer lm.Close()
	defer e.Close()
	log.Info("demo starting", "brokers", e.Cluster.Brokers(), "registry", e.Cluster.RegistryURL(), "model", lm.Kind(),
		"workers", lm.Workers(), "cameras", o.cameras, "fps", o.fps, "footage_frames", len(src))

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		select {
		case <-e.Done():
			return fmt.Errorf("processors stopped: %w", e.Err())
		case <-gctx.Done():
			return nil
		}
	})
	if o.http.addr != "" {
		o.http.maxImageBytes, o.http.maxMegapixels = pf.maxImageBytes, pf.maxMegapixels
		if err := demoGateway(gctx, log, g, o.http, e, lm, reg); err != nil {
			stop()
			g.Wait()
			return nil, err
		}
	}
	perCamera := 0
	if o.frames > 0 {
		perCamera = (o.frames + o.cameras - 1) / o.cameras
	}
	total := int64(perCamera * o.cameras)
	var produced atomic.Int64
	producerDone := make(chan struct{})
	stats.start = time.Now()
	g.Go(func() error {
		defer close(producerDone)
		prefix := "camera"
		if o.cameras == 1 {
			prefix = "camera-1"
		}
		n, err := stream.Produce(gctx, e.Clients, e.Topology, e.Wire, corruptEvery(src, o.badEvery), cameras(prefix, "", o.cameras, o.fps), perCamera)
		produced.Store(n)
		return err
	})
	g.Go(func() error {
		topics := []string{string(e.Topology.Keypoints), string(e.Topology.DLQ)}
		return stream.Tail(gctx, e.Clients, topics, true, func(r stream.Record) error {
			if stats.record(e.Topology, e.Wire, r); total > 0 && stats.accounted() >= total {
				stop()
			}
			return nil
		})
	})
	g.Go(func() error { stats.logEvery(gctx, log, 3*time.Second, produced.Load); return nil })
	err = g.Wait()
	<-producerDone
	return o.verdict(stats.summary(produced.Load()), stats.accounted(), total, err)
}

// startDemoStream opens the model and starts the embedded cluster with the processors, observe
// seeing their outcomes; the registry it returns holds their metrics and the model's.
func startDemoStream(ctx context.Context, log *slog.Logger, pf processorFlags, partitions int, observe func(landmarks.Observation)) (*stream.Embedded, *model.Landmarker, *prometheus.Registry, error) {
	cfg, err := pf.config(stream.NewTopology(""), log, slog.LevelDebug)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg.Observe = observe
	lm, err := pf.open()
	if err != nil {
		return nil, nil, nil, err
	}
	cfg.Landmarker = lm
	reg := stream.NewProcessRegistry()
	if err := stream.RegisterModel(reg, lm); err != nil {
		lm.Close()
		return nil, nil, nil, err
	}
	e, err := stream.StartEmbedded(ctx, cfg, partitions, kafka.Config{ClientID: "holostream-demo", MaxImageBytes: pf.maxImageBytes}, reg)
	if err != nil {
		lm.Close()
		return nil, nil, nil, err
	}
	return e, lm, reg, nil
}

// verdict is the demo's result: with --frames, an error unless every frame produced was
// accounted for within --timeout; without, only the run's own error.
func (o demoOptions) verdict(s demoSummary, accounted, total int64, err error) (*demoSummary, error) {
	if o.frames == 0 {
		return &s, stream.IgnoreCanceled(err)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return &s, err
	}
	if s.FramesIn != total || accounted != total {
		return &s, fmt.Errorf("%d frames produced of %d, %d accounted for (keypoints+dlq+stale+duplicate) within --timeout %v",
			s.FramesIn, total, accounted, o.timeout)
	}
	return &s, nil
}

// corruptEvery returns src with every nth frame cut to a third of its bytes: a truncated JPEG,
// which the processor must dead-letter.
func corruptEvery(src camera.Source, n int) camera.Source {
	if n <= 0 {
		return src
	}
	out := append(camera.Source(nil), src...)
	for i := n - 1; i < len(out); i += n {
		s := out[i]
		s.Data = s.Data[:len(s.Data)/3]
		s.Name += " (truncated)"
		out[i] = s
	}
	return out
}

// demoGateway serves the HTTP API and the web UI beside the demo's processors, with their
// landmarker for POST /v1/infer.
func demoGateway(ctx context.Context, log *slog.Logger, g *errgroup.Group, gf gatewayFlags, e *stream.Embedded, lm *model.Landmarker, reg *prometheus.Registry) error {
	cfg, err := gf.config(log)
	if err != nil {
		return err
	}
	cfg.Inferer, cfg.Gatherer, cfg.Registerer = lm, reg, reg
	if gf.inferWorkers == 0 {
		cfg.InferWorkers = lm.Workers() // the processors' landmarker: --workers
	}
	gk, err := startGatewayKafka(ctx, g, e.Clients, e.Topology, e.Wire)
	if err != nil {
		return err
	}
	gk.apply(&cfg)
	addr, err := startGateway(ctx, g, cfg, gf.addr, "--http-addr")
	if err != nil {
		return err
	}
	log.Info("web UI and HTTP API: open http://"+addr+"/", "cameras", "http://"+addr+"/cameras/camera-1")
	return nil
}
