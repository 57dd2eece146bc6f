package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Cluster is an in-process Kafka cluster and Schema Registry. Close stops both.
type Cluster struct {
	kafka    *kfake.Cluster
	registry *srfake.Registry
	srv      *http.Server
	url      string
	created  *topics
}

// Options configure Start.
type Options struct {
	// Brokers is the number of broker nodes (default 1).
	Brokers int
	// Partitions is the default partition count of auto-created topics (default 6).
	Partitions int
	// DataDir keeps the cluster's data on disk across restarts when set.
	DataDir string
	// RetentionBytes bounds what each partition of a deleted (not compacted) topic keeps: past
	// it, its oldest records go. 0: DefaultRetentionBytes; negative: no bound.
	RetentionBytes int64
	// RetentionTime bounds how long records of deleted topics are kept, by their timestamps as
	// Kafka's retention.ms does. 0: DefaultRetentionTime; negative: no bound. Compacted topics
	// (goka's tables) keep the last record of every key whatever its age or size.
	RetentionTime time.Duration
	// CleanInterval is how often retention and compaction run (DefaultCleanInterval when 0).
	CleanInterval time.Duration
}

// withDefaults fills in the zero values.
func (o Options) withDefaults() Options {
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.Partitions <= 0 {
		o.Partitions = 6
	}
	if o.RetentionBytes == 0 {
		o.RetentionBytes = DefaultRetentionBytes
	}
	if o.RetentionTime == 0 {
		o.RetentionTime = DefaultRetentionTime
	}
	if o.CleanInterval <= 0 {
		o.CleanInterval = DefaultCleanInterval
	}
	return o
}

// Start starts a cluster and a registry on random 127.0.0.1 ports.
func Start(o Options) (*Cluster, error) {
	o = o.withDefaults()
	ret := newRetention(o)
	opts := []kfake.Opt{
		kfake.NumBrokers(o.Brokers),
		kfake.DefaultNumPartitions(o.Partitions),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") }),
		// A short group session floor keeps rebalances after a crash within seconds.
		kfake.GroupMinSessionTimeout(time.Second),
		kfake.BrokerConfigs(ret.brokerConfigs(o.CleanInterval)),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	k, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: start kafka: %w", err)
	}
	created := &topics{}
	k.ControlKey(int16(kmsg.CreateTopics), boundNewTopics(ret, created))
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
	return &Cluster{kafka: k, registry: reg, srv: srv, url: "http://" + ln.Addr().String(), created: created}, nil
}

// Brokers are the bootstrap addresses.
func (c *Cluster) Brokers() []string { return c.kafka.ListenAddrs() }

// RegistryURL is the Schema Registry's base URL.
func (c *Cluster) RegistryURL() string { return c.url }

// Close stops the registry and the cluster.
func (c *Cluster) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.srv.Shutdown(ctx)
	c.kafka.Close()
	return err
}
