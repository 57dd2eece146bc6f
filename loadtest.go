package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/loadtest"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
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

// ltOptions are the load test's settings, from the flags.
type ltOptions struct {
	mode                    string
	steps                   []loadtest.StepSpec
	duration, warmup, drain time.Duration
	reportDir, dir          string
	quiet                   bool
	url, token, metricsURL  string
	httpTimeout             time.Duration
	cameras                 int
	fps                     float64
	ramp                    string
	explicitBrokers         bool
	runID                   string
	command                 string
	src                     camera.Source
	sourceName              string
	stderr                  io.Writer
}

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("loadtest", loadtestUsage, stderr)
	var cf clusterFlags
	var pf processorFlags
	cf.register(fs)
	pf.register(fs)
	o := ltOptions{stderr: stderr}
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
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "--mode http: the gateway's base URL (or its /v1/infer endpoint)")
	fs.StringVar(&o.token, "token", env("HOLOSTREAM_TOKEN", ""), "--mode http: bearer token ($HOLOSTREAM_TOKEN)")
	fs.DurationVar(&o.httpTimeout, "http-timeout", 30*time.Second, "--mode http: give up on a request after this long (a transport error)")
	fs.StringVar(&o.metricsURL, "metrics-url", "", "Prometheus endpoint of the process under test (e.g. http://host:9464/metrics), for its CPU and memory; the embedded mode measures itself")
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := o.validate(fs, &cf); err != nil {
		fmt.Fprintln(stderr, "holostream loadtest:", err)
		return 2
	}
	o.command = commandLine("holostream loadtest", args)
	var err error
	if o.runID, err = newRunID(); err != nil {
		log.Error("holostream loadtest failed", "err", err)
		return 1
	}
	if o.src, o.sourceName, err = ltSource(o.dir); err != nil {
		log.Error("holostream loadtest failed", "err", err)
		return 1
	}

	rec := loadtest.NewRecorder()
	run := loadtest.Run{ID: o.runID, Mode: o.mode, Command: o.command, Started: time.Now(),
		DurationS: o.duration.Seconds(), WarmupS: o.warmup.Seconds(), DrainS: o.drain.Seconds(),
		Source: o.sourceName, SourceFrames: len(o.src), Host: loadtest.ThisHost()}
	if o.mode == "http" {
		err = ltHTTP(ctx, log, o, rec, &run)
	} else {
		err = ltKafka(ctx, log, o, cf, pf, rec, &run)
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

func (o *ltOptions) validate(fs *flag.FlagSet, cf *clusterFlags) error {
	if o.mode != "kafka" && o.mode != "http" {
		return fmt.Errorf("--mode %q: want kafka or http", o.mode)
	}
	if o.ramp != "" {
		steps, err := loadtest.ParseRamp(o.ramp)
		if err != nil {
			return fmt.Errorf("--ramp: %w", err)
		}
		o.steps = steps
	} else {
		if o.cameras < 1 || !(o.fps > 0) {
			return errors.New("--cameras must be >= 1 and --fps > 0")
		}
		o.steps = []loadtest.StepSpec{{Cameras: o.cameras, FPS: o.fps}}
	}
	if o.duration <= 0 || o.warmup < 0 || o.warmup >= o.duration || o.drain < 0 || o.httpTimeout <= 0 {
		return errors.New("--duration must be > 0, --warmup in [0, --duration), --drain >= 0, --http-timeout > 0")
	}
	if o.reportDir == "" {
		return errors.New("--report: give a directory")
	}
	_, o.explicitBrokers = os.LookupEnv("HOLOSTREAM_BROKERS")
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "brokers" {
			o.explicitBrokers = true
		}
	})
	if o.explicitBrokers && strings.TrimSpace(cf.brokers) == "" {
		return errors.New("--brokers: no broker given")
	}
	return nil
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

func newRunID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func ltSource(dir string) (camera.Source, string, error) {
	if dir != "" {
		src, err := camera.FromDir(dir)
		return src, dir, err
	}
	src, err := defaultFootage()
	return src, "built-in footage (OpenCV vtest.avi, people walking)", err
}

// ltCameraID is a camera id unique to the run and the step (from 1), so a frame's (camera, seq)
// is unique and no earlier table state applies to it.
func ltCameraID(runID string, step, cam int) string {
	return fmt.Sprintf("lt-%s-s%d-cam-%d", runID, step, cam)
}

