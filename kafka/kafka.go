package kafka

import (
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// DefaultVersion is the Kafka protocol version spoken unless told otherwise: every broker from
// 3.6 on (Apache Kafka 3.x and 4.x, and the embedded cluster) accepts it.
const DefaultVersion = "3.6.0"

// Config is how to reach a cluster and how to write to it.
type Config struct {
	Brokers  []string
	ClientID string
	// Version is the Kafka protocol version (sarama's), e.g. "3.6.0" or "4.1.0".
	Version string
	// Partitions and Replication are used for topics holostream creates, and MinInsyncReplicas
	// (default: Replication-1, at least 1) is set on them: with acks=all, a write is acknowledged
	// only once that many replicas have it, so losing one broker loses no acknowledged frame.
	Partitions        int
	Replication       int
	MinInsyncReplicas int
	// Compression of produced batches: none, gzip, snappy, lz4 or zstd.
	Compression string
	// Linger is how long the producer waits to fill a batch: latency against throughput. Live
	// video wants it short; goka's default is 100 ms.
	Linger time.Duration
	// TLS and SASL secure the connections to the brokers; their zero values are plaintext
	// without authentication.
	TLS  TLS
	SASL SASL
	// Idempotent turns on sarama's idempotent producer. Off by default: when a partition's
	// leader moves (a broker dies), sarama's idempotent producer fails batches with "out of order
	// sequence number" instead of retrying them (IBM/sarama#1430), and a failed emit inside a
	// goka callback followed by a later record's commit loses the first record's output (seen in
	// the 3-node broker-kill test). Without it, retries are ordered (one request in flight per
	// broker) and may write a batch twice, which consumers already dedupe by (camera, seq).
	Idempotent bool
	// Partitioner places keyed records on partitions, for every producer, processor and view
	// (default Murmur2, as Kafka's Java producer does).
	Partitioner Partitioner
	// MaxImageBytes is the largest image a frame may carry (default DefaultMaxImageBytes). It
	// sizes everything else: the producers' MaxMessageBytes (MaxRecordBytes) and the
	// max.message.bytes of the topics holostream creates, so a frame the gateway or the
	// processors accept is one every topic on its way can take.
	MaxImageBytes int
	// OnWriteFailure, when set, makes the processors' producers tolerate permanent write
	// failures (see Permanent): each is reported here and the processor goes on. Emitters are
	// never tolerant: their callers (the gateway, produce) report the error to their client.
	OnWriteFailure func(WriteFailure)
	// Marks, when set, is told what the processors' consumer groups mark for commit.
	Marks MarkObserver
}

// Defaults fills the zero fields.
func (c Config) Defaults() Config {
	if c.ClientID == "" {
		c.ClientID = "holostream"
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Partitions == 0 {
		c.Partitions = 6
	}
	if c.Replication == 0 {
		c.Replication = 1
	}
	if c.MinInsyncReplicas == 0 {
		c.MinInsyncReplicas = max(1, c.Replication-1)
	}
	if c.Compression == "" {
		c.Compression = "lz4"
	}
	if c.Linger == 0 {
		c.Linger = 5 * time.Millisecond
	}
	if c.Partitioner == "" {
		c.Partitioner = Murmur2
	}
	if c.MaxImageBytes == 0 {
		c.MaxImageBytes = DefaultMaxImageBytes
	}
	return c
}

// Sarama builds the client configuration: the protocol version, TLS and SASL when set, a
// producer with acks=all (nothing acknowledged before the in-sync replicas have it) that retries
// for ~15 s in order (idempotent only when asked, see Config.Idempotent), and goka's consumer
// settings.
func (c Config) Sarama() (*sarama.Config, error) {
	c = c.Defaults()
	if len(c.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers: give --brokers host:port[,host:port]")
	}
	if err := c.validateLimits(); err != nil {
		return nil, err
	}
	v, err := sarama.ParseKafkaVersion(c.Version)
	if err != nil {
		return nil, fmt.Errorf("kafka: version %q: %w", c.Version, err)
	}
	comp, err := compression(c.Compression)
	if err != nil {
		return nil, err
	}
	tc, err := c.TLS.tlsConfig()
	if err != nil {
		return nil, err
	}
	sc := goka.DefaultConfig()
	sc.Version = v
	sc.ClientID = c.ClientID
	if tc != nil {
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	if err := c.SASL.apply(sc); err != nil {
		return nil, err
	}
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = c.Idempotent
	// One request in flight per broker: a retried batch cannot overtake the next one, so a
	// camera's frames and keypoint events stay in order (and sarama requires it for idempotence).
	sc.Net.MaxOpenRequests = 1
	// A new consumer group starts at the oldest record, not goka's default newest: frames written
	// before the first processor joined are taken up (and dropped as stale if too old) instead of
	// vanishing unaccounted for.
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Producer.Compression = comp
	sc.Producer.Flush.Frequency = c.Linger
	// Retry for ~15 s: long enough for a partition's leadership to move off a dead broker
	// (~9 s with Kafka's defaults), so a broker failure delays frames instead of failing them.
	sc.Producer.Retry.Max = 30
	sc.Producer.Retry.Backoff = 500 * time.Millisecond
	sc.Metadata.Retry.Max = 10
	sc.Metadata.Retry.Backoff = 500 * time.Millisecond
	// Frames can be large: up to MaxRecordBytes, which the topics holostream creates accept
	// (TopicMaxMessageBytes). sarama also closes a partition's batch before it passes this size.
	sc.Producer.MaxMessageBytes = c.MaxRecordBytes()
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return sc, nil
}

func compression(name string) (sarama.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none":
		return sarama.CompressionNone, nil
	case "gzip":
		return sarama.CompressionGZIP, nil
	case "snappy":
		return sarama.CompressionSnappy, nil
	case "lz4":
		return sarama.CompressionLZ4, nil
	case "zstd":
		return sarama.CompressionZSTD, nil
	}
	return 0, fmt.Errorf("kafka: compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// TopicManagerConfig is goka's topic manager configuration for this cluster: tables compacted,
// streams deleted after retention, the configured replication.
func (c Config) TopicManagerConfig() *goka.TopicManagerConfig {
	c = c.Defaults()
	tm := goka.NewTopicManagerConfig()
	tm.Table.Replication = c.Replication
	tm.Table.CleanupPolicy = "compact"
	tm.Stream.Replication = c.Replication
	tm.Stream.Retention = 7 * 24 * time.Hour
	tm.CreateTopicTimeout = 30 * time.Second
	return tm
}

// Clients bundles the built configurations.
type Clients struct {
	Config  Config
	Sarama  *sarama.Config
	TopicMC *goka.TopicManagerConfig
}

// Validate checks c with its defaults filled in; the errors name the flags that set each field.
func (c Config) Validate() error {
	c = c.Defaults()
	if len(c.Brokers) == 0 {
		return errors.New("--brokers: no broker given")
	}
	if c.Partitions < 1 || c.Replication < 1 {
		return errors.New("--partitions and --replication must be >= 1")
	}
	if c.MinInsyncReplicas > c.Replication {
		return fmt.Errorf("kafka: min.insync.replicas %d > replication %d: no write could ever be acknowledged", c.MinInsyncReplicas, c.Replication)
	}
	if _, err := ParsePartitioner(string(c.Partitioner)); err != nil {
		return fmt.Errorf("--partitioner: %w", err)
	}
	return nil
}

// New validates c and builds the client configurations.
func New(c Config) (*Clients, error) {
	c = c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.Partitioner, _ = ParsePartitioner(string(c.Partitioner))
	sc, err := c.Sarama()
	if err != nil {
		return nil, err
	}
	return &Clients{Config: c, Sarama: sc, TopicMC: c.TopicManagerConfig()}, nil
}

// fresh returns a copy of the sarama configuration. goka's *WithConfig builders write ClientID
// and the partitioner into the config they are given, every time they build a client: shared
// between processors that is a data race, so each client gets its own copy.
func (k *Clients) fresh() *sarama.Config {
	c := *k.Sarama
	return &c
}

func (k *Clients) producerBuilder() goka.ProducerBuilder {
	return func(brokers []string, clientID string, hasher func() hash.Hash32) (goka.Producer, error) {
		return goka.ProducerBuilderWithConfig(k.fresh())(brokers, clientID, hasher)
	}
}

// processorProducerBuilder is producerBuilder, made tolerant of permanent write failures when
// Config.OnWriteFailure is set.
func (k *Clients) processorProducerBuilder() goka.ProducerBuilder {
	build := k.producerBuilder()
	if k.Config.OnWriteFailure == nil {
		return build
	}
	return func(brokers []string, clientID string, hasher func() hash.Hash32) (goka.Producer, error) {
		p, err := build(brokers, clientID, hasher)
		if err != nil {
			return nil, err
		}
		return tolerantProducer{Producer: p, onFailure: k.Config.OnWriteFailure}, nil
	}
}

func (k *Clients) consumerGroupBuilder() goka.ConsumerGroupBuilder {
	return func(brokers []string, group, clientID string) (sarama.ConsumerGroup, error) {
		cg, err := goka.ConsumerGroupBuilderWithConfig(k.fresh())(brokers, group, clientID)
		if err != nil || k.Config.Marks == nil {
			return cg, err
		}
		return markingGroup{ConsumerGroup: cg, group: group, obs: k.Config.Marks}, nil
	}
}

func (k *Clients) consumerBuilder() goka.SaramaConsumerBuilder {
	return func(brokers []string, clientID string) (sarama.Consumer, error) {
		return goka.SaramaConsumerBuilderWithConfig(k.fresh())(brokers, clientID)
	}
}

func (k *Clients) topicManagerBuilder() goka.TopicManagerBuilder {
	return func(brokers []string) (goka.TopicManager, error) {
		tm, err := goka.TopicManagerBuilderWithConfig(k.fresh(), k.TopicMC)(brokers)
		if err != nil {
			return nil, err
		}
		return racingTopicManager{TopicManager: tm, wait: k.TopicMC.CreateTopicTimeout, poll: 100 * time.Millisecond}, nil
	}
}

// ProcessorOptions are the goka options that make a processor use these settings.
func (k *Clients) ProcessorOptions() []goka.ProcessorOption {
	return []goka.ProcessorOption{
		goka.WithConsumerGroupBuilder(k.consumerGroupBuilder()),
		goka.WithConsumerSaramaBuilder(k.consumerBuilder()),
		goka.WithProducerBuilder(k.processorProducerBuilder()),
		goka.WithTopicManagerBuilder(k.topicManagerBuilder()),
		goka.WithClientID(k.Config.ClientID),
		goka.WithHasher(k.Config.Partitioner.Hasher()),
	}
}

// ViewOptions are the goka options that make a view use these settings.
func (k *Clients) ViewOptions() []goka.ViewOption {
	return []goka.ViewOption{
		goka.WithViewConsumerSaramaBuilder(k.consumerBuilder()),
		goka.WithViewTopicManagerBuilder(k.topicManagerBuilder()),
		goka.WithViewClientID(k.Config.ClientID),
		goka.WithViewHasher(k.Config.Partitioner.Hasher()),
	}
}

// EmitterOptions are the goka options that make an emitter use these settings.
func (k *Clients) EmitterOptions() []goka.EmitterOption {
	return []goka.EmitterOption{
		goka.WithEmitterProducerBuilder(k.producerBuilder()),
		goka.WithEmitterTopicManagerBuilder(k.topicManagerBuilder()),
		goka.WithEmitterClientID(k.Config.ClientID),
		goka.WithEmitterHasher(k.Config.Partitioner.Hasher()),
	}
}

// EnsureStreams creates the stream topics that do not exist yet, with the configured partitions
// and replication. goka needs its input topics before a processor starts and never creates
// output topics.
func (k *Clients) EnsureStreams(topics ...goka.Stream) error {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = string(t)
	}
	return k.ensure(names, k.streamConfig())
}

// EnsureTables creates the group tables ("<group>-table") that do not exist yet, compacted, so
// views can open before the processors have written anything.
func (k *Clients) EnsureTables(groups ...goka.Group) error {
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = string(goka.GroupTable(g))
	}
	return k.ensure(names, k.tableConfig())
}

// streamConfig and tableConfig are the config of the streams and tables holostream creates.
func (k *Clients) streamConfig() map[string]string {
	return k.topicConfig(map[string]string{
		"cleanup.policy": "delete",
		"retention.ms":   fmt.Sprint(k.TopicMC.Stream.Retention.Milliseconds()),
	})
}

func (k *Clients) tableConfig() map[string]string {
	return k.topicConfig(map[string]string{"cleanup.policy": "compact"})
}

// topicConfig adds min.insync.replicas and the size limit to config.
func (k *Clients) topicConfig(config map[string]string) map[string]string {
	config["min.insync.replicas"] = fmt.Sprint(k.Config.MinInsyncReplicas)
	for name, v := range k.Config.topicLimitConfig() {
		config[name] = v
	}
	return config
}

// ensure creates the topics that do not exist yet with the configured partitions, replication and
// config; existing topics are left as they are (goka checks their partitions).
func (k *Clients) ensure(topics []string, config map[string]string) error {
	tm, err := k.topicManagerBuilder()(k.Config.Brokers)
	if err != nil {
		return k.ConnectError(err)
	}
	defer tm.Close()
	for _, t := range topics {
		err := tm.EnsureTopicExists(t, k.Config.Partitions, k.Config.Replication, config)
		// Instances starting together race to create the same topics: losing the race is fine.
		if err != nil && !strings.Contains(err.Error(), sarama.ErrTopicAlreadyExists.Error()) {
			return k.ensureError(t, err)
		}
	}
	return nil
}

// ensureError says what failed making sure topic exists. A topic this principal may not describe
// is missing from the metadata it gets, exists or not, and the create that follows is refused
// unless it may create it: it is not told to grant Create for a topic that exists.
func (k *Clients) ensureError(topic string, err error) error {
	if Denied(err) == "TOPIC_AUTHORIZATION_FAILED" {
		return fmt.Errorf("kafka: topic %s: principal %s may neither see it (no Describe, which Read and Write imply) nor create it (no Create): "+
			"if the topic exists, grant the principal what the command does with it (Read, Write: each implies Describe); "+
			"if not, grant Create or have an admin create it: %w", topic, k.Config.Principal(), err)
	}
	return fmt.Errorf("kafka: create topic %s: %w", topic, err)
}
