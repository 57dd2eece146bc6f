package kafka

import (
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/lovoo/goka"
)

// Partitioner names how a record's key picks its partition. Every writer of a keyed topic that a
// goka group reads must agree with the group on it: the group reads partition p of its inputs
// together with partition p of its table, so a camera's frames, its state and its keypoint events
// have to land on the same partition number whoever wrote them.
type Partitioner string

const (
	// Murmur2 is Apache Kafka's Java producer's default for keyed records (and Kafka Streams',
	// and most clients' "murmur2_random" or "murmur2" setting):
	// toPositive(murmur2(key)) % partitions. The default.
	Murmur2 Partitioner = "murmur2"
	// FNV1a is what goka and sarama do by default: |int32(fnv1a(key)) % partitions|. Only for
	// deployments whose tables were written with it (see the README's migration notes).
	FNV1a Partitioner = "fnv1a"
)

// ParsePartitioner reads a --partitioner value; empty is Murmur2.
func ParsePartitioner(s string) (Partitioner, error) {
	switch p := Partitioner(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return Murmur2, nil
	case Murmur2, FNV1a:
		return p, nil
	}
	return "", fmt.Errorf("kafka: partitioner %q: want murmur2 (Kafka's Java default) or fnv1a (goka's, for tables written with it)", s)
}

// Hasher is the hash goka and sarama are given to place keys: goka.WithHasher and friends take
// it, and goka's producers hand it to sarama's hash partitioner. The empty Partitioner is Murmur2.
//
// The murmur2 hasher's Sum32 is Java's toPositive(murmur2(key)), the sign bit already cleared.
// That is what makes every place that turns the hash into a partition agree with Java: sarama's
// default hash partitioner computes int32(h) % n and then negates a negative result, goka's
// views and processors negate a negative int32(h) and then take % n, sarama's WithAbsFirst
// masks the sign bit and then takes % n; for a non-negative h all three are h % n, which is
// Java's partition. Giving them the raw murmur2 instead would place about half of the keys
// (those whose hash is negative) differently in each.
func (p Partitioner) Hasher() func() hash.Hash32 {
	if p == FNV1a {
		return goka.DefaultHasher()
	}
	return func() hash.Hash32 { return new(murmur2Hash) }
}

// Partition is the partition a producer using p puts key on, out of n (n >= 1): for Murmur2
// exactly Java's Utils.toPositive(Utils.murmur2(key)) % n; for FNV1a what sarama's default hash
// partitioner does with it.
func (p Partitioner) Partition(key []byte, n int32) int32 {
	h := p.Hasher()()
	_, _ = h.Write(key) // neither hash fails to write
	part := int32(h.Sum32()) % n
	if part < 0 {
		part = -part
	}
	return part
}

// Murmur2Hash is Java's org.apache.kafka.common.utils.Utils.murmur2 (MurmurHash2, 32 bits,
// Kafka's seed 0x9747b28c), as a Java int.
func Murmur2Hash(data []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	// Java does this arithmetic on int, which wraps like uint32; >>> is the unsigned shift.
	h := uint32(seed) ^ uint32(len(data))
	rest := data
	for ; len(rest) >= 4; rest = rest[4:] {
		k := binary.LittleEndian.Uint32(rest)
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch len(rest) {
	case 3:
		h ^= uint32(rest[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(rest[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(rest[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// murmur2Hash is Murmur2Hash as a hash.Hash32. MurmurHash2 mixes the length in first, so it
// cannot stream: Write collects the key and Sum32 hashes it. Keys are short (camera and user ids).
type murmur2Hash struct{ buf []byte }

func (h *murmur2Hash) Write(p []byte) (int, error) { h.buf = append(h.buf, p...); return len(p), nil }

// Sum32 is toPositive(murmur2): see Partitioner.Hasher for why the sign bit is cleared here.
func (h *murmur2Hash) Sum32() uint32 { return uint32(Murmur2Hash(h.buf)) & 0x7fffffff }

func (h *murmur2Hash) Sum(b []byte) []byte { return binary.BigEndian.AppendUint32(b, h.Sum32()) }
func (h *murmur2Hash) Reset()              { h.buf = h.buf[:0] }
func (h *murmur2Hash) Size() int           { return 4 }
func (h *murmur2Hash) BlockSize() int      { return 4 }

// Partitions is the number of partitions of topic. A topic created a moment ago, by this
// instance or one starting beside it, may not be known yet to the broker asked (see
// racingTopicManager): it is asked again, within the topic manager's CreateTopicTimeout.
func (k *Clients) Partitions(topic string) (int32, error) {
	tm, err := goka.NewTopicManager(k.Config.Brokers, k.fresh(), k.TopicMC)
	if err != nil {
		return 0, k.ConnectError(err)
	}
	defer tm.Close()
	deadline := time.Now().Add(k.TopicMC.CreateTopicTimeout)
	for {
		parts, err := tm.Partitions(topic)
		switch {
		case err == nil:
			return int32(len(parts)), nil
		// goka says "requested topic was not found" when the broker asked does not list it.
		case !strings.Contains(err.Error(), "not found") && !raced(err), !time.Now().Before(deadline):
			return 0, fmt.Errorf("kafka: partitions of %s: %w", topic, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// EnsureCopartitioned creates the topics of others that do not exist yet as streams with as many
// partitions as like has (like must exist), and checks that each of them has that many: a goka
// group reads partition p of every input together with partition p of its table, so its inputs
// must be partitioned alike. It returns the count.
func (k *Clients) EnsureCopartitioned(like goka.Stream, others ...goka.Stream) (int32, error) {
	n, err := k.Partitions(string(like))
	if err != nil {
		return 0, err
	}
	// A new topic gets like's count, whatever --partitions says: like may predate this
	// deployment's flags.
	same := *k
	same.Config.Partitions = int(n)
	if err := same.EnsureStreams(others...); err != nil {
		return 0, err
	}
	for _, t := range others {
		m, err := k.Partitions(string(t))
		if err != nil {
			return 0, err
		}
		if m != n {
			return 0, fmt.Errorf("kafka: %s has %d partitions and %s %d: they must be co-partitioned (delete %s while nothing runs, and holostream creates it with %d)", t, m, like, n, t, n)
		}
	}
	return n, nil
}