// ltDriver is what a mode plugs into the steps: a camera sending for a while, the readings of
// the system under test, and the end of the sending.
type ltDriver struct {
	// camera sends id's frames at fps for dur (or until ctx ends).
	camera func(ctx context.Context, id string, fps float64, dur time.Duration) error
	// lag reads the consumer lag; nil when there is none.
	lag func() (int64, error)
	// meter reads CPU and memory; nil when not measured.
	meter *loadtest.Meter
	// flush waits for the acknowledgements (Kafka) or answers (HTTP) still due, within ctx.
	flush func(ctx context.Context) error
	// refresh brings in outcomes counted elsewhere (the processors' table), during the drain.
	refresh func(ctx context.Context)
}

// ltSteps runs the steps one after the other, then drains: it waits until every acknowledged
// frame has an outcome or --drain passes. A sampler reads lag, CPU and memory every second and
// a progress line shows the state.
func ltSteps(ctx context.Context, log *slog.Logger, o ltOptions, d ltDriver, rec *loadtest.Recorder) error {
	var draining atomic.Bool
	bg, stopBg := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ltSample(bg, log, d, rec)
	}()
	var prog *loadtest.Progress
	if !o.quiet {
		prog = loadtest.NewProgress(o.stderr, loadtest.IsTerminal(o.stderr))
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case now := <-t.C:
					l := rec.Live(now)
					l.Steps = len(o.steps)
					prog.Update(now, l, draining.Load())
				case <-bg.Done():
					return
				}
			}
		}()
	}
	defer func() {
		stopBg()
		wg.Wait()
		if prog != nil {
			prog.Done()
		}
	}()

	for i, spec := range o.steps {
		ids := make([]string, spec.Cameras)
		for c := range ids {
			ids[c] = ltCameraID(o.runID, i+1, c+1)
		}
		start := time.Now()
		rec.BeginStep(spec, ids, start, o.duration, o.warmup)
		if err := ltCameras(ctx, d, ids, spec.FPS, start.Add(o.duration)); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, spec, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	draining.Store(true)
	dctx, cancel := context.WithTimeout(ctx, o.drain)
	defer cancel()
	if err := d.flush(dctx); err != nil && dctx.Err() == nil {
		return err
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		if d.refresh != nil {
			d.refresh(dctx)
		}
		if rec.Pending() == 0 {
			return nil
		}
		select {
		case <-t.C:
		case <-dctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("drain timed out: frames without an outcome are reported unaccounted", "pending", rec.Pending(), "drain", o.drain)
			return nil
		}
	}
}

// ltCameras runs the cameras of one step until end: fps*duration frames each. Their first
// frames are spread over one frame interval, as real cameras are not in phase.
func ltCameras(ctx context.Context, d ltDriver, ids []string, fps float64, end time.Time) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	interval := time.Duration(float64(time.Second) / fps)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			delay := interval * time.Duration(i) / time.Duration(len(ids))
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			// Each camera runs for the step's length less half an interval from its own start:
			// fps*duration frames, the last one clear of the step's end.
			if dur := time.Until(end.Add(delay)) - interval/2; dur > 0 {
				errs[i] = d.camera(ctx, id, fps, dur)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ltSample records lag, CPU and memory, and the host's CPU use, every second until ctx ends.
func ltSample(ctx context.Context, log *slog.Logger, d ltDriver, rec *loadtest.Recorder) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	warned := map[string]bool{}
	warn := func(what string, err error) {
		if !warned[what] {
			warned[what] = true
			log.Warn("loadtest: cannot read "+what+" (reported as absent)", "err", err)
		}
	}
	host := loadtest.NewHostCPU()
	host.Sample() // the readings the first second is compared with
	if d.meter != nil {
		d.meter.Sample(ctx)
	}
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		s := loadtest.Sample{At: time.Now()}
		if d.lag != nil {
			if v, err := d.lag(); err != nil {
				warn("the consumer lag", err)
			} else {
				s.Lag = &v
			}
		}
		if d.meter != nil {
			cores, rss, err := d.meter.Sample(ctx)
			if err != nil && ctx.Err() == nil {
				warn("CPU and memory", err)
			}
			s.CPUCores, s.RSSMB = cores, rss
		}
		var err error
		if s.HostCPUCores, err = host.Sample(); err != nil {
			warn("the host's CPU use", err)
		}
		rec.Sample(s)
	}
}

