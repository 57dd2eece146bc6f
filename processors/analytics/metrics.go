package analytics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the processor's Prometheus series (labels bounded: kinds, not users).
type Metrics struct {
	events      prometheus.Counter
	undecodable prometheus.Counter
	actions     *prometheus.CounterVec
	windows     prometheus.Counter
	idle        prometheus.Counter
	late        prometheus.Counter
	forgotten   prometheus.Counter
}

// NewMetrics registers the processor's series with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	opts := func(name, help string) prometheus.CounterOpts {
		return prometheus.CounterOpts{Namespace: "holostream", Subsystem: "analytics", Name: name, Help: help}
	}
	m := &Metrics{
		events:      prometheus.NewCounter(opts("events_total", "Keypoint events applied to a user's state.")),
		undecodable: prometheus.NewCounter(opts("undecodable_total", "Keypoint records that could not be decoded (counted, skipped).")),
		actions:     prometheus.NewCounterVec(opts("actions_total", "Actions emitted, by kind."), []string{"kind"}),
		windows:     prometheus.NewCounter(opts("windows_total", "Event-time windows closed and emitted as pose-stats.")),
		idle:        prometheus.NewCounter(opts("idle_windows_total", "Windows among windows_total closed by the wall clock, their user having stopped sending.")),
		late:        prometheus.NewCounter(opts("late_events_total", "Events counted in a window after its end, within the grace period.")),
		forgotten:   prometheus.NewCounter(opts("people_forgotten_total", "Rows of people (several people per camera) deleted from the table, the person idle for the forget time.")),
	}
	for _, c := range []prometheus.Collector{m.events, m.undecodable, m.actions, m.windows, m.idle, m.late, m.forgotten} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one event's, or one flush's, outcome; use it as Config.Observe.
func (m *Metrics) Observe(out *Output) {
	if out == nil {
		m.undecodable.Inc()
		return
	}
	if out.Flush {
		m.idle.Add(float64(len(out.Stats)))
		if out.Forgotten {
			m.forgotten.Inc()
		}
	} else {
		m.events.Inc()
	}
	for _, a := range out.Actions {
		m.actions.WithLabelValues(string(a.Kind)).Inc()
	}
	for _, s := range out.Stats {
		m.windows.Inc()
		m.late.Add(float64(s.LateEvents))
	}
}
