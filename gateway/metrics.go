package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series.
type metrics struct {
	requests      *prometheus.CounterVec   // route, code
	duration      *prometheus.HistogramVec // route
	inferQueued   prometheus.Gauge         // admitted /v1/infer requests (running + waiting)
	inferRunning  prometheus.Gauge
	inferHeld     prometheus.Gauge
	inferRejected *prometheus.CounterVec // reason
	rateLimited   prometheus.Counter
	subscribers   prometheus.Gauge
	dropped       prometheus.Counter
	// streamsRefused: event streams not admitted, by the limit (server, client, camera,
	// waiting); streamsSlow: streams closed because their client fell behind.
	streamsRefused *prometheus.CounterVec
	streamsSlow    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "holostream_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "holostream_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests (event streams excluded), by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		inferQueued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "holostream_infer_admitted",
			Help: "POST /v1/infer requests admitted to the worker pool: running or waiting for a worker."}),
		inferRunning: prometheus.NewGauge(prometheus.GaugeOpts{Name: "holostream_infer_running",
			Help: "POST /v1/infer requests decoding or inferring now."}),
		inferHeld: prometheus.NewGauge(prometheus.GaugeOpts{Name: "holostream_infer_memory_held_bytes",
			Help: "Memory the admitted POST /v1/infer requests hold, bodies and decoded pixels as their headers declare them (at most --infer-memory-bytes)."}),
		inferRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "holostream_infer_rejected_total",
			Help: "POST /v1/infer requests refused with 503, by reason: wait (the expected answer past --infer-timeout), queue (--infer-queue requests waiting), memory (--infer-memory-bytes held)."}, []string{"reason"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_http_rate_limited_total",
			Help: "Requests refused with 429 because their client exceeded its rate."}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "holostream_sse_subscribers",
			Help: "Open Server-Sent Event streams."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_sse_dropped_events_total",
			Help: "Live events not sent to a subscriber that was not keeping up."}),
		streamsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "holostream_sse_refused_total",
			Help: "Event streams refused, by the limit they were over: server, client, camera, waiting (cameras without frames)."}, []string{"reason"}),
		streamsSlow: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_sse_slow_closed_total",
			Help: "Event streams closed because their client fell behind: it lost a queue's worth of events without catching up."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inferQueued, m.inferRunning, m.inferHeld, m.inferRejected, m.rateLimited, m.subscribers, m.dropped,
		m.streamsRefused, m.streamsSlow} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
