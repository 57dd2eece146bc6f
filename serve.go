package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/stream"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [flags]\n\nServes the HTTP API and the web UI: frames to Kafka (POST /v1/frames), landmarks of one image\n(POST /v1/infer), the cameras' state and live events, /metrics, /healthz, /readyz. The processors\nrun elsewhere (`holostream run`); with --no-kafka only /v1/infer and the upload page work.", stderr)
	var cf clusterFlags
	var gf gatewayFlags
	cf.register(fs)
	gf.register(fs, "addr", "127.0.0.1:8080")
	kind := fs.String("model", string(model.PoseFull), fmt.Sprintf("pipeline of POST /v1/infer: one of %v, or none", model.Kinds()))
	modelDir := fs.String("models", "", "directory of the .tflite models (default $HOLOSTREAM_MODELS or .deps/models)")
	var people peopleFlags
	people.register(fs, "POST /v1/infer finds up to `N` people per image (1..%d), most confident first; above 1 its answer gains \"people\" (MediaPipe Tasks' PoseLandmarker)")
	noKafka := fs.Bool("no-kafka", false, "serve without a Kafka cluster: POST /v1/infer and the upload page only")
	fs.IntVar(&gf.maxImageBytes, "max-image-bytes", kafka.DefaultMaxImageBytes, "POST /v1/frames answers 413 for larger images; give run the same value (the frames producer's record limit follows it)")
	fs.Float64Var(&gf.maxMegapixels, "max-megapixels", pixels.DefaultMaxMegapixels, "POST /v1/infer and /v1/frames answer 413 for images whose header declares more megapixels; give run the same value")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := newLogger(stderr)
	if err := serve(ctx, log, cf, gf, *kind, *modelDir, people, *noKafka); err != nil {
		stream.LogError(log, "holostream serve failed", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, log *slog.Logger, cf clusterFlags, gf gatewayFlags, kind, modelDir string, people peopleFlags, noKafka bool) error {
	cfg, err := gf.config(log)
	if err != nil {
		return err
	}
	if gf.addr == "" {
		return errors.New("--addr: empty; give a host:port to listen on")
	}
	if kind != "none" {
		k, err := model.ParseKind(kind)
		if err != nil {
			return fmt.Errorf("--model: %w", err)
		}
		if err := people.check(); err != nil {
			return err
		}
		lm, err := model.Open(k, append(people.options(), model.WithModelDir(modelDir), model.WithWorkers(cfg.InferWorkers))...)
		if err != nil {
			return err
		}
		defer lm.Close()
		cfg.Inferer = lm
	}
	reg := stream.NewProcessRegistry()
	cfg.Gatherer, cfg.Registerer = reg, reg
	if lm, ok := cfg.Inferer.(*model.Landmarker); ok {
		if err := stream.RegisterModel(reg, lm); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	if !noKafka {
		cf.maxImageBytes = gf.maxImageBytes
		clients, err := cf.clients("holostream-serve")
		if err != nil {
			return err
		}
		topo := stream.NewTopology(cf.prefix)
		if err := clients.CheckAccess(stream.GatewayAccess(topo)); err != nil {
			return err
		}
		w, err := stream.NewWire(ctx, topo, cf.registry)
		if err != nil {
			return fmt.Errorf("schemas: %w", err)
		}
		gk, err := startGatewayKafka(gctx, g, clients, topo, w)
		if err != nil {
			return err
		}
		gk.apply(&cfg)
	}
	addr, err := startGateway(gctx, g, cfg, gf.addr, "--addr")
	if err != nil {
		return err
	}
	log.Info("holostream serve", "url", "http://"+addr, "model", kind, "kafka", !noKafka, "auth", cfg.Token != "",
		"infer_workers", cfg.InferWorkers, "infer_timeout", cfg.InferTimeout.String(), "infer_memory_mib", cfg.InferMemory>>20)
	return g.Wait()
}
