package embedded

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/holostream/holostream/kafka"
)

// TestTopicConfigs: what a new topic is created with, from what its creator asked and the
// cluster's retention.
func TestTopicConfigs(t *testing.T) {
	bounded := newRetention(Options{RetentionBytes: 32 << 20, RetentionTime: 2 * time.Minute})
	unbounded := newRetention(Options{RetentionBytes: -1, RetentionTime: -1})
	week := "604800000"
	cases := []struct {
		r    retention
		in   map[string]string
		want map[string]string
	}{
		// 0: a stream as goka and holostream create it: a week is cut to our two minutes.
		{bounded, map[string]string{"cleanup.policy": "delete", "retention.ms": week, "max.message.bytes": "8455168"},
			map[string]string{"cleanup.policy": "delete", "retention.ms": "120000", "retention.bytes": "33554432",
				"segment.bytes": "4194304", "max.message.bytes": "8455168"}},
		// 1: a table: compacted, never deleted by age or size.
		{bounded, map[string]string{"cleanup.policy": "compact"},
			map[string]string{"cleanup.policy": "compact", "retention.ms": "-1", "retention.bytes": "-1"}},
		// 2: a creator's tighter limits stay.
		{bounded, map[string]string{"retention.ms": "1000", "retention.bytes": "1024", "segment.bytes": "512"},
			map[string]string{"retention.ms": "1000", "retention.bytes": "1024", "segment.bytes": "512"}},
		// 3: no policy is delete; a creator's -1 (no limit) does not lift ours.
		{bounded, map[string]string{"retention.bytes": "-1"},
			map[string]string{"retention.ms": "120000", "retention.bytes": "33554432", "segment.bytes": "4194304"}},
		// 4: compact and delete: Kafka applies both, so do we.
		{bounded, map[string]string{"cleanup.policy": "compact,delete"},
			map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "120000", "retention.bytes": "33554432",
				"segment.bytes": "4194304"}},
		// 5: no bounds: the creator's week stays, nothing is added but what says so.
		{unbounded, map[string]string{"retention.ms": week},
			map[string]string{"retention.ms": week, "retention.bytes": "-1"}},
		// 6: a tiny retention still gets segments kfake can free.
		{newRetention(Options{RetentionBytes: 100 << 10, RetentionTime: time.Second}), nil,
			map[string]string{"retention.ms": "1000", "retention.bytes": "102400", "segment.bytes": "65536"}},
	}
	for i, tc := range cases {
		var in []kmsg.CreateTopicsRequestTopicConfig
		for k, v := range tc.in {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name, c.Value = k, kmsg.StringPtr(v)
			in = append(in, c)
		}
		got := map[string]string{}
		for _, c := range tc.r.topicConfigs(in) {
			got[c.Name] = *c.Value
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%d: configs %v, want %v", i, got, tc.want)
		}
	}
}

