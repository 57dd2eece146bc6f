package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/loadtest"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

const loadtestUsage = `loadtest [flags]

Runs simulated cameras against the pipeline and measures it: throughput, capture-to-keypoint
latency (p50/p95/p99), what became of every frame (emitted, dead-lettered, stale, duplicate,
unaccounted), consumer lag, CPU and memory. --ramp runs several steps of CAMERASxFPS one after
the other, each for --duration. Writes REPORT/loadtest.json and REPORT/loadtest.html (charts) and
prints one line per step; the exit status is 1 when a frame is unaccounted for or on errors.

--mode kafka (the default): without --brokers (or $HOLOSTREAM_BROKERS) it starts an embedded
cluster and the processors in this process, as demo does, and measures this process's CPU and
memory; with --brokers it produces to that cluster, whose processors run elsewhere (holostream
run), and --metrics-url (their /metrics) gives their CPU and memory.
--mode http: each camera POSTs its frames to --url's /v1/infer (holostream serve), open loop.`

// ltFlags are the load test's flags besides the cluster's and the processors'.
type ltFlags struct {
	mode                    string
	cameras                 int
	fps                     float64
	ramp                    string
	duration, warmup, drain time.Duration
	reportDir, dir          string
	quiet                   bool
	http                    loadtest.HTTPTarget
}

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("loadtest", loadtestUsage, stderr)
	var cf clusterFlags
	var pf processorFlags
	cf.register(fs)
	pf.register(fs)
	var o ltFlags
	fs.StringVar(&o.mode, "mode", "kafka", "kafka: through the Kafka pipeline; http: against the gateway's POST /v1/infer")
	fs.IntVar(&o.cameras, "cameras", 4, "simulated cameras (without --ramp)")
	fs.Float64Var(&o.fps, "fps", 5, "frames per second per camera (without --ramp)")
	fs.StringVar(&o.ramp, "ramp", "", "steps CAMERASxFPS, comma-separated, each run for --duration, e.g. 1x5,2x5,4x5,8x10 (overrides --cameras and --fps)")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "length of each step")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "start of each step left out of the rates, percentiles and CPU mean")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "after the last step, wait this long at most for the outcomes of the frames sent")
	fs.StringVar(&o.reportDir, "report", "loadtest-report", "write loadtest.json and loadtest.html in this directory")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	fs.StringVar(&o.dir, "dir", "", "send the .jpg/.png images of this directory (default: the footage built into the binary)")
	fs.StringVar(&o.http.URL, "url", "http://127.0.0.1:8080", "--mode http: the gateway's base URL (or its /v1/infer endpoint)")
	fs.StringVar(&o.http.Token, "token", env("HOLOSTREAM_TOKEN", ""), "--mode http: bearer token ($HOLOSTREAM_TOKEN)")
	fs.DurationVar(&o.http.Timeout, "http-timeout", 30*time.Second, "--mode http: give up on a request after this long (a transport error)")
	fs.StringVar(&o.http.MetricsURL, "metrics-url", "", "Prometheus endpoint of the process under test (e.g. http://host:9464/metrics), for its CPU and memory; the embedded mode measures itself")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	plan, explicitBrokers, err := o.plan(fs, &cf)
	if err != nil {
		fmt.Fprintln(stderr, "holostream loadtest:", err)
		return 2
	}
	src, sourceName, err := ltSource(o.dir)
	if err != nil {
		log.Error("holostream loadtest failed", "err", err)
		return 1
	}

	rec := loadtest.NewRecorder()
	run := loadtest.Run{ID: plan.RunID, Mode: plan.Mode, Command: commandLine("holostream loadtest", args), Started: time.Now(),
		DurationS: plan.Duration.Seconds(), WarmupS: plan.Warmup.Seconds(), DrainS: plan.Drain.Seconds(),
		Source: sourceName, SourceFrames: len(src), Host: loadtest.ThisHost()}
	if plan.Mode == "http" {
		err = plan.ExecuteHTTP(ctx, log, o.http, src, rec, &run, stderr)
	} else {
		lk := ltKafka{plan: plan, src: src, rec: rec, run: &run, log: log, progress: stderr, metricsURL: o.http.MetricsURL}
		err = lk.execute(ctx, cf, pf, explicitBrokers)
	}
	run.Finished = time.Now()
	rep := rec.Report(run)
	jsonPath, htmlPath, werr := rep.Write(o.reportDir)
	for _, s := range rep.Steps {
		fmt.Fprintln(stdout, s.Summary())
	}
	if werr != nil {
		log.Error("writing the report failed", "err", werr)
		return 1
	}
	fmt.Fprintf(stdout, "report: %s %s\n", jsonPath, htmlPath)
	if err != nil {
		log.Error("holostream loadtest failed", "err", err)
		return 1
	}
	if !rep.OK() {
		for _, p := range rep.Totals.Problems {
			fmt.Fprintln(stderr, "holostream loadtest:", p)
		}
		return 1
	}
	return 0
}

