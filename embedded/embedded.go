package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Cluster is an in-process Kafka cluster and Schema Registry. Close stops both.
type Cluster struct {
	kafka    *kfake.Cluster
	registry *srfake.Registry
	srv      *http.Server
	url      string
}

// Options configure Start.
type Options struct {
	// Brokers is the number of broker nodes (default 1).
	Brokers int
	// Partitions is the default partition count of auto-created topics (default 6).
	Partitions int
	// DataDir keeps the cluster's data on disk across restarts when set.
	DataDir string
}

// Start starts a cluster and a registry on random 127.0.0.1 ports.
func Start(o Options) (*Cluster, error) {
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.Partitions <= 0 {
		o.Partitions = 6
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(o.Brokers),
		kfake.DefaultNumPartitions(o.Partitions),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") }),
		// A short group session floor keeps rebalances after a crash within seconds.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	k, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: start kafka: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("embedded: registry listener: %w", err)
	}
	reg := srfake.NewRegistry()
	srv := &http.Server{Handler: reg.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			// Serve only fails if the listener breaks; clients will report the registry unreachable.
			_ = err
		}
	}()
	return &Cluster{kafka: k, registry: reg, srv: srv, url: "http://" + ln.Addr().String()}, nil
}

// Brokers are the bootstrap addresses.
func (c *Cluster) Brokers() []string { return c.kafka.ListenAddrs() }

// RegistryURL is the Schema Registry's base URL.
func (c *Cluster) RegistryURL() string { return c.url }

// Kafka exposes the kfake cluster for tests that inject faults or move partitions.
func (c *Cluster) Kafka() *kfake.Cluster { return c.kafka }

// Close stops the registry and the cluster.
func (c *Cluster) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	c.kafka.Close()
	return err
}
