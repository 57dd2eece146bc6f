package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// processorFlags are the settings of the processors, shared by run, demo and loadtest.
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
	fs.Float64Var(&p.maxMegapixels, "max-megapixels", model.DefaultMaxMegapixels, "dead-letter images whose header declares more megapixels")
	fs.DurationVar(&p.maxClockSkew, "max-clock-skew", schemas.DefaultMaxClockSkew, "dead-letter (BAD_TIME) frames captured further than this ahead of this machine's clock")
	fs.Int64Var(&p.maxSeqJump, "max-seq-jump", landmarks.DefaultMaxSeqJump, "dead-letter (BAD_SEQ) frames whose seq is further than this ahead of their camera's last")
	fs.DurationVar(&p.window, "window", 10*time.Second, "event-time window of pose-stats")
	fs.DurationVar(&p.grace, "grace", 2*time.Second, "how long after a window's end late events are still counted in it")
	fs.StringVar(&p.stateDir, "state-dir", "", "keep local copies of the tables here (LevelDB) for fast restarts; empty: in memory, rebuilt from Kafka at start")
}

// config is the processors' configuration the flags describe, for topo, without its
// landmarker; validated, so that a mistake is reported before a model is opened.
func (p *processorFlags) config(topo stream.Topology, log *slog.Logger, gokaLevel slog.Level) (stream.Config, error) {
	cfg := stream.Config{Topology: topo, MaxAge: p.maxAge, MaxImageBytes: p.maxImageBytes,
		MaxMegapixels: p.maxMegapixels, MaxClockSkew: p.maxClockSkew, MaxSeqJump: p.maxSeqJump,
		Window: p.window, Grace: p.grace, StateDir: p.stateDir, Log: log, GokaLevel: gokaLevel}
	if _, err := model.ParseKind(p.model); err != nil {
		return cfg, fmt.Errorf("--model: %w", err)
	}
	if p.workers < 0 {
		return cfg, fmt.Errorf("--workers %d: must be >= 0 (0: the CPUs this process may use, %d here)", p.workers, model.CPUs())
	}
	return cfg, cfg.Validate()
}

// open opens the landmarker the flags describe.
func (p *processorFlags) open() (*model.Landmarker, error) {
	kind, err := model.ParseKind(p.model)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	workers := p.workers
	if workers == 0 {
		workers = model.CPUs()
	}
	return model.Open(kind, model.WithModelDir(p.modelDir), model.WithWorkers(workers), model.WithThreads(p.threads))
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
		stream.LogError(log, "holostream run failed", err)
		return 1
	}
	return 0
}

func runProcessors(ctx context.Context, log *slog.Logger, cf clusterFlags, pf processorFlags, metricsAddr string) error {
	cf.maxImageBytes = pf.maxImageBytes
	clients, err := cf.clients("holostream")
	if err != nil {
		return err
	}
	topo := stream.NewTopology(cf.prefix)
	cfg, err := pf.config(topo, log, slog.LevelInfo)
	if err != nil {
		return err
	}
	// Every grant the processors need, checked before anything is made or written: a missing
	// one is named now, with the others, rather than found one at a time at run time.
	if err := clients.CheckAccess(stream.ProcessorAccess(topo)); err != nil {
		return err
	}
	lm, err := pf.open()
	if err != nil {
		return err
	}
	defer lm.Close()
	cfg.Landmarker = lm
	w, err := stream.NewWire(ctx, topo, cf.registry)
	if errors.Is(err, codecs.ErrIncompatible) {
		return fmt.Errorf("schemas: %w\nThe registry holds a schema for one of the topics that holostream's cannot follow under BACKWARD compatibility: run with another --prefix, or delete or migrate that subject in the registry", err)
	}
	if err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	reg := stream.NewProcessRegistry()
	if err := stream.RegisterModel(reg, lm); err != nil {
		return err
	}
	log.Info("holostream running", "brokers", clients.Config.Brokers, "registry", cf.registry, "model", lm.Kind(), "workers", lm.Workers(), "frames", topo.Frames, "metrics", metricsAddr)
	return stream.Run(ctx, cfg, clients, w, reg, metricsAddr)
}

// usageExit maps a flag parse error to an exit status: 0 for -h, 2 otherwise (the flag package
// has already printed what was wrong).
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
