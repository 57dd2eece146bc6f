package landmarks

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the processor's Prometheus series. Labels are bounded (outcome, code, stage): no
// camera ids, which would grow without limit; per-camera numbers are in the table.
type Metrics struct {
	frames   *prometheus.CounterVec
	detected prometheus.Counter
	detector prometheus.Counter
	gaps     prometheus.Counter
	stage    *prometheus.HistogramVec
	age      prometheus.Histogram
	// forwarded counts frames sent to the repartition topic (Route).
	forwarded prometheus.Counter
}

// NewMetrics registers the processor's series with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "frames_total",
			Help: "Frames taken up, by outcome (emitted, dead_lettered, stale, duplicate) and dead-letter code.",
		}, []string{"outcome", "code"}),
		detected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "detected_total",
			Help: "Emitted frames in which a person was found.",
		}),
		detector: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "detector_runs_total",
			Help: "Emitted frames on which the person detector ran (no tracking ROI): high means tracking is often lost.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "sequence_gaps_total",
			Help: "Gaps in a camera's sequence numbers (tracking was reset).",
		}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "stage_seconds",
			Help:    "Time per frame in each stage (decode, detect, landmarks, total).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"stage"}),
		age: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "frame_age_seconds",
			Help:    "Wall clock minus captured_at when a frame is taken up: queueing delay before the processor.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		forwarded: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "holostream", Subsystem: "landmarks", Name: "frames_forwarded_total",
			Help: "Frames read on another partition than their camera's (a producer that does not partition keys with holostream's --partitioner) and forwarded to the repartition topic; counted in frames_total once processed from there.",
		}),
	}
	for _, c := range []prometheus.Collector{m.frames, m.detected, m.detector, m.gaps, m.stage, m.age, m.forwarded} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one frame; use it as Config.Observe.
func (m *Metrics) Observe(o Observation) {
	m.frames.WithLabelValues(string(o.Outcome), o.Code).Inc()
	if o.Detected {
		m.detected.Inc()
	}
	if o.DetectorRan {
		m.detector.Inc()
	}
	if o.Gap {
		m.gaps.Inc()
	}
	if o.Outcome == OutcomeEmitted {
		m.stage.WithLabelValues("decode").Observe(o.Decode.Seconds())
		m.stage.WithLabelValues("detect").Observe(o.Detect.Seconds())
		m.stage.WithLabelValues("landmarks").Observe(o.Landmark.Seconds())
		m.stage.WithLabelValues("total").Observe(o.Total.Seconds())
	}
	if o.Age > 0 {
		m.age.Observe(o.Age.Seconds())
	}
}

// Forwarded counts one frame forwarded to the repartition topic; use it as
// Repartitioning.Forwarded (the camera is not a label: there is no bound on cameras).
func (m *Metrics) Forwarded(_ string, _, _ int32) { m.forwarded.Inc() }
