package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/holostream/holostream/kafka"
)

// clusterFlags are the flags every command that talks to Kafka shares. Each has an environment
// variable that sets its default, for containers: HOLOSTREAM_BROKERS and so on.
type clusterFlags struct {
	brokers     string
	registry    string
	prefix      string
	version     string
	partitions  int
	replication int
	compression string
	linger      time.Duration
}

func (c *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.brokers, "brokers", env("HOLOSTREAM_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, comma-separated ($HOLOSTREAM_BROKERS)")
	fs.StringVar(&c.registry, "schema-registry", env("HOLOSTREAM_SCHEMA_REGISTRY", ""), "Schema Registry URL; empty: Avro single-object encoding without a registry ($HOLOSTREAM_SCHEMA_REGISTRY)")
	fs.StringVar(&c.prefix, "prefix", env("HOLOSTREAM_PREFIX", ""), "prefix of every topic and group name ($HOLOSTREAM_PREFIX)")
	fs.StringVar(&c.version, "kafka-version", env("HOLOSTREAM_KAFKA_VERSION", kafka.DefaultVersion), "Kafka protocol version to speak ($HOLOSTREAM_KAFKA_VERSION)")
	fs.IntVar(&c.partitions, "partitions", 6, "partitions of the topics holostream creates")
	fs.IntVar(&c.replication, "replication", 1, "replication factor of the topics holostream creates")
	fs.StringVar(&c.compression, "compression", "lz4", "compression of produced batches: none, gzip, snappy, lz4, zstd")
	fs.DurationVar(&c.linger, "linger", 5*time.Millisecond, "how long the producer waits to fill a batch (latency against throughput)")
}

func (c *clusterFlags) kafka(clientID string) (kafka.Config, error) {
	var brokers []string
	for _, b := range strings.Split(c.brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return kafka.Config{}, fmt.Errorf("--brokers: no broker given")
	}
	if c.partitions < 1 || c.replication < 1 {
		return kafka.Config{}, fmt.Errorf("--partitions and --replication must be >= 1")
	}
	return kafka.Config{Brokers: brokers, ClientID: clientID, Version: c.version,
		Partitions: c.partitions, Replication: c.replication, Compression: c.compression, Linger: c.linger}.Defaults(), nil
}

// clients validates the flags and builds the Kafka client configuration.
func (c *clusterFlags) clients(clientID string) (*kafka.Clients, error) {
	kc, err := c.kafka(clientID)
	if err != nil {
		return nil, err
	}
	return kafka.New(kc)
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// parseFlags parses args and reports -h as a clean exit.
func newFlagSet(name, usage string, stderr interface{ Write([]byte) (int, error) }) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: holostream %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}
