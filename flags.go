package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
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
	minInsync   int
	compression string
	linger      time.Duration
	idempotent  bool
	partitioner string
	tls         kafka.TLS
	sasl        kafka.SASL
	// saslPasswordFile holds the SASL password; the password itself never comes from a flag,
	// which any user could read in ps, only from this file or HOLOSTREAM_SASL_PASSWORD.
	saslPasswordFile string
	// maxImageBytes sizes the records (kafka.Config.MaxImageBytes); the commands that have a
	// --max-image-bytes flag set it, the others keep the default.
	maxImageBytes int
	// envErr is the first malformed environment default (a boolean that is not one), reported
	// when the flags are validated.
	envErr error
}

// register registers every cluster flag: the connection's and the producer's and topics'.
func (c *clusterFlags) register(fs *flag.FlagSet) {
	c.registerConnection(fs)
	c.registerWriting(fs)
}

// registerConnection registers what every command needs to reach the cluster and read it: the
// commands that only read (consume, state) show no producer or topic-creation flags, and keep
// their defaults.
func (c *clusterFlags) registerConnection(fs *flag.FlagSet) {
	c.partitions, c.replication, c.compression, c.linger = 6, 1, "lz4", 5*time.Millisecond
	fs.StringVar(&c.brokers, "brokers", env("HOLOSTREAM_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, comma-separated ($HOLOSTREAM_BROKERS)")
	fs.StringVar(&c.registry, "schema-registry", env("HOLOSTREAM_SCHEMA_REGISTRY", ""), "Schema Registry URL; empty: Avro single-object encoding without a registry ($HOLOSTREAM_SCHEMA_REGISTRY)")
	fs.StringVar(&c.prefix, "prefix", env("HOLOSTREAM_PREFIX", ""), "prefix of every topic and group name ($HOLOSTREAM_PREFIX)")
	fs.StringVar(&c.version, "kafka-version", env("HOLOSTREAM_KAFKA_VERSION", kafka.DefaultVersion), "Kafka protocol version to speak ($HOLOSTREAM_KAFKA_VERSION)")
	fs.StringVar(&c.partitioner, "partitioner", env("HOLOSTREAM_PARTITIONER", string(kafka.Murmur2)), "how keys pick partitions: murmur2 (Kafka's Java producer's default) or fnv1a (goka's, for tables written by holostream before murmur2: see the README) ($HOLOSTREAM_PARTITIONER)")
	fs.BoolVar(&c.tls.Enabled, "tls", c.envBool("HOLOSTREAM_TLS"), "connect to the brokers over TLS ($HOLOSTREAM_TLS)")
	fs.StringVar(&c.tls.CAFile, "tls-ca", env("HOLOSTREAM_TLS_CA", ""), "PEM file of the CA certificates that sign the brokers' certificates; empty: the system's ($HOLOSTREAM_TLS_CA)")
	fs.StringVar(&c.tls.CertFile, "tls-cert", env("HOLOSTREAM_TLS_CERT", ""), "PEM client certificate, for brokers that require mutual TLS ($HOLOSTREAM_TLS_CERT)")
	fs.StringVar(&c.tls.KeyFile, "tls-key", env("HOLOSTREAM_TLS_KEY", ""), "PEM key of --tls-cert ($HOLOSTREAM_TLS_KEY)")
	fs.StringVar(&c.tls.ServerName, "tls-server-name", env("HOLOSTREAM_TLS_SERVER_NAME", ""), "name the brokers' certificates must carry; empty: each broker's host ($HOLOSTREAM_TLS_SERVER_NAME)")
	fs.BoolVar(&c.tls.InsecureSkipVerify, "tls-insecure-skip-verify", c.envBool("HOLOSTREAM_TLS_INSECURE_SKIP_VERIFY"), "accept any broker certificate: no protection against impostors, tests only ($HOLOSTREAM_TLS_INSECURE_SKIP_VERIFY)")
	fs.StringVar(&c.sasl.Mechanism, "sasl-mechanism", env("HOLOSTREAM_SASL_MECHANISM", ""), "SASL mechanism: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN; empty: no SASL ($HOLOSTREAM_SASL_MECHANISM)")
	fs.StringVar(&c.sasl.User, "sasl-user", env("HOLOSTREAM_SASL_USER", ""), "SASL user ($HOLOSTREAM_SASL_USER); the password: $HOLOSTREAM_SASL_PASSWORD or --sasl-password-file")
	fs.StringVar(&c.saslPasswordFile, "sasl-password-file", env("HOLOSTREAM_SASL_PASSWORD_FILE", ""), "file holding the SASL password (one line); overrides $HOLOSTREAM_SASL_PASSWORD ($HOLOSTREAM_SASL_PASSWORD_FILE)")
}

// registerWriting registers the producer's and topic creation's flags, for the commands that
// write or create topics.
func (c *clusterFlags) registerWriting(fs *flag.FlagSet) {
	fs.IntVar(&c.partitions, "partitions", 6, "partitions of the topics holostream creates")
	fs.IntVar(&c.replication, "replication", 1, "replication factor of the topics holostream creates")
	fs.IntVar(&c.minInsync, "min-insync-replicas", 0, "min.insync.replicas of the topics holostream creates (0: replication-1, at least 1)")
	fs.StringVar(&c.compression, "compression", "lz4", "compression of produced batches: none, gzip, snappy, lz4, zstd")
	fs.DurationVar(&c.linger, "linger", 5*time.Millisecond, "how long the producer waits to fill a batch (latency against throughput)")
	fs.BoolVar(&c.idempotent, "idempotent", c.envBool("HOLOSTREAM_IDEMPOTENT"), "use sarama's idempotent producer (off: it fails batches when a partition leader moves, IBM/sarama#1430; retries without it may duplicate, which consumers dedupe by camera and seq) ($HOLOSTREAM_IDEMPOTENT)")
}

// saslPassword reads the SASL password from --sasl-password-file, else HOLOSTREAM_SASL_PASSWORD.
func (c *clusterFlags) saslPassword() (string, error) {
	if c.saslPasswordFile == "" {
		return os.Getenv("HOLOSTREAM_SASL_PASSWORD"), nil
	}
	b, err := os.ReadFile(c.saslPasswordFile)
	if err != nil {
		return "", fmt.Errorf("--sasl-password-file: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if p == "" {
		return "", fmt.Errorf("--sasl-password-file %s: empty", c.saslPasswordFile)
	}
	return p, nil
}

// kafka is the cluster configuration the flags describe, validated.
func (c *clusterFlags) kafka(clientID string) (kafka.Config, error) {
	if c.envErr != nil {
		return kafka.Config{}, c.envErr
	}
	var brokers []string
	for _, b := range strings.Split(c.brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	// 0 is a Config's "default", but typed as a flag it is a mistake.
	if c.partitions < 1 || c.replication < 1 {
		return kafka.Config{}, fmt.Errorf("--partitions and --replication must be >= 1")
	}
	sasl := c.sasl
	var err error
	if sasl.Password, err = c.saslPassword(); err != nil {
		return kafka.Config{}, err
	}
	kc := kafka.Config{Brokers: brokers, ClientID: clientID, Version: c.version,
		Partitions: c.partitions, Replication: c.replication, MinInsyncReplicas: c.minInsync, Compression: c.compression, Linger: c.linger, Idempotent: c.idempotent,
		TLS: c.tls, SASL: sasl, Partitioner: kafka.Partitioner(c.partitioner), MaxImageBytes: c.maxImageBytes}.Defaults()
	if err := kc.Validate(); err != nil {
		return kafka.Config{}, err
	}
	return kc, nil
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

// envBool is a boolean environment variable (strconv.ParseBool's spellings; unset or empty is
// false). A malformed one is remembered in c.envErr.
func (c *clusterFlags) envBool(name string) bool {
	v := os.Getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil && c.envErr == nil {
		c.envErr = fmt.Errorf("$%s=%q: want true or false", name, v)
	}
	return b
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

// newLogger is the process's structured logger: logfmt-style text, or JSON lines with
// HOLOSTREAM_LOG_FORMAT=json (for log shippers); HOLOSTREAM_LOG_LEVEL=debug shows more.
func newLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{}
	if strings.EqualFold(os.Getenv("HOLOSTREAM_LOG_LEVEL"), "debug") {
		opts.Level = slog.LevelDebug
	}
	if strings.EqualFold(os.Getenv("HOLOSTREAM_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseArgs parses args with flags anywhere among the positional arguments, as most command
// lines allow: flag.FlagSet.Parse stops at the first positional argument, so `state camera-1
// --brokers h:9092` would take --brokers for a camera id and connect to the default broker. A
// "--" ends the flags: what follows it is positional even when it starts with "-". It returns the
// positional arguments in order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// parseFlags parses a command that takes flags only: a stray argument is an error that says so,
// rather than being ignored with every flag after it.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		err := fmt.Errorf("holostream %s takes no arguments, only flags: %q is not one (flags start with -)", fs.Name(), pos[0])
		fmt.Fprintln(fs.Output(), err)
		return err
	}
	return nil
}