// ltKafka runs the load test through Kafka: frames produced to the frames topic, outcomes read
// from the keypoints and dead-letter topics (and, embedded, the processors' observer; external,
// their table's per-camera counters).
func ltKafka(ctx context.Context, log *slog.Logger, o ltOptions, cf clusterFlags, pf processorFlags, rec *loadtest.Recorder, run *loadtest.Run) error {
	topo := NewTopology(cf.prefix)
	var (
		clients *kafka.Clients
		w       *wire
		d       ltDriver
	)
	if o.explicitBrokers {
		var err error
		cf.maxImageBytes = pf.maxImageBytes
		if clients, err = cf.clients("holostream-loadtest"); err != nil {
			return err
		}
		if w, err = newWire(ctx, topo, cf.registry); err != nil {
			return fmt.Errorf("schemas: %w", err)
		}
		run.Target = strings.Join(clients.Config.Brokers, ",")
		if o.metricsURL != "" {
			d.meter = loadtest.NewMeter(loadtest.Scrape{URL: o.metricsURL})
			run.Process = "the process at " + o.metricsURL
		}
		counts, err := startTableCounts(ctx, clients, topo)
		if err != nil {
			return err
		}
		defer counts.close()
		d.refresh = func(context.Context) { counts.refresh(rec) }
	} else {
		e, err := startEmbeddedPipeline(ctx, log, cf, pf, topo, ltObserver(rec))
		if err != nil {
			return err
		}
		defer e.close()
		clients, w = e.clients, e.wire
		run.Target, run.Model = "embedded", string(e.lm.Kind())
		d.meter = loadtest.NewMeter(loadtest.Self{})
		run.Process = "this process: the processors, the embedded cluster and registry, and the load generator"
	}
	if err := clients.EnsureStreams(topo.Frames, topo.Keypoints, topo.DLQ); err != nil {
		return err
	}
	lag, err := newLagReader(clients, topo)
	if err != nil {
		return err
	}
	defer lag.close()
	d.lag = lag.read

	var model atomic.Pointer[string]
	tctx, stopTail := context.WithCancel(ctx)
	tailDone := make(chan error, 1)
	tailReady := make(chan struct{})
	go func() {
		tailDone <- ltTail(tctx, clients, topo, w, !o.explicitBrokers, func() { close(tailReady) }, "lt-"+o.runID+"-", rec, &model)
	}()
	defer func() {
		stopTail()
		<-tailDone
	}()
	// On a real cluster the tail starts at the newest offsets: produce only once it has them, or
	// the first outcomes could land before them and the frames count as unaccounted.
	select {
	case <-tailReady:
	case err := <-tailDone:
		tailDone <- err // for the deferred wait
		if err == nil {
			err = ctx.Err()
		}
		return fmt.Errorf("reading the keypoint and dead-letter topics: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}

	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		return fmt.Errorf("emitter: %w", err)
	}
	finished := false
	defer func() {
		if !finished {
			em.Finish()
		}
	}()
	sink := func(_ context.Context, f schemas.Frame) error {
		id := loadtest.FrameID{Camera: f.CameraID, Seq: f.Seq}
		rec.Sent(id, time.Now())
		prom, err := em.Emit(f.CameraID, f)
		if err != nil {
			rec.Failed(id, "produce")
			return nil
		}
		prom.Then(func(err error) {
			if err != nil {
				rec.Failed(id, "produce")
				return
			}
			rec.Acked(id)
		})
		return nil
	}
	d.camera = func(ctx context.Context, id string, fps float64, dur time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, dur)
		defer cancel()
		_, err := camera.Camera{ID: id, User: id, FPS: fps}.Run(ctx, o.src, 0, sink)
		return err
	}
	d.flush = func(context.Context) error {
		finished = true
		return em.Finish()
	}
	err = ltSteps(ctx, log, o, d, rec)
	if m := model.Load(); m != nil && run.Model == "" {
		run.Model = *m
	}
	select {
	case terr := <-tailDone:
		tailDone <- terr
		if terr != nil && err == nil {
			err = fmt.Errorf("reading the outputs: %w", terr)
		}
	default:
	}
	return err
}

