package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/holostream/holostream/gateway"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
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

// processorFlags are the settings of the processors, shared by run, demo and loadtest.
type processorFlags struct {
	model         string
	modelDir      string
	workers       int
	threads       int
	maxAge        time.Duration
	maxImageBytes int
	maxMegapixels float64
	maxClockSkew  time.Duration
	maxSeqJump    int64
	window, grace time.Duration
	stateDir      string
	people        peopleFlags
}

func (p *processorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.model, "model", string(model.PoseFull), fmt.Sprintf("landmark pipeline: one of %v", model.Kinds()))
	fs.StringVar(&p.modelDir, "models", "", "directory of the .tflite models (default $HOLOSTREAM_MODELS or .deps/models)")
	fs.IntVar(&p.workers, "workers", model.CPUs(), "frames inferred at once, one interpreter set each (default: the CPUs this process may use, affinity and cgroup quota counted; 0 too)")
	fs.IntVar(&p.threads, "threads", 1, "threads per TFLite interpreter")
	fs.DurationVar(&p.maxAge, "max-age", 10*time.Second, "drop frames captured longer ago than this as stale (0: never)")
	fs.IntVar(&p.maxImageBytes, "max-image-bytes", kafka.DefaultMaxImageBytes, "dead-letter frames whose image is larger than this; the producers' record limit and the max.message.bytes of the topics holostream creates follow it (this + 65 KiB)")
	fs.Float64Var(&p.maxMegapixels, "max-megapixels", pixels.DefaultMaxMegapixels, "dead-letter images whose header declares more megapixels")
	fs.DurationVar(&p.maxClockSkew, "max-clock-skew", schemas.DefaultMaxClockSkew, "dead-letter (BAD_TIME) frames captured further than this ahead of this machine's clock")
	fs.Int64Var(&p.maxSeqJump, "max-seq-jump", landmarks.DefaultMaxSeqJump, "dead-letter (BAD_SEQ) frames whose seq is further than this ahead of their camera's last")
	fs.DurationVar(&p.window, "window", 10*time.Second, "event-time window of pose-stats")
	fs.DurationVar(&p.grace, "grace", 2*time.Second, "how long after a window's end late events are still counted in it")
	p.people.register(fs, "follow up to `N` people per camera (1..%d): above 1 each keypoint event carries them all in \"people\" with track ids kept in the camera's table (MediaPipe Tasks' PoseLandmarker, no smoothing); 1: one person, MediaPipe's legacy Pose/Holistic")
	fs.StringVar(&p.stateDir, "state-dir", "", "keep local copies of the tables here (LevelDB) for fast restarts; empty: in memory, rebuilt from Kafka at start")
}

// config is the processors' configuration the flags describe, for topo, without its
// landmarker; validated, so that a mistake is reported before a model is opened.
func (p *processorFlags) config(topo stream.Topology, log *slog.Logger, gokaLevel slog.Level) (stream.Config, error) {
	cfg := stream.Config{Topology: topo, MaxAge: p.maxAge, MaxImageBytes: p.maxImageBytes,
		MaxMegapixels: p.maxMegapixels, MaxClockSkew: p.maxClockSkew, MaxSeqJump: p.maxSeqJump,
		Window: p.window, Grace: p.grace, StateDir: p.stateDir, Log: log, GokaLevel: gokaLevel}
	if _, err := model.ParseKind(p.model); err != nil {
		return cfg, fmt.Errorf("--model: %w", err)
	}
	if err := p.people.check(); err != nil {
		return cfg, err
	}
	if p.workers < 0 {
		return cfg, fmt.Errorf("--workers %d: must be >= 0 (0: the CPUs this process may use, %d here)", p.workers, model.CPUs())
	}
	return cfg, cfg.Validate()
}

// open opens the landmarker the flags describe.
func (p *processorFlags) open() (*model.Landmarker, error) {
	kind, err := model.ParseKind(p.model)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	workers := p.workers
	if workers == 0 {
		workers = model.CPUs()
	}
	opts := append(p.people.options(), model.WithModelDir(p.modelDir), model.WithWorkers(workers), model.WithThreads(p.threads))
	return model.Open(kind, opts...)
}

// gatewayFlags are the HTTP gateway's settings, shared by serve and demo.
type gatewayFlags struct {
	addr         string
	tokenFile    string
	rateLimit    float64
	maxBody      int64
	inferWorkers int
	inferQueue   int
	inferTimeout time.Duration
	inferMemory  int64
	refusalDelay time.Duration
	// maxImageBytes bounds POST /v1/frames' images: serve's --max-image-bytes, demo's processors'.
	maxImageBytes int
	// maxMegapixels bounds the images of /v1/infer and /v1/frames: serve's --max-megapixels,
	// demo's processors'.
	maxMegapixels float64
	// The event streams' limits: in all, per client, per camera, waiting for unknown cameras.
	maxStreams, maxStreamsPerClient, maxStreamsPerCamera, maxWaitingStreams int
}

