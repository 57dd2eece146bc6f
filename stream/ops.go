package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/holostream/holostream/model"
)

// replacingRegisterer registers collectors in place of those of a previous run of the
// processors (same descriptors), so restarted processors can register their metrics again.
type replacingRegisterer struct{ *prometheus.Registry }

// NewProcessRegistry is the registry a command serves on /metrics: the Go runtime's and the
// process's own metrics (CPU seconds, resident memory, open files) beside the pipeline's.
func NewProcessRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// RegisterModel adds the landmarker's settings to reg: what a dashboard needs to read the
// throughput against (frames at once is the ceiling of the cores the models can use).
func RegisterModel(reg prometheus.Registerer, lm *model.Landmarker) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "holostream_model_workers",
		Help:        "Frames the landmarker infers at once (--workers, --infer-workers; default: the CPUs the process may use).",
		ConstLabels: prometheus.Labels{"model": string(lm.Kind())}}, func() float64 { return float64(lm.Workers()) }))
}

func (r replacingRegisterer) Register(c prometheus.Collector) error {
	r.Registry.Unregister(c)
	return r.Registry.Register(c)
}

func (r replacingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// ServeOps serves /metrics, /healthz and /readyz until ctx ends; /readyz answers 503 with
// ready's error while it has one.
func ServeOps(ctx context.Context, addr string, reg *prometheus.Registry, ready func() error) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