// ltObserver records the frames the processors drop as stale or duplicate, which produce no
// output to read.
func ltObserver(rec *loadtest.Recorder) func(landmarks.Observation) {
	return func(ob landmarks.Observation) {
		id := loadtest.FrameID{Camera: ob.Camera, Seq: ob.Seq}
		switch ob.Outcome {
		case landmarks.OutcomeStale:
			rec.Outcome(id, loadtest.Stale, time.Now(), 0, false)
		case landmarks.OutcomeDuplicate:
			rec.Outcome(id, loadtest.Duplicate, time.Now(), 0, false)
		}
	}
}

// ltTail reads the keypoint and dead-letter topics and records the outcomes of this run's
// frames (keys starting with prefix), until ctx ends; ready is called once it reads from fixed
// offsets.
func ltTail(ctx context.Context, clients *kafka.Clients, topo Topology, w *wire, fromOldest bool, ready func(), prefix string, rec *loadtest.Recorder, model *atomic.Pointer[string]) error {
	return tailNotify(ctx, clients, []string{string(topo.Keypoints), string(topo.DLQ)}, fromOldest, ready, func(r record) error {
		if !strings.HasPrefix(r.Key, prefix) {
			return nil
		}
		now := time.Now()
		if r.Topic == string(topo.DLQ) {
			dl, err := w.dlq.Decode(r.Value)
			if err != nil {
				rec.Error("undecodable_dead_letter", now)
				return nil
			}
			rec.Outcome(loadtest.FrameID{Camera: dl.CameraID, Seq: dl.Seq}, loadtest.DeadLettered, now, 0, false)
			return nil
		}
		ev, err := w.keypoints.Decode(r.Value)
		if err != nil {
			rec.Error("undecodable_keypoints", now)
			return nil
		}
		if model.Load() == nil {
			m := ev.Model
			model.Store(&m)
		}
		rec.Outcome(loadtest.FrameID{Camera: ev.CameraID, Seq: ev.Seq}, loadtest.Emitted, now, now.Sub(ev.CapturedAt), ev.Status == schemas.StatusDetected)
		return nil
	})
}

// ltEmbedded is an embedded cluster with the processors running in this process, started the
// way demo starts them.
type ltEmbedded struct {
	cluster *embedded.Cluster
	clients *kafka.Clients
	wire    *wire
	lm      *model.Landmarker
	stop    context.CancelFunc
	done    chan error
}