// testCluster starts a cluster with o and the clients holostream would use against it.
func testCluster(t *testing.T, o Options) (*Cluster, *kafka.Clients) {
	t.Helper()
	c, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	clients, err := kafka.New(kafka.Config{Brokers: c.Brokers(), ClientID: "retention-test", Partitions: max(o.Partitions, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c, clients
}

// produce writes n records of size random (incompressible) bytes to topic, keyed key(i), one
// batch each, and returns the offset of each.
func produce(t *testing.T, clients *kafka.Clients, topic string, n, size int, key func(int) string) []int64 {
	t.Helper()
	cfg := *clients.Sarama
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	p, err := sarama.NewSyncProducer(clients.Config.Brokers, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	offsets := make([]int64, n)
	for i := range n {
		v := make([]byte, size)
		rand.Read(v)
		_, off, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key(i)), Value: sarama.ByteEncoder(v)})
		if err != nil {
			t.Fatalf("record %d of %d: %v", i, n, err)
		}
		offsets[i] = off
	}
	return offsets
}

func usageOf(t *testing.T, c *Cluster, topic string) TopicUsage {
	t.Helper()
	for _, u := range c.Retained() {
		if u.Topic == topic {
			return u
		}
	}
	t.Fatalf("topic %s not in Retained: %+v", topic, c.Retained())
	return TopicUsage{}
}

// waitUsage polls topic's usage until done says so, for at most 20 s (the cleaner runs every
// CleanInterval), and returns the last one.
func waitUsage(t *testing.T, c *Cluster, topic string, done func(TopicUsage) bool) TopicUsage {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		u := usageOf(t, c, topic)
		if done(u) || time.Now().After(deadline) {
			return u
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRetentionBoundsMemory: a producer writes 64 MiB to a stream made as holostream makes
// them (retention.ms a week) on a cluster that keeps 1 MiB a partition: the cleaner, on its
// timer, brings every partition within the bound, and the process's heap keeps about the bound,
// not what was written.
func TestRetentionBoundsMemory(t *testing.T) {
	const (
		partitions = 2
		bound      = 1 << 20
		written    = 64 << 20
		recordSize = 64 << 10
	)
	c, clients := testCluster(t, Options{Partitions: partitions, RetentionBytes: bound, RetentionTime: -1,
		CleanInterval: 200 * time.Millisecond})
	if err := clients.EnsureStreams("frames"); err != nil {
		t.Fatal(err)
	}
	before := heapAlloc()
	produce(t, clients, "frames", written/recordSize, recordSize, strconv.Itoa)
	u := waitUsage(t, c, "frames", func(u TopicUsage) bool { return u.MaxPartitionBytes <= bound })
	grown := int64(heapAlloc()) - int64(before)
	t.Logf("wrote %d MiB; the topic keeps %d KiB (largest partition %d KiB), %d records, %d trimmed; heap grew %.1f MiB",
		written>>20, u.Bytes>>10, u.MaxPartitionBytes>>10, u.Records, u.Trimmed, float64(grown)/(1<<20))
	if u.MaxPartitionBytes > bound {
		t.Errorf("a partition keeps %d bytes, over the %d bound", u.MaxPartitionBytes, bound)
	}
	if u.Trimmed == 0 || u.Records+u.Trimmed != written/recordSize {
		t.Errorf("%d records kept and %d trimmed of %d written", u.Records, u.Trimmed, written/recordSize)
	}
	// Each partition: the bound, the segment being filled (which may have twice its size
	// allocated) and a record over; plus room for the clients' and runtime's own buffers.
	segment := newRetention(Options{RetentionBytes: bound}).segment
	limit := int64(partitions*(bound+2*segment+2*recordSize)) + 8<<20
	if grown > limit {
		t.Errorf("heap grew by %d MiB after writing %d MiB: want at most %d MiB, what the retention keeps", grown>>20, written>>20, limit>>20)
	}
}

// TestRetentionByTime: records older than RetentionTime go, whatever their size.
func TestRetentionByTime(t *testing.T) {
	c, clients := testCluster(t, Options{Partitions: 1, RetentionBytes: -1, RetentionTime: 500 * time.Millisecond,
		CleanInterval: 100 * time.Millisecond})
	if err := clients.EnsureStreams("keypoints"); err != nil {
		t.Fatal(err)
	}
	produce(t, clients, "keypoints", 20, 1000, func(int) string { return "camera-1" })
	u := waitUsage(t, c, "keypoints", func(u TopicUsage) bool { return u.Records == 0 })
	if u.Records != 0 || u.Bytes != 0 || u.Trimmed != 20 {
		t.Errorf("after the retention time: %+v, want nothing kept and 20 trimmed", u)
	}
}

// TestTablesKeepEveryKey: a goka table topic is compacted to the last record of each key, and
// neither age nor size removes those, however small the retention.
func TestTablesKeepEveryKey(t *testing.T) {
	const keys, versions = 8, 100
	c, clients := testCluster(t, Options{Partitions: 1, RetentionBytes: 64 << 10, RetentionTime: 200 * time.Millisecond,
		CleanInterval: time.Hour})
	if err := clients.EnsureTables("landmarks"); err != nil {
		t.Fatal(err)
	}
	table := string(goka.GroupTable("landmarks"))
	// 800 records of 2 KiB, 25 times the retention; then one more, alone in the last batch,
	// which compaction never touches (Kafka's active segment).
	offsets := produce(t, clients, table, keys*versions, 2<<10, func(i int) string { return fmt.Sprintf("camera-%d", i%keys) })
	produce(t, clients, table, 1, 10, func(int) string { return "last" })
	time.Sleep(300 * time.Millisecond) // every record older than RetentionTime
	c.Clean()

	got := readAll(t, clients, table)
	want := map[string]int64{"last": offsets[len(offsets)-1] + 1}
	for i := keys * (versions - 1); i < keys*versions; i++ {
		want[fmt.Sprintf("camera-%d", i%keys)] = offsets[i]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("table holds (key: offset) %v, want the last record of each key %v", got, want)
	}
	if u := usageOf(t, c, table); u.Trimmed == 0 {
		t.Errorf("compaction moved nothing: %+v", u)
	}
}

// readAll reads partition 0 of topic from its first offset to its end and returns the offset of
// each key's record; it fails on a key read twice.
func readAll(t *testing.T, clients *kafka.Clients, topic string) map[string]int64 {
	t.Helper()
	client, err := sarama.NewClient(clients.Config.Brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	end, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	start, err := client.GetOffset(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	if start == end {
		t.Fatalf("%s holds nothing: every record up to offset %d was removed", topic, end)
	}
	cons, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	pc, err := cons.ConsumePartition(topic, 0, sarama.OffsetOldest)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := map[string]int64{}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-pc.Messages():
			if prev, dup := got[string(m.Key)]; dup {
				t.Errorf("key %s at offsets %d and %d: compaction kept two", m.Key, prev, m.Offset)
			}
			got[string(m.Key)] = m.Offset
			if m.Offset == end-1 {
				return got
			}
		case err := <-pc.Errors():
			t.Fatal(err)
		case <-timeout:
			t.Fatalf("%s: %d keys read within 20 s, the end is offset %d", topic, len(got), end)
		}
	}
}

// TestTrimmedGroupResumesAtEarliest: a consumer group whose committed offset retention removed
// starts again at the earliest record kept, with holostream's consumer settings.
func TestTrimmedGroupResumesAtEarliest(t *testing.T) {
	c, clients := testCluster(t, Options{Partitions: 1, RetentionBytes: 256 << 10, RetentionTime: -1,
		CleanInterval: time.Hour})
	if err := clients.EnsureStreams("frames"); err != nil {
		t.Fatal(err)
	}
	key := func(int) string { return "camera-1" }
	produce(t, clients, "frames", 20, 16<<10, key)
	if first := consumeOne(t, clients, "frames", "processors", true); first != 0 {
		t.Fatalf("a new group started at offset %d, want 0", first)
	}
	// The group committed offset 1; 200 more records of 16 KiB, 12 times the retention.
	produce(t, clients, "frames", 200, 16<<10, key)
	c.Clean()
	u := usageOf(t, c, "frames")
	if u.Trimmed <= 1 {
		t.Fatalf("retention removed %d records: the committed offset is still there", u.Trimmed)
	}
	if first := consumeOne(t, clients, "frames", "processors", false); first != u.Trimmed {
		t.Errorf("after its committed offset 1 was removed the group started at offset %d, want the earliest kept, %d", first, u.Trimmed)
	}
}

// consumeOne joins group on topic, returns the offset of the first record it is given, and
// commits it when commit is set.
func consumeOne(t *testing.T, clients *kafka.Clients, topic, group string, commit bool) int64 {
	t.Helper()
	cfg := *clients.Sarama
	g, err := sarama.NewConsumerGroup(clients.Config.Brokers, group, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := &firstRecord{commit: commit, cancel: cancel, offset: -1}
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
			t.Fatalf("consume: %v", err)
		}
	}
	if h.offset < 0 {
		t.Fatalf("group %s read nothing from %s within 30 s", group, topic)
	}
	return h.offset
}

// firstRecord is a consumer group handler that keeps the first record's offset and stops.
type firstRecord struct {
	commit bool
	cancel context.CancelFunc
	offset int64
}

func (h *firstRecord) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *firstRecord) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *firstRecord) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		if h.offset < 0 {
			h.offset = m.Offset
			if h.commit {
				s.MarkMessage(m, "")
				s.Commit()
			}
			h.cancel()
		}
	}
	return nil
}
