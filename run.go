package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// processorFlags are the settings of the processors, shared by run and demo.
type processorFlags struct {
	model         string
	modelDir      string
	workers       int
	threads       int
	maxAge        time.Duration
	maxImageBytes int
	maxMegapixels float64
	maxClockSkew  time.Duration
	maxSeqJump    int64
	window, grace time.Duration
	stateDir      string
}

func (p *processorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.model, "model", string(model.PoseFull), fmt.Sprintf("landmark pipeline: one of %v", model.Kinds()))
	fs.StringVar(&p.modelDir, "models", "", "directory of the .tflite models (default $HOLOSTREAM_MODELS or .deps/models)")
	fs.IntVar(&p.workers, "workers", model.CPUs(), "frames inferred at once, one interpreter set each (default: the CPUs this process may use, affinity and cgroup quota counted; 0 too)")
	fs.IntVar(&p.threads, "threads", 1, "threads per TFLite interpreter")
	fs.DurationVar(&p.maxAge, "max-age", 10*time.Second, "drop frames captured longer ago than this as stale (0: never)")
	fs.IntVar(&p.maxImageBytes, "max-image-bytes", kafka.DefaultMaxImageBytes, "dead-letter frames whose image is larger than this; the producers' record limit and the max.message.bytes of the topics holostream creates follow it (this + 65 KiB)")
	fs.Float64Var(&p.maxMegapixels, "max-megapixels", pixels.DefaultMaxMegapixels, "dead-letter images whose header declares more megapixels")
	fs.DurationVar(&p.maxClockSkew, "max-clock-skew", schemas.DefaultMaxClockSkew, "dead-letter (BAD_TIME) frames captured further than this ahead of this machine's clock")
	fs.Int64Var(&p.maxSeqJump, "max-seq-jump", landmarks.DefaultMaxSeqJump, "dead-letter (BAD_SEQ) frames whose seq is further than this ahead of their camera's last")
	fs.DurationVar(&p.window, "window", 10*time.Second, "event-time window of pose-stats")
	fs.DurationVar(&p.grace, "grace", 2*time.Second, "how long after a window's end late events are still counted in it")
	fs.StringVar(&p.stateDir, "state-dir", "", "keep local copies of the tables here (LevelDB) for fast restarts; empty: in memory, rebuilt from Kafka at start")
}

func (p *processorFlags) open() (*model.Landmarker, error) {
	kind, err := model.ParseKind(p.model)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	if p.window <= 0 || p.grace < 0 {
		return nil, errors.New("--window must be > 0 and --grace >= 0")
	}
	// 0 leaves the processor's defaults (landmarks.Config): only a negative value is a mistake.
	if p.maxClockSkew < 0 || p.maxSeqJump < 0 || p.maxImageBytes < 0 {
		return nil, errors.New("--max-clock-skew, --max-seq-jump and --max-image-bytes must be >= 0")
	}
	if p.workers < 0 {
		return nil, fmt.Errorf("--workers %d: must be >= 0 (0: the CPUs this process may use, %d here)", p.workers, model.CPUs())
	}
	workers := p.workers
	if workers == 0 {
		workers = model.CPUs()
	}
	return model.Open(kind, model.WithModelDir(p.modelDir), model.WithWorkers(workers), model.WithThreads(p.threads))
}

func (p *processorFlags) pipeline(topo Topology, lm *model.Landmarker) pipelineConfig {
	return pipelineConfig{topo: topo, landmarker: lm, maxAge: p.maxAge, maxImageBytes: p.maxImageBytes,
		maxMegapixels: p.maxMegapixels, maxClockSkew: p.maxClockSkew, maxSeqJump: p.maxSeqJump,
		window: p.window, grace: p.grace, stateDir: p.stateDir}
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "run [flags]\n\nRuns the landmarks and analytics processors against a Kafka cluster until interrupted.", stderr)
	var cf clusterFlags
	var pf processorFlags
	cf.register(fs)
	pf.register(fs)
	metricsAddr := fs.String("metrics-addr", env("HOLOSTREAM_METRICS_ADDR", "127.0.0.1:9464"), "serve /metrics, /healthz and /readyz here; empty: off")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := newLogger(stderr)
	if err := runProcessors(ctx, log, cf, pf, *metricsAddr); err != nil {
		logError(log, "holostream run failed", err)
		return 1
	}
	return 0
}

