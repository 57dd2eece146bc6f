package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/stream"
)

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