func (g *gatewayFlags) register(fs *flag.FlagSet, addrFlag, defaultAddr string) {
	fs.StringVar(&g.addr, addrFlag, env("HOLOSTREAM_HTTP_ADDR", defaultAddr), "serve the HTTP API and the web UI here; empty: off ($HOLOSTREAM_HTTP_ADDR)")
	fs.StringVar(&g.tokenFile, "token-file", env("HOLOSTREAM_TOKEN_FILE", ""), "file holding the bearer token that /v1/ requires; or $HOLOSTREAM_TOKEN; neither: no auth")
	fs.Float64Var(&g.rateLimit, "rate-limit", 0, "requests per second each client may send to /v1/ (bursts of twice that); 0: no limit")
	fs.Int64Var(&g.maxBody, "max-body-bytes", 16<<20, "largest request body (413 above)")
	fs.IntVar(&g.maxStreams, "max-streams", 256, "event streams (GET /v1/cameras/{id}/events) open at once, in all (503 above)")
	fs.IntVar(&g.maxStreamsPerClient, "max-streams-per-client", 16, "event streams one client address (IPv6: its /64) may hold open (429 above); behind a proxy every client is the proxy's address")
	fs.IntVar(&g.maxStreamsPerCamera, "max-streams-per-camera", 64, "event streams open for one camera (503 above)")
	fs.IntVar(&g.maxWaitingStreams, "max-waiting-streams", 32, "event streams open, in all, for cameras with no frame seen yet (503 above): made-up camera ids take no more")
	fs.IntVar(&g.inferWorkers, "infer-workers", 0, fmt.Sprintf("images POST /v1/infer decodes and infers at once (0: the CPUs this process may use, %d here)", model.CPUs()))
	fs.IntVar(&g.inferQueue, "infer-queue", 0, fmt.Sprintf("most POST /v1/infer requests waiting for a worker (0: %d; the wait bound of --infer-timeout binds first)", gateway.DefaultInferQueue))
	fs.DurationVar(&g.inferTimeout, "infer-timeout", 10*time.Second, "POST /v1/infer's latency budget: a request whose expected answer (requests ahead / workers x measured time each) is later gets 503 at once, one not answered within it 504")
	fs.DurationVar(&g.refusalDelay, "infer-refusal-delay", time.Second, "hold a POST /v1/infer 503 this long (at most its Retry-After) before sending it, so clients that ignore Retry-After do not come back at once; 0: send at once")
	fs.Int64Var(&g.inferMemory, "infer-memory-bytes", gateway.DefaultInferMemory, "memory the POST /v1/infer requests admitted may hold together (bodies and decoded pixels, from each image's header); 503 past it, 413 for an image that alone needs more")
}

// token reads the bearer token from --token-file, else $HOLOSTREAM_TOKEN; never from a flag,
// which any user could read in ps.
func (g *gatewayFlags) token() (string, error) {
	if g.tokenFile == "" {
		return os.Getenv("HOLOSTREAM_TOKEN"), nil
	}
	b, err := os.ReadFile(g.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("--token-file %s: empty", g.tokenFile)
	}
	return t, nil
}

func (g *gatewayFlags) config(log *slog.Logger) (gateway.Config, error) {
	tok, err := g.token()
	if err != nil {
		return gateway.Config{}, err
	}
	// Typed as a flag, 0 is a mistake for these (a Config's 0 means its default).
	if g.maxBody < 1 || g.inferTimeout <= 0 || g.inferMemory <= 0 {
		return gateway.Config{}, errors.New("--max-body-bytes, --infer-timeout and --infer-memory-bytes must be > 0")
	}
	cfg := gateway.Config{Log: log, Version: version, Token: tok, RateLimit: g.rateLimit, MaxBodyBytes: g.maxBody,
		MaxMegapixels: g.maxMegapixels, MaxSubscribers: g.maxStreams, MaxSubscribersPerClient: g.maxStreamsPerClient,
		MaxSubscribersPerCamera: g.maxStreamsPerCamera, MaxWaitingSubscribers: g.maxWaitingStreams,
		InferWorkers: g.workers(), InferQueue: g.inferQueue, InferTimeout: g.inferTimeout, InferMemory: g.inferMemory,
		InferRefusalDelay: refusalDelay(g.refusalDelay),
		MaxImageBytes:     g.maxImageBytes}
	if g.inferWorkers < 0 || g.inferQueue < 0 {
		return gateway.Config{}, errors.New("--infer-workers and --infer-queue must be >= 0")
	}
	return cfg, cfg.Validate()
}

// refusalDelay maps --infer-refusal-delay 0 ("send at once") to the gateway's "none".
func refusalDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// workers is --infer-workers, 0 resolved to the CPUs this process may use: the model and the
// gateway's pool get the same number.
func (g *gatewayFlags) workers() int {
	if g.inferWorkers > 0 {
		return g.inferWorkers
	}
	return model.CPUs()
}

// usageExit maps a flag parse error to an exit status: 0 for -h, 2 otherwise (the flag package
// has already printed what was wrong).
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// peopleFlags are --max-people and --person-detector (infer, serve, run, demo, loadtest).
type peopleFlags struct {
	maxPeople int
	detector  string
}

// register defines both flags; maxPeopleUsage is --max-people's help, with a %d for the bound.
func (p *peopleFlags) register(fs *flag.FlagSet, maxPeopleUsage string) {
	fs.IntVar(&p.maxPeople, "max-people", 1, fmt.Sprintf(maxPeopleUsage, model.MaxPeople))
	fs.StringVar(&p.detector, "person-detector", string(model.PoseDetector), "how people are found: pose (MediaPipe's BlazePose detector, made for people near the camera) or ssd "+
		"(an SSD person detector on the whole frame, MediaPipe Objectron's; finds people from about 30 px tall, for cameras that see a street, a shop or a gym floor; one more model per worker)")
}

// check checks both before a model is opened.
func (p peopleFlags) check() error {
	if p.maxPeople < 1 || p.maxPeople > model.MaxPeople {
		return fmt.Errorf("--max-people %d: must be in 1..%d", p.maxPeople, model.MaxPeople)
	}
	if _, err := model.ParsePersonDetector(p.detector); err != nil {
		return fmt.Errorf("--person-detector: %w", err)
	}
	return nil
}

// options are the model options of checked flags.
func (p peopleFlags) options() []model.Option {
	return []model.Option{model.WithMaxPeople(p.maxPeople), model.WithPersonDetector(model.PersonDetector(p.detector))}
}