// plan is the load test's plan from the flags, validated, and whether a cluster was named
// (--brokers or $HOLOSTREAM_BROKERS: else the embedded one).
func (o *ltFlags) plan(fs *flag.FlagSet, cf *clusterFlags) (loadtest.Plan, bool, error) {
	p := loadtest.Plan{Mode: o.mode, Duration: o.duration, Warmup: o.warmup, Drain: o.drain, Quiet: o.quiet}
	if o.ramp != "" {
		steps, err := loadtest.ParseRamp(o.ramp)
		if err != nil {
			return p, false, fmt.Errorf("--ramp: %w", err)
		}
		p.Steps = steps
	} else {
		p.Steps = []loadtest.StepSpec{{Cameras: o.cameras, FPS: o.fps}}
	}
	var err error
	if p.RunID, err = loadtest.NewRunID(); err != nil {
		return p, false, err
	}
	if err := p.Validate(); err != nil {
		return p, false, err
	}
	if o.http.Timeout <= 0 {
		return p, false, errors.New("--http-timeout must be > 0")
	}
	if o.reportDir == "" {
		return p, false, errors.New("--report: give a directory")
	}
	_, explicit := os.LookupEnv("HOLOSTREAM_BROKERS")
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "brokers" {
			explicit = true
		}
	})
	if explicit && strings.TrimSpace(cf.brokers) == "" {
		return p, false, errors.New("--brokers: no broker given")
	}
	return p, explicit, nil
}

// commandLine is the command as a shell would take it back.
func commandLine(name string, args []string) string {
	parts := []string{name}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?;&|<>()") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func ltSource(dir string) (camera.Source, string, error) {
	if dir != "" {
		src, err := camera.FromDir(dir)
		return src, dir, err
	}
	src, err := defaultFootage()
	return src, "built-in footage (OpenCV vtest.avi, people walking)", err
}

// ltKafka is a load test through Kafka: frames produced to the frames topic, outcomes read
// from the keypoints and dead-letter topics (and, embedded, the processors' observer; external,
// their table's per-camera counters).
type ltKafka struct {
	plan       loadtest.Plan
	src        camera.Source
	rec        *loadtest.Recorder
	run        *loadtest.Run
	log        *slog.Logger
	progress   io.Writer
	metricsURL string
	// model is the landmark model the first keypoint event names.
	model atomic.Pointer[string]
}

