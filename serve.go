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
	"os"
	"sort"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/gateway"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// gatewayFlags are the HTTP gateway's settings, shared by serve and demo.
type gatewayFlags struct {
	addr         string
	tokenFile    string
	rateLimit    float64
	maxBody      int64
	inferWorkers int
	inferQueue   int
	inferTimeout time.Duration
	inferMemory  int64
	refusalDelay time.Duration
	// maxImageBytes bounds POST /v1/frames' images: serve's --max-image-bytes, demo's processors'.
	maxImageBytes int
	// maxMegapixels bounds the images of /v1/infer and /v1/frames: serve's --max-megapixels,
	// demo's processors'.
	maxMegapixels float64
	// The event streams' limits: in all, per client, per camera, waiting for unknown cameras.
	maxStreams, maxStreamsPerClient, maxStreamsPerCamera, maxWaitingStreams int
}

func (g *gatewayFlags) register(fs *flag.FlagSet, addrFlag, defaultAddr string) {
	fs.StringVar(&g.addr, addrFlag, env("HOLOSTREAM_HTTP_ADDR", defaultAddr), "serve the HTTP API and the web UI here; empty: off ($HOLOSTREAM_HTTP_ADDR)")
	fs.StringVar(&g.tokenFile, "token-file", env("HOLOSTREAM_TOKEN_FILE", ""), "file holding the bearer token that /v1/ requires; or $HOLOSTREAM_TOKEN; neither: no auth")
	fs.Float64Var(&g.rateLimit, "rate-limit", 0, "requests per second each client may send to /v1/ (bursts of twice that); 0: no limit")
	fs.Int64Var(&g.maxBody, "max-body-bytes", 16<<20, "largest request body (413 above)")
	fs.IntVar(&g.maxStreams, "max-streams", 256, "event streams (GET /v1/cameras/{id}/events) open at once, in all (503 above)")
	fs.IntVar(&g.maxStreamsPerClient, "max-streams-per-client", 16, "event streams one client address (IPv6: its /64) may hold open (429 above); behind a proxy every client is the proxy's address")
	fs.IntVar(&g.maxStreamsPerCamera, "max-streams-per-camera", 64, "event streams open for one camera (503 above)")
	fs.IntVar(&g.maxWaitingStreams, "max-waiting-streams", 32, "event streams open, in all, for cameras with no frame seen yet (503 above): made-up camera ids take no more")
	fs.IntVar(&g.inferWorkers, "infer-workers", 0, fmt.Sprintf("images POST /v1/infer decodes and infers at once (0: the CPUs this process may use, %d here)", model.CPUs()))
	fs.IntVar(&g.inferQueue, "infer-queue", 0, fmt.Sprintf("most POST /v1/infer requests waiting for a worker (0: %d; the wait bound of --infer-timeout binds first)", gateway.DefaultInferQueue))
	fs.DurationVar(&g.inferTimeout, "infer-timeout", 10*time.Second, "POST /v1/infer's latency budget: a request whose expected answer (requests ahead / workers x measured time each) is later gets 503 at once, one not answered within it 504")
	fs.DurationVar(&g.refusalDelay, "infer-refusal-delay", time.Second, "hold a POST /v1/infer 503 this long (at most its Retry-After) before sending it, so clients that ignore Retry-After do not come back at once; 0: send at once")
	fs.Int64Var(&g.inferMemory, "infer-memory-bytes", gateway.DefaultInferMemory, "memory the POST /v1/infer requests admitted may hold together (bodies and decoded pixels, from each image's header); 503 past it, 413 for an image that alone needs more")
}

// token reads the bearer token from --token-file, else $HOLOSTREAM_TOKEN; never from a flag,
// which any user could read in ps.
func (g *gatewayFlags) token() (string, error) {
	if g.tokenFile == "" {
		return os.Getenv("HOLOSTREAM_TOKEN"), nil
	}
	b, err := os.ReadFile(g.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("--token-file %s: empty", g.tokenFile)
	}
	return t, nil
}

func (g *gatewayFlags) config(log *slog.Logger) (gateway.Config, error) {
	tok, err := g.token()
	if err != nil {
		return gateway.Config{}, err
	}
	if g.rateLimit < 0 || g.maxBody < 1 || g.inferWorkers < 0 || g.inferQueue < 0 || g.inferTimeout <= 0 || g.inferMemory <= 0 {
		return gateway.Config{}, errors.New("--rate-limit, --infer-workers and --infer-queue must be >= 0, --max-body-bytes, --infer-timeout and --infer-memory-bytes > 0")
	}
	// 0 keeps the gateway's default, as for a gatewayFlags built without these.
	for _, f := range []struct {
		name string
		v    float64
	}{{"--max-megapixels", g.maxMegapixels}, {"--max-streams", float64(g.maxStreams)}, {"--max-streams-per-client", float64(g.maxStreamsPerClient)},
		{"--max-streams-per-camera", float64(g.maxStreamsPerCamera)}, {"--max-waiting-streams", float64(g.maxWaitingStreams)}} {
		if f.v < 0 {
			return gateway.Config{}, fmt.Errorf("%s %v: must be > 0", f.name, f.v)
		}
	}
	return gateway.Config{Log: log, Version: version, Token: tok, RateLimit: g.rateLimit, MaxBodyBytes: g.maxBody,
		MaxMegapixels: g.maxMegapixels, MaxSubscribers: g.maxStreams, MaxSubscribersPerClient: g.maxStreamsPerClient,
		MaxSubscribersPerCamera: g.maxStreamsPerCamera, MaxWaitingSubscribers: g.maxWaitingStreams,
		InferWorkers: g.workers(), InferQueue: g.inferQueue, InferTimeout: g.inferTimeout, InferMemory: g.inferMemory,
		InferRefusalDelay: refusalDelay(g.refusalDelay),
		MaxImageBytes:     g.maxImageBytes}, nil
}

