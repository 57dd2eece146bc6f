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
	inferRejected prometheus.Counter
	rateLimited   prometheus.Counter
	subscribers   prometheus.Gauge
	dropped       prometheus.Counter
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
		inferRejected: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_infer_rejected_total",
			Help: "POST /v1/infer requests refused with 503 because the queue was full."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_http_rate_limited_total",
			Help: "Requests refused with 429 because their client exceeded its rate."}),
		subscribers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "holostream_sse_subscribers",
			Help: "Open Server-Sent Event streams."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "holostream_sse_dropped_events_total",
			Help: "Live events not sent to a subscriber that was not keeping up."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inferQueued, m.inferRunning, m.inferRejected, m.rateLimited, m.subscribers, m.dropped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
