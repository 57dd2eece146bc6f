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
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/loadtest"
	"github.com/holostream/holostream/model"
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
		err = ltKafka(ctx, log, plan, cf, pf, explicitBrokers, o.http.MetricsURL, src, rec, &run, stderr)
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

// ltKafka runs the load test through Kafka: against the cluster the flags name (explicit),
// whose processors run elsewhere, or an embedded one with the processors in this process.
func ltKafka(ctx context.Context, log *slog.Logger, plan loadtest.Plan, cf clusterFlags, pf processorFlags, explicit bool, metricsURL string,
	src camera.Source, rec *loadtest.Recorder, run *loadtest.Run, progress io.Writer) error {
	topo := stream.NewTopology(cf.prefix)
	var (
		p       loadtest.Pipeline
		clients *kafka.Clients
		w       *stream.Wire
		err     error
	)
	if explicit {
		var closeTable func()
		if clients, w, p.Counts, closeTable, err = ltCluster(ctx, cf, pf, topo); err != nil {
			return err
		}
		defer closeTable()
		run.Target = strings.Join(clients.Config.Brokers, ",")
		if metricsURL != "" {
			p.Meter = loadtest.NewMeter(loadtest.Scrape{URL: metricsURL})
			run.Process = "the process at " + metricsURL
		}
	} else {
		e, lm, err := ltEmbedded(ctx, log, cf, pf, topo, rec)
		if err != nil {
			return err
		}
		defer lm.Close()
		defer e.Close()
		clients, w = e.Clients, e.Wire
		run.Target, run.Model = "embedded", string(lm.Kind())
		run.Process = "this process: the processors, the embedded cluster and registry, and the load generator"
		p.Meter = loadtest.NewMeter(loadtest.Self{})
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
	p.Lag = lag.Read
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
	p.Emit = func(f schemas.Frame, done func(error)) error {
		prom, err := em.Emit(f.CameraID, f)
		if err == nil {
			prom.Then(done)
		}
		return err
	}
	p.Flush = func() error {
		finished = true
		return em.Finish()
	}
	p.Follow = ltFollow(clients, topo, w, loadtest.CameraPrefix(plan.RunID), !explicit, rec)
	return plan.ExecuteKafka(ctx, log, p, src, rec, run, progress)
}

// ltCluster connects to the cluster the flags name, and follows its landmarks table for the
// per-camera stale and duplicate counters of processors that run elsewhere (counts; close
// stops following).
func ltCluster(ctx context.Context, cf clusterFlags, pf processorFlags, topo stream.Topology) (clients *kafka.Clients, w *stream.Wire,
	counts func(string) (int64, int64, bool), stopTable func(), err error) {
	cf.maxImageBytes = pf.maxImageBytes
	if clients, err = cf.clients("holostream-loadtest"); err != nil {
		return nil, nil, nil, nil, err
	}
	if err := clients.CheckAccess(stream.LoadtestAccess(topo)); err != nil {
		return nil, nil, nil, nil, err
	}
	if w, err = stream.NewWire(ctx, topo, cf.registry); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("schemas: %w", err)
	}
	t, err := stream.NewTable(clients, topo)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- t.Run(tctx) }()
	counts = func(id string) (int64, int64, bool) {
		st, err := t.State(id)
		if err != nil || st == nil {
			return 0, 0, false
		}
		return st.Counters.Stale, st.Counters.Duplicate, true
	}
	return clients, w, counts, func() { stop(); <-done }, nil
}

// ltFollow reads the keypoint and dead-letter records of the run's cameras (keys starting with
// prefix) into the load test's outputs, from the oldest offsets (an embedded cluster, new) or the
// newest.
func ltFollow(clients *kafka.Clients, topo stream.Topology, w *stream.Wire, prefix string, fromOldest bool, rec *loadtest.Recorder) func(context.Context, func(), *loadtest.Outputs) error {
	return func(ctx context.Context, ready func(), out *loadtest.Outputs) error {
		topics := []string{string(topo.Keypoints), string(topo.DLQ)}
		return stream.TailNotify(ctx, clients, topics, fromOldest, ready, func(r stream.Record) error {
			if !strings.HasPrefix(r.Key, prefix) {
				return nil
			}
			now := time.Now()
			if r.Topic == string(topo.DLQ) {
				if dl, err := w.DLQ.Decode(r.Value); err == nil {
					out.DeadLetter(dl, now)
				} else {
					rec.Error("undecodable_dead_letter", now)
				}
			} else if ev, err := w.Keypoints.Decode(r.Value); err == nil {
				out.Keypoints(ev, now)
			} else {
				rec.Error("undecodable_keypoints", now)
			}
			return nil
		})
	}
}

// ltEmbedded starts the embedded cluster with the processors, as demo does, recording the
// frames they drop as stale or duplicate (which produce no output to read).
func ltEmbedded(ctx context.Context, log *slog.Logger, cf clusterFlags, pf processorFlags, topo stream.Topology, rec *loadtest.Recorder) (*stream.Embedded, *model.Landmarker, error) {
	cfg, err := pf.config(topo, log, slog.LevelDebug)
	if err != nil {
		return nil, nil, err
	}
	cfg.Observe = func(ob landmarks.Observation) {
		id := loadtest.FrameID{Camera: ob.Camera, Seq: ob.Seq}
		switch ob.Outcome {
		case landmarks.OutcomeStale:
			rec.Outcome(id, loadtest.Stale, time.Now(), 0, false)
		case landmarks.OutcomeDuplicate:
			rec.Outcome(id, loadtest.Duplicate, time.Now(), 0, false)
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
	log.Info("loadtest: embedded cluster and processors running", "model", lm.Kind(), "partitions", cf.partitions)
	return e, lm, nil
}