// refusalDelay maps --infer-refusal-delay 0 ("send at once") to the gateway's "none".
func refusalDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// workers is --infer-workers, 0 resolved to the CPUs this process may use: the model and the
// gateway's pool get the same number.
func (g *gatewayFlags) workers() int {
	if g.inferWorkers > 0 {
		return g.inferWorkers
	}
	return model.CPUs()
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [flags]\n\nServes the HTTP API and the web UI: frames to Kafka (POST /v1/frames), landmarks of one image\n(POST /v1/infer), the cameras' state and live events, /metrics, /healthz, /readyz. The processors\nrun elsewhere (`holostream run`); with --no-kafka only /v1/infer and the upload page work.", stderr)
	var cf clusterFlags
	var gf gatewayFlags
	cf.register(fs)
	gf.register(fs, "addr", "127.0.0.1:8080")
	kind := fs.String("model", string(model.PoseFull), fmt.Sprintf("pipeline of POST /v1/infer: one of %v, or none", model.Kinds()))
	modelDir := fs.String("models", "", "directory of the .tflite models (default $HOLOSTREAM_MODELS or .deps/models)")
	noKafka := fs.Bool("no-kafka", false, "serve without a Kafka cluster: POST /v1/infer and the upload page only")
	fs.IntVar(&gf.maxImageBytes, "max-image-bytes", kafka.DefaultMaxImageBytes, "POST /v1/frames answers 413 for larger images; give run the same value (the frames producer's record limit follows it)")
	fs.Float64Var(&gf.maxMegapixels, "max-megapixels", model.DefaultMaxMegapixels, "POST /v1/infer and /v1/frames answer 413 for images whose header declares more megapixels; give run the same value")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := newLogger(stderr)
	if err := serve(ctx, log, cf, gf, *kind, *modelDir, *noKafka); err != nil {
		logError(log, "holostream serve failed", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, log *slog.Logger, cf clusterFlags, gf gatewayFlags, kind, modelDir string, noKafka bool) error {
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
		lm, err := model.Open(k, model.WithModelDir(modelDir), model.WithWorkers(cfg.InferWorkers))
		if err != nil {
			return err
		}
		defer lm.Close()
		cfg.Inferer = lm
	}
	reg := newProcessRegistry()
	cfg.Gatherer, cfg.Registerer = reg, reg
	if lm, ok := cfg.Inferer.(*model.Landmarker); ok {
		if err := registerModel(reg, lm); err != nil {
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
		topo := NewTopology(cf.prefix)
		if err := clients.CheckAccess(gatewayAccess(topo)); err != nil {
			return err
		}
		w, err := newWire(ctx, topo, cf.registry)
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

// gatewayKafka is what the gateway reads from and writes to a cluster: a producer of frames, a
// view of the landmarks table, and the live events of the output topics.
type gatewayKafka struct {
	sink   *frameSink
	view   *goka.View
	hub    *gateway.Hub
	recent *gateway.Recent
}

// startGatewayKafka starts the frames emitter, the table view and the output topics' follower
// in g. The view and the follower run until ctx ends.
func startGatewayKafka(ctx context.Context, g *errgroup.Group, clients *kafka.Clients, topo Topology, w *wire) (*gatewayKafka, error) {
	if err := clients.EnsureStreams(topo.Streams()...); err != nil {
		return nil, err
	}
	view, err := landmarksView(clients, topo)
	if err != nil {
		return nil, err
	}
	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		return nil, fmt.Errorf("frames emitter: %w", err)
	}
	gk := &gatewayKafka{sink: &frameSink{em: em, topic: string(topo.Frames)}, view: view, hub: gateway.NewHub(),
		recent: gateway.NewRecent(gateway.RecentOptions{})}
	g.Go(func() error {
		<-ctx.Done()
		return em.Finish()
	})
	g.Go(func() error { return ignoreCanceled(view.Run(ctx)) })
	g.Go(func() error { return followOutputs(ctx, clients, topo, w, gk.hub, gk.recent) })
	return gk, nil
}

// apply plugs the cluster's parts into a gateway configuration.
func (gk *gatewayKafka) apply(cfg *gateway.Config) {
	cfg.Frames, cfg.Cameras, cfg.Events, cfg.Recent = gk.sink, viewStore{gk.view}, gk.hub, gk.recent
	prev := cfg.Ready
	cfg.Ready = func() error {
		if !gk.view.Recovered() {
			return errors.New("reading the landmarks table")
		}
		if prev != nil {
			return prev()
		}
		return nil
	}
}

// followOutputs publishes every new keypoint event, action and window of stats to the hub.
// Records it cannot decode are skipped: the hub is a live view, not an account.
func followOutputs(ctx context.Context, clients *kafka.Clients, topo Topology, w *wire, hub *gateway.Hub, recent *gateway.Recent) error {
	// The frames too: the live page draws each skeleton over its picture (recent keeps the last
	// few of each camera).
	topics := []string{string(topo.Frames), string(topo.Keypoints), string(topo.Actions), string(topo.Stats)}
	return tail(ctx, clients, topics, false, func(r record) error {
		switch r.Topic {
		case string(topo.Frames):
			if f, err := w.frames.Decode(r.Value); err == nil && f.CameraID == r.Key {
				recent.PutFrame(f)
			}
		case string(topo.Keypoints):
			if ev, err := w.keypoints.Decode(r.Value); err == nil {
				recent.PutKeypoints(ev)
				hub.PublishKeypoints(ev)
			}
		case string(topo.Actions):
			if ev, err := w.actions.Decode(r.Value); err == nil {
				recent.PutAction(ev)
				hub.PublishAction(ev)
			}
		case string(topo.Stats):
			if ev, err := w.stats.Decode(r.Value); err == nil {
				recent.PutStats(ev)
				hub.PublishStats(ev)
			}
		}
		return nil
	})
}

// frameSink produces frames with a goka Emitter and waits for each acknowledgement.
type frameSink struct {
	em    *goka.Emitter
	topic string
}

func (s *frameSink) Send(ctx context.Context, f schemas.Frame) (gateway.Delivery, error) {
	prom, err := s.em.Emit(f.CameraID, f)
	if err != nil {
		return gateway.Delivery{}, err
	}
	// A record that can never be written is told apart: the client must change it, not retry.
	classify := func(err error) error {
		switch kafka.Permanent(err) {
		case "":
			return err
		case kafka.FailTooLarge:
			return fmt.Errorf("%w (topic %s): %v", gateway.ErrFrameTooLarge, s.topic, err)
		default:
			return fmt.Errorf("%w (topic %s): %v", gateway.ErrFrameRefused, s.topic, err)
		}
	}
	type ack struct {
		d   gateway.Delivery
		err error
	}
	done := make(chan ack, 1)
	prom.ThenWithMessage(func(m *sarama.ProducerMessage, err error) {
		a := ack{err: classify(err)}
		if m != nil {
			a.d = gateway.Delivery{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
		}
		done <- a
	})
	select {
	case a := <-done:
		if a.d.Topic == "" {
			a.d.Topic = s.topic
		}
		return a.d, a.err
	case <-ctx.Done():
		return gateway.Delivery{}, fmt.Errorf("waiting for Kafka's acknowledgement: %w", ctx.Err())
	}
}

// viewStore reads camera states from a goka View of the landmarks table.
type viewStore struct{ view *goka.View }

func (v viewStore) Cameras(context.Context) ([]schemas.CameraView, error) {
	if !v.view.Recovered() {
		return nil, errors.New("the landmarks table is still being read")
	}
	it, err := v.view.Iterator()
	if err != nil {
		return nil, err
	}
	defer it.Release()
	var out []schemas.CameraView
	for it.Next() {
		val, err := it.Value()
		if err != nil {
			return nil, err
		}
		if s, ok := val.(*landmarks.CameraState); ok && s != nil {
			out = append(out, s.View(it.Key()))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (v viewStore) Camera(_ context.Context, id string) (schemas.CameraView, bool, error) {
	if !v.view.Recovered() {
		return schemas.CameraView{}, false, errors.New("the landmarks table is still being read")
	}
	val, err := v.view.Get(id)
	if err != nil {
		return schemas.CameraView{}, false, err
	}
	s, ok := val.(*landmarks.CameraState)
	if !ok || s == nil {
		return schemas.CameraView{}, false, nil
	}
	return s.View(id), true, nil
}

// listen opens addr, saying which flag to change when it is taken.
func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (pass another %s, e.g. 127.0.0.1:0 for any free port)", flagName, addr, err, flagName)
	}
	return ln, nil
}

// startGateway builds the gateway from cfg, listens on addr (flagName names the flag that set
// it, for the error) and serves in g until ctx ends. It returns the address it listens on.
func startGateway(ctx context.Context, g *errgroup.Group, cfg gateway.Config, addr, flagName string) (string, error) {
	srv, err := gateway.New(cfg)
	if err != nil {
		return "", err
	}
	ln, err := listen(addr, flagName)
	if err != nil {
		return "", err
	}
	g.Go(func() error { return serveHTTP(ctx, ln, srv) })
	return ln.Addr().String(), nil
}

// serveHTTP serves srv on ln until ctx ends, then shuts down: event streams end, requests in
// flight get 5 s to finish.
func serveHTTP(ctx context.Context, ln net.Listener, srv *gateway.Server) error {
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() {
		<-ctx.Done()
		srv.Close()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
