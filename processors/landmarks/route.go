package landmarks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/lovoo/goka"
)

// Repartitioning sends a frame that a producer put on another partition than holostream would
// to the partition of its camera's state, as Kafka Streams does with its repartition topics.
//
// A goka group reads partition p of its inputs together with partition p of its table, and its
// table writes go where its partitioner puts the key. A frame read on partition p whose camera
// belongs on q (a Python producer's CRC32, a producer with a custom partitioner) would read the
// state of partition p, where its camera has none, and write it to q: after a restart p's copy
// is gone and the camera starts over. So such a frame does not touch the table on p: it is
// forwarded, bytes unchanged, to Topic, where the producer's partitioner (the same one) puts it on
// q, and processed when read back from there.
type Repartitioning struct {
	// Topic is the repartition topic, co-partitioned with Frames; empty turns repartitioning off
	// (every frame is processed where it is read: all producers must partition as holostream does).
	Topic goka.Stream
	// Partitions is the frames topic's partition count, read at start (goka's Context does not
	// say it); Partition is the partition holostream's producers put key on out of n (the
	// kafka.Partitioner in use).
	Partitions int32
	Partition  func(key string, n int32) int32
	// Forwarded, when set, is told of each frame forwarded (metrics).
	Forwarded func(key string, from, to int32)
}

func (r Repartitioning) validate() error {
	switch {
	case r.Topic == "":
		return nil
	case r.Partitions < 1:
		return fmt.Errorf("landmarks: repartitioning through %s: %d partitions", r.Topic, r.Partitions)
	case r.Partition == nil:
		return errors.New("landmarks: repartitioning through " + string(r.Topic) + ": no partitioner")
	}
	return nil
}

// Route is the goka callback of both inputs. A frame read from the frames topic on the partition
// its camera belongs on, and every record of the repartition topic, is processed (Process); a
// frame read from the frames topic elsewhere is forwarded to the repartition topic without
// reading or writing any state, to be processed (and counted) once read back from there.
//
// Order is kept: a producer puts all of a camera's frames on one partition, the forwards of one
// partition are read and written in order, and the repartition topic has one partition per
// camera too.
func (c *Config) Route(ctx goka.Context, msg any) {
	r := c.Repartition
	if r.Topic == "" || ctx.Topic() != c.Frames || ctx.Key() == "" {
		// A record without a key has no camera to go to: Process dead-letters it where it is.
		c.Process(ctx, msg)
		return
	}
	if ctx.Partition() >= r.Partitions {
		// The frames topic grew since the start: its keys, and the table's, would move.
		ctx.Fail(fmt.Errorf("frames partition %d read, but %s had %d partitions at start: restart to use them (keys move: see the README)", ctx.Partition(), c.Frames, r.Partitions))
	}
	to := r.Partition(ctx.Key(), r.Partitions)
	if to == ctx.Partition() {
		c.Process(ctx, msg)
		return
	}
	if raw, _ := msg.([]byte); c.MaxRecordBytes > 0 && len(raw) > c.MaxRecordBytes-forwardReserve {
		// Too large to write whole (so it cannot be a frame holostream takes): its first bytes
		// go, with the whole record's size and hash, and are dead-lettered where its camera is
		// counted.
		cut := raw[:c.MaxRecordBytes-forwardReserve]
		sum := sha256.Sum256(raw)
		ctx.Emit(r.Topic, ctx.Key(), cut, goka.WithCtxEmitHeaders(goka.Headers{
			headerCutSize:   []byte(strconv.Itoa(len(raw))),
			headerCutSHA256: []byte(hex.EncodeToString(sum[:])),
		}))
	} else {
		ctx.Emit(r.Topic, ctx.Key(), msg) // the frames codec on both topics: the same bytes
	}
	if r.Forwarded != nil {
		r.Forwarded(ctx.Key(), ctx.Partition(), to)
	}
}

// sameTopic tells whether a record read from topic comes from the state's last topic. An empty
// last topic is unknown (a state the table kept without it): offsets are compared as before
// there were two topics.
func (c *Config) sameTopic(topic goka.Stream, last string) bool {
	return last == "" || string(topic) == last
}

// A record too large to forward whole is forwarded cut, with these headers: the whole record's
// size (decimal) and SHA-256 (lowercase hex).
const (
	headerCutSize   = "holostream-original-size"
	headerCutSHA256 = "holostream-original-sha256"
)

// forwardReserve is what a forwarded record needs besides its value (key, headers, framing).
const forwardReserve = 4 << 10

// cutRecord reads the headers of a record forwarded cut: the whole record's size and hash.
func cutRecord(h goka.Headers) (size int64, sha string, ok bool) {
	v, found := h[headerCutSize]
	if !found {
		return 0, "", false
	}
	size, err := strconv.ParseInt(string(v), 10, 64)
	return size, string(h[headerCutSHA256]), err == nil
}
