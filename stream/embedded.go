package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
)

// Embedded is the whole stream in this process: an embedded Kafka-protocol cluster and Schema
// Registry (package embedded) with the processors running against it. `demo`, `loadtest` and
// the tests start it the same way.
type Embedded struct {
	Topology Topology
	Cluster  *embedded.Cluster
	Clients  *kafka.Clients
	Wire     *Wire
	Pipeline *Pipeline

	stop context.CancelFunc
	done chan struct{}
	err  error
}

// StartEmbedded starts a cluster with partitions partitions per topic, connects to it with kc
// (its Brokers and Partitions are filled in), registers the schemas with the cluster's
// registry and runs the processors of cfg until Close, with their metrics in reg (nil: a
// registry of their own). It returns once they have joined their groups and read their tables.
// The landmarker stays the caller's to close.
func StartEmbedded(ctx context.Context, cfg Config, partitions int, kc kafka.Config, reg prometheus.Registerer) (e *Embedded, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e = &Embedded{Topology: cfg.Topology}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if e.Cluster, err = embedded.Start(embedded.Options{Partitions: partitions}); err != nil {
		return nil, err
	}
	kc.Brokers, kc.Partitions = e.Cluster.Brokers(), partitions
	if e.Clients, err = kafka.New(kc.Defaults()); err != nil {
		return nil, err
	}
	if e.Wire, err = NewWire(ctx, cfg.Topology, e.Cluster.RegistryURL()); err != nil {
		return nil, err
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if e.Pipeline, err = NewPipeline(cfg, e.Clients, e.Wire, reg); err != nil {
		return nil, err
	}
	pctx, stop := context.WithCancel(ctx)
	e.stop, e.done = stop, make(chan struct{})
	go func() {
		defer close(e.done)
		e.err = e.Pipeline.Run(pctx)
	}()
	select {
	case <-e.done:
		return nil, fmt.Errorf("processors did not start: %w", e.stopped())
	default:
	}
	if err := e.Pipeline.WaitRunning(pctx); err != nil {
		return nil, fmt.Errorf("processors did not start: %w", err)
	}
	return e, nil
}

// Done is closed when the processors have stopped: Close was called, or one of them failed
// (Err says why).
func (e *Embedded) Done() <-chan struct{} { return e.done }

// Err waits until the processors have stopped and says why: nil when Close stopped them.
func (e *Embedded) Err() error {
	<-e.done
	return e.err
}

func (e *Embedded) stopped() error {
	if e.err == nil {
		return errors.New("processors stopped")
	}
	return e.err
}

// Close stops the processors and waits for them, then stops the cluster.
func (e *Embedded) Close() {
	if e.stop != nil {
		e.stop()
		<-e.done
	}
	if e.Cluster != nil {
		e.Cluster.Close()
	}
}