// execute runs the plan against the cluster the flags name (explicit), or an embedded one with
// the processors in this process.
func (lk *ltKafka) execute(ctx context.Context, cf clusterFlags, pf processorFlags, explicit bool) error {
	topo := stream.NewTopology(cf.prefix)
	var (
		clients *kafka.Clients
		w       *stream.Wire
		d       loadtest.Driver
	)
	if explicit {
		var err error
		cf.maxImageBytes = pf.maxImageBytes
		if clients, err = cf.clients("holostream-loadtest"); err != nil {
			return err
		}
		if w, err = stream.NewWire(ctx, topo, cf.registry); err != nil {
			return fmt.Errorf("schemas: %w", err)
		}
		lk.run.Target = strings.Join(clients.Config.Brokers, ",")
		if lk.metricsURL != "" {
			d.Meter = loadtest.NewMeter(loadtest.Scrape{URL: lk.metricsURL})
			lk.run.Process = "the process at " + lk.metricsURL
		}
		refresh, stop, err := lk.tableCounts(ctx, clients, topo)
		if err != nil {
			return err
		}
		defer stop()
		d.Refresh = refresh
	} else {
		e, close, err := lk.embedded(ctx, cf, pf, topo)
		if err != nil {
			return err
		}
		defer close()
		clients, w = e.Clients, e.Wire
		d.Meter = loadtest.NewMeter(loadtest.Self{})
	}
	if err := clients.EnsureStreams(topo.Frames, topo.Keypoints, topo.DLQ); err != nil {
		return err
	}
	// Frames read off their camera's partition wait in the repartition topic: lag too.
	lag, err := clients.NewLagReader(string(topo.Landmarks), string(topo.Frames), string(topo.Repartition))
	if err != nil {
		return err
	}
	defer lag.Close()
	d.Lag = lag.Read
	stopTail, err := lk.tail(ctx, clients, topo, w, !explicit)
	if err != nil {
		return err
	}
	defer stopTail() // a second call only cancels
	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.Frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		return fmt.Errorf("emitter: %w", err)
	}
	finished := false
	defer func() {
		if !finished {
			em.Finish()
		}
	}()
	d.Camera = func(ctx context.Context, id string, fps float64, dur time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, dur)
		defer cancel()
		_, err := camera.Camera{ID: id, User: id, FPS: fps}.Run(ctx, lk.src, 0, lk.sink(em))
		return err
	}
	d.Flush = func(context.Context) error {
		finished = true
		return em.Finish()
	}
	err = lk.plan.Execute(ctx, lk.log, d, lk.rec, lk.progress)
	if m := lk.model.Load(); m != nil && lk.run.Model == "" {
		lk.run.Model = *m
	}
	if terr := stopTail(); terr != nil && err == nil {
		err = fmt.Errorf("reading the outputs: %w", terr)
	}
	return err
}

// sink sends a camera's frames with em, recording each as sent, then acknowledged or failed.
func (lk *ltKafka) sink(em *goka.Emitter) camera.Sink {
	return func(_ context.Context, f schemas.Frame) error {
		id := loadtest.FrameID{Camera: f.CameraID, Seq: f.Seq}
		lk.rec.Sent(id, time.Now())
		prom, err := em.Emit(f.CameraID, f)
		if err != nil {
			lk.rec.Failed(id, "produce")
			return nil
		}
		prom.Then(func(err error) {
			if err != nil {
				lk.rec.Failed(id, "produce")
				return
			}
			lk.rec.Acked(id)
		})
		return nil
	}
}

// embedded starts the embedded cluster with the processors, as demo does, recording the frames
// they drop as stale or duplicate (which produce no output to read).
func (lk *ltKafka) embedded(ctx context.Context, cf clusterFlags, pf processorFlags, topo stream.Topology) (*stream.Embedded, func(), error) {
	cfg, err := pf.config(topo, lk.log, slog.LevelDebug)
	if err != nil {
		return nil, nil, err
	}
	cfg.Observe = func(ob landmarks.Observation) {
		id := loadtest.FrameID{Camera: ob.Camera, Seq: ob.Seq}
		switch ob.Outcome {
		case landmarks.OutcomeStale:
			lk.rec.Outcome(id, loadtest.Stale, time.Now(), 0, false)
		case landmarks.OutcomeDuplicate:
			lk.rec.Outcome(id, loadtest.Duplicate, time.Now(), 0, false)
		}
	}
	lm, err := pf.open()
	if err != nil {
		return nil, nil, err
	}
	cfg.Landmarker = lm
	e, err := stream.StartEmbedded(ctx, cfg, cf.partitions, kafka.Config{ClientID: "holostream-loadtest",
		Compression: cf.compression, Linger: cf.linger, MaxImageBytes: pf.maxImageBytes}, nil)
	if err != nil {
		lm.Close()
		return nil, nil, err
	}
	lk.run.Target, lk.run.Model = "embedded", string(lm.Kind())
	lk.run.Process = "this process: the processors, the embedded cluster and registry, and the load generator"
	lk.log.Info("loadtest: embedded cluster and processors running", "model", lm.Kind(), "partitions", cf.partitions)
	return e, func() { e.Close(); lm.Close() }, nil
}

