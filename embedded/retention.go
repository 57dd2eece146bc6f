package embedded

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake keeps every record in memory (in segment "files" of an in-memory file system) until
// its retention removes them, and enforces retention.ms, retention.bytes and compaction only
// when its cleaner runs: every log.cleaner.backoff.ms (an hour by default). Its defaults are
// Kafka's: a week and no byte limit, so a demo left running grows by everything it writes.
// The cluster bounds memory here, with kfake's own machinery:
//
//   - every topic created through a CreateTopics request gets its retention from Options
//     (a creator's own, longer retention.ms is cut to ours: goka and holostream ask for a week),
//     and segments small enough that trimming frees memory: kfake frees a segment only once
//     every batch in it is gone;
//   - a compacted topic (a goka table) gets retention.ms and retention.bytes -1: Kafka never
//     deletes from a compact-only topic by age or size, but kfake would, and a table must keep
//     the last record of every key however old;
//   - the cleaner runs every CleanInterval instead of every hour.

// Defaults of Options.
const (
	// DefaultRetentionBytes is what a partition of a deleted topic keeps at most: about
	// 650 frames of the demo's footage, a minute of one camera at 10 fps.
	DefaultRetentionBytes = 32 << 20
	// DefaultRetentionTime is how long records of deleted topics are kept at most.
	DefaultRetentionTime = 2 * time.Minute
	// DefaultCleanInterval is how often retention and compaction run.
	DefaultCleanInterval = 10 * time.Second
)

// Segment sizes: a partition holds at most its retention plus one segment being filled (and a
// batch over it), so segments are a fraction of the retention, within these bounds.
const (
	minSegmentBytes      = 64 << 10
	maxSegmentBytes      = 16 << 20
	segmentsPerRetention = 8
)

// retention is the policy of Options, applied to every topic created.
type retention struct {
	bytes int64 // per partition; < 0 unbounded
	ms    int64 // < 0 unbounded
	// segment is the segment.bytes of deleted topics; 0 leaves kfake's (100 MiB).
	segment int64
}

func newRetention(o Options) retention {
	r := retention{bytes: o.RetentionBytes, ms: o.RetentionTime.Milliseconds()}
	if o.RetentionTime < 0 {
		r.ms = -1
	}
	if r.bytes > 0 {
		r.segment = min(max(r.bytes/segmentsPerRetention, minSegmentBytes), maxSegmentBytes)
	}
	return r
}

// brokerConfigs are the cluster-wide defaults: they cover topics made without a CreateTopics
// request (kfake's CreateTopic, SeedTopics).
func (r retention) brokerConfigs(clean time.Duration) map[string]string {
	cfg := map[string]string{
		"log.cleaner.backoff.ms": strconv.FormatInt(max(clean.Milliseconds(), 1), 10),
		"log.retention.bytes":    strconv.FormatInt(r.bytes, 10),
		"log.retention.ms":       strconv.FormatInt(r.ms, 10),
	}
	if r.segment > 0 {
		cfg["log.segment.bytes"] = strconv.FormatInt(r.segment, 10)
	}
	return cfg
}

// topicConfigs returns the configs a new topic is created with: the creator's, with retention
// bounded by r (deleted topics) or turned off (compacted topics).
func (r retention) topicConfigs(in []kmsg.CreateTopicsRequestTopicConfig) []kmsg.CreateTopicsRequestTopicConfig {
	cfg := map[string]string{}
	var order []string
	for _, c := range in {
		if c.Value == nil {
			continue // "the default": ours is set below where it matters
		}
		if _, seen := cfg[c.Name]; !seen {
			order = append(order, c.Name)
		}
		cfg[c.Name] = *c.Value
	}
	set := func(name string, v int64) {
		if _, seen := cfg[name]; !seen {
			order = append(order, name)
		}
		cfg[name] = strconv.FormatInt(v, 10)
	}
	policy := cfg["cleanup.policy"]
	if strings.Contains(policy, "compact") && !strings.Contains(policy, "delete") {
		set("retention.ms", -1)
		set("retention.bytes", -1)
	} else {
		set("retention.ms", tighter(r.ms, cfg["retention.ms"]))
		set("retention.bytes", tighter(r.bytes, cfg["retention.bytes"]))
		if r.segment > 0 {
			set("segment.bytes", tighter(r.segment, cfg["segment.bytes"]))
		}
	}
	out := make([]kmsg.CreateTopicsRequestTopicConfig, 0, len(order))
	for _, name := range order {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = name, kmsg.StringPtr(cfg[name])
		out = append(out, c)
	}
	return out
}

// tighter is the smaller of two limits where a negative one is no limit; asked is the creator's
// value as text ("" or unparsable: none).
func tighter(ours int64, asked string) int64 {
	theirs, err := strconv.ParseInt(asked, 10, 64)
	switch {
	case err != nil || theirs < 0:
		return ours
	case ours < 0:
		return theirs
	}
	return min(ours, theirs)
}

// topics are the names of the topics created through CreateTopics requests, for Retained.
type topics struct {
	mu    sync.Mutex
	names map[string]struct{}
}

func (t *topics) add(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.names == nil {
		t.names = map[string]struct{}{}
	}
	t.names[name] = struct{}{}
}

func (t *topics) list() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.names))
	for n := range t.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// boundNewTopics is a kfake control on CreateTopics: it rewrites each topic's configs (see
// topicConfigs) and lets kfake create it as asked otherwise.
func boundNewTopics(r retention, seen *topics) func(kmsg.Request) (kmsg.Response, error, bool) {
	return func(req kmsg.Request) (kmsg.Response, error, bool) {
		ct, ok := req.(*kmsg.CreateTopicsRequest)
		if !ok {
			return nil, nil, false
		}
		for i := range ct.Topics {
			ct.Topics[i].Configs = r.topicConfigs(ct.Topics[i].Configs)
			seen.add(ct.Topics[i].Topic)
		}
		return nil, nil, false // not handled: kfake creates the topics
	}
}

// TopicUsage is what one topic holds now.
type TopicUsage struct {
	Topic string
	// Bytes is the size of the record batches the topic's partitions hold.
	Bytes int64
	// MaxPartitionBytes is the largest of its partitions.
	MaxPartitionBytes int64
	// Records is the count of offsets still held (high watermark less log start offset, over
	// the partitions; compaction leaves gaps, so it is an upper bound for a compacted topic).
	Records int64
	// Trimmed is how many offsets retention or compaction removed from the start of the
	// partitions.
	Trimmed int64
}

// Retained reports, for each topic created through a CreateTopics request, what it holds now.
func (c *Cluster) Retained() []TopicUsage {
	var out []TopicUsage
	for _, name := range c.created.list() {
		parts := c.kafka.PartitionInfos(name)
		if parts == nil {
			continue // the creation failed, or the topic was deleted since
		}
		out = append(out, usage(name, parts))
	}
	return out
}

func usage(topic string, parts []*kfake.PartitionInfo) TopicUsage {
	u := TopicUsage{Topic: topic}
	for _, p := range parts {
		u.Bytes += p.NumBytes
		u.MaxPartitionBytes = max(u.MaxPartitionBytes, p.NumBytes)
		u.Records += p.HighWatermark - p.LogStartOffset
		u.Trimmed += p.LogStartOffset
	}
	return u
}

// Clean runs retention and compaction on every topic now, as the cluster does every
// Options.CleanInterval.
func (c *Cluster) Clean() { c.kafka.Compact() }