func startEmbeddedPipeline(ctx context.Context, log *slog.Logger, cf clusterFlags, pf processorFlags, topo Topology, observe func(landmarks.Observation)) (e *ltEmbedded, err error) {
	e = &ltEmbedded{}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.cluster, err = embedded.Start(embedded.Options{Partitions: cf.partitions}); err != nil {
		return nil, err
	}
	e.clients, err = kafka.New(kafka.Config{Brokers: e.cluster.Brokers(), ClientID: "holostream-loadtest",
		Partitions: cf.partitions, Compression: cf.compression, Linger: cf.linger, MaxImageBytes: pf.maxImageBytes})
	if err != nil {
		return nil, err
	}
	if e.lm, err = pf.open(); err != nil {
		return nil, err
	}
	if e.wire, err = newWire(ctx, topo, e.cluster.RegistryURL()); err != nil {
		return nil, err
	}
	cfg := pf.pipeline(topo, e.lm)
	cfg.log, cfg.gokaLevel, cfg.observe = log, slog.LevelDebug, observe
	p, err := newPipeline(cfg, e.clients, e.wire, prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	pctx, stop := context.WithCancel(ctx)
	e.stop, e.done = stop, make(chan error, 1)
	go func() { e.done <- p.run(pctx) }()
	if err := p.waitRunning(pctx); err != nil {
		return nil, fmt.Errorf("processors did not start: %w", err)
	}
	log.Info("loadtest: embedded cluster and processors running", "model", e.lm.Kind(), "partitions", cf.partitions)
	return e, nil
}

// close stops the processors and waits for them, then closes the model and the cluster.
func (e *ltEmbedded) close() {
	if e.stop != nil {
		e.stop()
		<-e.done
	}
	if e.lm != nil {
		e.lm.Close()
	}
	if e.cluster != nil {
		e.cluster.Close()
	}
}

// lagReader reads the landmarks group's lag on the frames topic: the newest offset of each
// partition minus the group's committed offset (the oldest offset where none is committed).
type lagReader struct {
	client sarama.Client
	admin  sarama.ClusterAdmin
	group  string
	topic  string
}

func newLagReader(clients *kafka.Clients, topo Topology) (*lagReader, error) {
	conf := *clients.Sarama
	c, err := sarama.NewClient(clients.Config.Brokers, &conf)
	if err != nil {
		return nil, clients.ConnectError(err)
	}
	admin, err := sarama.NewClusterAdminFromClient(c)
	if err != nil {
		c.Close()
		return nil, clients.ConnectError(err)
	}
	return &lagReader{client: c, admin: admin, group: string(topo.Landmarks), topic: string(topo.Frames)}, nil
}

func (l *lagReader) read() (int64, error) {
	parts, err := l.client.Partitions(l.topic)
	if err != nil {
		return 0, err
	}
	resp, err := l.admin.ListConsumerGroupOffsets(l.group, map[string][]int32{l.topic: parts})
	if err != nil {
		return 0, err
	}
	var lag int64
	for _, p := range parts {
		newest, err := l.client.GetOffset(l.topic, p, sarama.OffsetNewest)
		if err != nil {
			return 0, err
		}
		committed := int64(-1)
		if b := resp.GetBlock(l.topic, p); b != nil && errors.Is(b.Err, sarama.ErrNoError) {
			committed = b.Offset
		}
		if committed < 0 {
			if committed, err = l.client.GetOffset(l.topic, p, sarama.OffsetOldest); err != nil {
				return 0, err
			}
		}
		lag += max(0, newest-committed)
	}
	return lag, nil
}

func (l *lagReader) close() { l.admin.Close() }

// tableCounts follows the landmarks table with a goka View, for the per-camera stale and
// duplicate counters of processors that run elsewhere.
type tableCounts struct {
	view *goka.View
	stop context.CancelFunc
	done chan error
}

func startTableCounts(ctx context.Context, clients *kafka.Clients, topo Topology) (*tableCounts, error) {
	view, err := landmarksView(clients, topo)
	if err != nil {
		return nil, err
	}
	vctx, stop := context.WithCancel(ctx)
	t := &tableCounts{view: view, stop: stop, done: make(chan error, 1)}
	go func() { t.done <- view.Run(vctx) }()
	return t, nil
}

// refresh copies the counters of the run's cameras into rec.
func (t *tableCounts) refresh(rec *loadtest.Recorder) {
	for _, id := range rec.Cameras() {
		v, err := t.view.Get(id)
		if st, ok := v.(*landmarks.CameraState); err == nil && ok && st != nil {
			rec.CameraCounts(id, st.Counters.Stale, st.Counters.Duplicate)
		}
	}
}

func (t *tableCounts) close() {
	t.stop()
	<-t.done
}

// ltHTTP runs the load test against the gateway's upload endpoint.
func ltHTTP(ctx context.Context, log *slog.Logger, o ltOptions, rec *loadtest.Recorder, run *loadtest.Run) error {
	url := strings.TrimRight(o.url, "/")
	if !strings.HasSuffix(url, "/v1/infer") {
		url += "/v1/infer"
	}
	h := &loadtest.HTTPLoad{URL: url, Token: o.token, Client: &http.Client{Timeout: o.httpTimeout}, Rec: rec}
	run.Target = url
	d := ltDriver{
		camera: func(ctx context.Context, id string, fps float64, dur time.Duration) error {
			_, err := h.Camera(ctx, id, fps, o.src, dur)
			return err
		},
		flush: h.Wait,
	}
	if o.metricsURL != "" {
		d.meter = loadtest.NewMeter(loadtest.Scrape{URL: o.metricsURL})
		run.Process = "the process at " + o.metricsURL
	}
	err := ltSteps(ctx, log, o, d, rec)
	run.Model = h.Model()
	// Answers still due hold goroutines until the client's timeout: wait for them, bounded.
	wctx, cancel := context.WithTimeout(context.Background(), o.httpTimeout)
	defer cancel()
	h.Wait(wctx)
	return err
}