// tail reads the keypoint and dead-letter topics and records the outcomes of this run's frames
// until stopped. On a real cluster it starts at the newest offsets: it returns only once it has
// them, or the first outcomes could land before them and the frames count as unaccounted.
// The tail ends at the first error reading, which stop returns.
func (lk *ltKafka) tail(ctx context.Context, clients *kafka.Clients, topo stream.Topology, w *stream.Wire, fromOldest bool) (stop func() error, err error) {
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	ready := make(chan struct{})
	prefix := loadtest.CameraPrefix(lk.plan.RunID)
	go func() {
		done <- stream.TailNotify(tctx, clients, []string{string(topo.Keypoints), string(topo.DLQ)}, fromOldest, func() { close(ready) },
			func(r stream.Record) error {
				if strings.HasPrefix(r.Key, prefix) {
					lk.outcome(topo, w, r)
				}
				return nil
			})
	}()
	stopped := false
	stop = func() error {
		cancel()
		if stopped {
			return nil
		}
		stopped = true
		return <-done
	}
	select {
	case <-ready:
		return stop, nil
	case err := <-done:
		cancel()
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("reading the keypoint and dead-letter topics: %w", err)
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

// outcome records what one record of the keypoints or dead-letter topic says of its frame.
func (lk *ltKafka) outcome(topo stream.Topology, w *stream.Wire, r stream.Record) {
	now := time.Now()
	if r.Topic == string(topo.DLQ) {
		dl, err := w.DLQ.Decode(r.Value)
		if err != nil {
			lk.rec.Error("undecodable_dead_letter", now)
			return
		}
		lk.rec.Outcome(loadtest.FrameID{Camera: dl.CameraID, Seq: dl.Seq}, loadtest.DeadLettered, now, 0, false)
		return
	}
	ev, err := w.Keypoints.Decode(r.Value)
	if err != nil {
		lk.rec.Error("undecodable_keypoints", now)
		return
	}
	if lk.model.Load() == nil {
		m := ev.Model
		lk.model.Store(&m)
	}
	lk.rec.Outcome(loadtest.FrameID{Camera: ev.CameraID, Seq: ev.Seq}, loadtest.Emitted, now, now.Sub(ev.CapturedAt), ev.Status == schemas.StatusDetected)
}

// tableCounts follows the landmarks table, for the per-camera stale and duplicate counters of
// processors that run elsewhere: refresh copies those of the run's cameras into the recorder.
func (lk *ltKafka) tableCounts(ctx context.Context, clients *kafka.Clients, topo stream.Topology) (refresh func(context.Context), stop func(), err error) {
	t, err := stream.NewTable(clients, topo)
	if err != nil {
		return nil, nil, err
	}
	vctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- t.Run(vctx) }()
	refresh = func(context.Context) {
		for _, id := range lk.rec.Cameras() {
			if st, err := t.Camera(id); err == nil && st != nil {
				lk.rec.CameraCounts(id, st.Counters.Stale, st.Counters.Duplicate)
			}
		}
	}
	return refresh, func() { cancel(); <-done }, nil
}
