package stream

import (
	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/processors/analytics"
	"github.com/holostream/holostream/processors/landmarks"
)

// graph is the stream's two goka group graphs, built from a Config with no cluster: the
// Pipeline runs them against Kafka, the graph test under goka's tester.
//
//	frames ──┐                      ┌─> keypoints ──> analytics ──> loop (by user) ──> analytics ─┬─> actions
//	         ├─> landmarks (table) ─┤                                                             └─> pose-stats
//	repartition <─ (off-partition) ─┘─> frames-dlq
type graph struct {
	landmarks, analytics *goka.GroupGraph
	// punctuator closes idle users' windows (analytics.Punctuator); it runs beside the
	// processors with a view of the analytics table.
	punctuator *analytics.Punctuator
	// committed holds the landmarks processor's observations until their records are committed.
	committed *landmarks.Committed
}

// placement is where the landmarks group puts a camera: the frames topic's partition count and
// the producers' partitioner, and the largest record the producer writes.
type placement struct {
	partitions int32
	partition  func(key string, n int32) int32
	maxRecord  int
	// keypointsIn is the analytics group's codec for the keypoints it reads: nil, raw bytes
	// decoded in the callback (a bad record is counted, not a stop). goka's tester allows one
	// codec per topic, so the graph test reads them with the landmarks group's Avro codec,
	// which the callback takes as well.
	keypointsIn goka.Codec
}

// metrics are the processors' Prometheus metrics.
type metrics struct {
	landmarks     *landmarks.Metrics
	analytics     *analytics.Metrics
	writeFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var m metrics
	var err error
	if m.landmarks, err = landmarks.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.analytics, err = analytics.NewMetrics(reg); err != nil {
		return nil, err
	}
	m.writeFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "holostream", Subsystem: "kafka", Name: "writes_failed_total",
		Help: "Records the processors could not write, by topic and code: skipped, never retried (RECORD_TOO_LARGE, INVALID_RECORD, POLICY_VIOLATION, INVALID_TIMESTAMP), or refused for want of a grant, which stops the processors (TOPIC_AUTHORIZATION_FAILED, ...).",
	}, []string{"topic", "code"})
	if err := reg.Register(m.writeFailures); err != nil {
		return nil, err
	}
	return &m, nil
}

// newGraph builds both group graphs from cfg, with the topics' codecs from w.
func newGraph(cfg Config, w *Wire, m *metrics, at placement) (*graph, error) {
	topo := cfg.Topology
	observe := m.landmarks.Observe
	if cfg.Observe != nil {
		observe = func(o landmarks.Observation) { m.landmarks.Observe(o); cfg.Observe(o) }
	}
	// A frame counts once its record is committed: its event and table row written.
	committed := landmarks.NewCommitted(observe)
	lc := &landmarks.Config{
		Frames: topo.Frames, Keypoints: topo.Keypoints, DeadLetters: topo.DLQ,
		Landmarker: cfg.Landmarker, DecodeFrame: w.Frames.Decode, Transient: transient,
		MaxAge: cfg.MaxAge, MaxImageBytes: cfg.MaxImageBytes, MaxMegapixels: cfg.MaxMegapixels,
		MaxRecordBytes: at.maxRecord, MaxClockSkew: cfg.MaxClockSkew, MaxSeqJump: cfg.MaxSeqJump,
		Observe: committed.Observe,
		Repartition: landmarks.Repartitioning{Topic: topo.Repartition, Partitions: at.partitions,
			Partition: at.partition, Forwarded: m.landmarks.Forwarded},
	}
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	ac := analytics.Config{
		Keypoints: topo.Keypoints, Actions: topo.Actions, Stats: topo.Stats,
		Window: cfg.Window, Grace: cfg.Grace, DecodeKeypoints: w.Keypoints.Decode, Observe: m.analytics.Observe,
	}
	ac.Punctuator = analytics.NewPunctuator(ac.Spec())
	if err := ac.Validate(); err != nil {
		return nil, err
	}
	keypointsIn := at.keypointsIn
	if keypointsIn == nil {
		keypointsIn = codecs.Bytes{}
	}
	return &graph{
		landmarks: lc.Group(topo.Landmarks, landmarks.Codecs{
			Frames: codecs.Bytes{}, State: landmarks.StateCodec{}, Keypoints: w.Keypoints.Codec(), DeadLetters: w.DLQ.Codec(),
		}),
		analytics: ac.Group(topo.Analytics,
			codecs.JSON[analytics.UserState]{}, w.Actions.Codec(), w.Stats.Codec(), keypointsIn),
		punctuator: ac.Punctuator,
		committed:  committed,
	}, nil
}