// logError logs err at level Error; an access error (kafka.AccessError) first logs each
// missing grant as its own line, so each reads whole.
func logError(log *slog.Logger, msg string, err error, attrs ...any) {
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

func runProcessors(ctx context.Context, log *slog.Logger, cf clusterFlags, pf processorFlags, metricsAddr string) error {
	cf.maxImageBytes = pf.maxImageBytes
	clients, err := cf.clients("holostream")
	if err != nil {
		return err
	}
	topo := NewTopology(cf.prefix)
	// Every grant the processors need, checked before anything is made or written: a missing
	// one is named now, with the others, rather than found one at a time at run time.
	access := processorAccess(topo)
	if err := clients.CheckAccess(access); err != nil {
		return err
	}
	lm, err := pf.open()
	if err != nil {
		return err
	}
	defer lm.Close()
	w, err := newWire(ctx, topo, cf.registry)
	if errors.Is(err, codecs.ErrIncompatible) {
		return fmt.Errorf("schemas: %w\nThe registry holds a schema for one of the topics that holostream's cannot follow under BACKWARD compatibility: run with another --prefix, or delete or migrate that subject in the registry", err)
	}
	if err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	reg := newProcessRegistry()
	if err := registerModel(reg, lm); err != nil {
		return err
	}
	cfg := pf.pipeline(topo, lm)
	cfg.log, cfg.gokaLevel = log, slog.LevelInfo
	p, err := newPipeline(cfg, clients, w, reg)
	if err != nil {
		return err
	}
	var cur atomic.Pointer[pipeline]
	cur.Store(p)
	log.Info("holostream running", "brokers", clients.Config.Brokers, "registry", cf.registry, "model", lm.Kind(), "workers", lm.Workers(), "frames", topo.Frames, "metrics", metricsAddr)
	check := func() error { return clients.CheckAccess(access) }
	var health health
	denied := &denials{most: maxDenials, check: check, health: &health,
		progress: func() int64 { return cur.Load().committed.Passed() }}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return supervise(ctx, log, p.run, func() (func(context.Context) error, error) {
			if err := check(); err != nil {
				return nil, err
			}
			p, err := newPipeline(cfg, clients, w, replacingRegisterer{reg})
			if err != nil {
				return nil, err
			}
			cur.Store(p)
			return p.run, nil
		}, denied)
	})
	if metricsAddr != "" {
		ready := func() error {
			if err := health.get(); err != nil {
				return err
			}
			p := cur.Load()
			if err := p.refusal(); err != nil {
				return err
			}
			if !p.landmarks.Recovered() || !p.analytics.Recovered() {
				return errors.New("processors recovering their tables")
			}
			return nil
		}
		g.Go(func() error { return serveOps(ctx, metricsAddr, reg, ready) })
	}
	return g.Wait()
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
	logError(log, "processors stopped, not authorized, which no restart cures: an operator must grant what is missing", reason,
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

// replacingRegisterer registers collectors in place of those of a previous run of the
// processors (same descriptors), so restarted processors can register their metrics again.
type replacingRegisterer struct{ *prometheus.Registry }

// newProcessRegistry is the registry a command serves on /metrics: the Go runtime's and the
// process's own metrics (CPU seconds, resident memory, open files) beside the pipeline's.
func newProcessRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// registerModel adds the landmarker's settings to reg: what a dashboard needs to read the
// throughput against (frames at once is the ceiling of the cores the models can use).
func registerModel(reg prometheus.Registerer, lm *model.Landmarker) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "holostream_model_workers",
		Help:        "Frames the landmarker infers at once (--workers, --infer-workers; default: the CPUs the process may use).",
		ConstLabels: prometheus.Labels{"model": string(lm.Kind())}}, func() float64 { return float64(lm.Workers()) }))
}

func (r replacingRegisterer) Register(c prometheus.Collector) error {
	r.Registry.Unregister(c)
	return r.Registry.Register(c)
}

func (r replacingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// serveOps serves /metrics, /healthz and /readyz until ctx ends; /readyz answers 503 with
// ready's error while it has one.
func serveOps(ctx context.Context, addr string, reg *prometheus.Registry, ready func() error) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// usageExit maps a flag parse error to an exit status: 0 for -h, 2 otherwise (the flag package
// has already printed what was wrong).
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
