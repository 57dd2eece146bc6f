package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/holostream/holostream/kafka"
)

// record is one consumed message.
type record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Value     []byte
	Timestamp time.Time
}

// tail reads every partition of topics from the oldest (or newest) offset and calls fn for each
// message, from one goroutine at a time, until ctx ends or fn returns an error.
func tail(ctx context.Context, clients *kafka.Clients, topics []string, fromOldest bool, fn func(record) error) error {
	return tailNotify(ctx, clients, topics, fromOldest, nil, fn)
}

// tailNotify is tail that calls ready, when not nil, once every partition's starting offset is
// fixed (sarama's ConsumePartition looks the newest offset up before it returns): a message
// produced after ready is certain to be read, which a reader from the newest offsets needs to know
// before it starts producing.
func tailNotify(ctx context.Context, clients *kafka.Clients, topics []string, fromOldest bool, ready func(), fn func(record) error) error {
	c, err := sarama.NewConsumer(clients.Config.Brokers, clients.Sarama)
	if err != nil {
		return clients.ConnectError(err)
	}
	defer c.Close()
	offset := sarama.OffsetNewest
	if fromOldest {
		offset = sarama.OffsetOldest
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan *sarama.ConsumerMessage)
	var wg sync.WaitGroup
	for _, t := range topics {
		parts, err := c.Partitions(t)
		if err != nil {
			return fmt.Errorf("topic %s: %w", t, err)
		}
		for _, p := range parts {
			pc, err := c.ConsumePartition(t, p, offset)
			if err != nil {
				return fmt.Errorf("topic %s partition %d: %w", t, p, err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer pc.AsyncClose()
				for {
					select {
					case m, ok := <-pc.Messages():
						if !ok {
							return
						}
						select {
						case msgs <- m:
						case <-ctx.Done():
							return
						}
					case <-ctx.Done():
						return
					}
				}
			}()
		}
	}
	defer wg.Wait()
	if ready != nil {
		ready()
	}
	for {
		select {
		case m := <-msgs:
			if err := fn(record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: m.Value, Timestamp: m.Timestamp}); err != nil {
				cancel()
				if errors.Is(err, errStop) {
					return nil
				}
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// errStop ends tail without an error.
var errStop = errors.New("stop")

// decoder returns a function that decodes a topic's values to JSON-ready values.
func (w *wire) decoder(topo Topology, topic string) (func([]byte) (any, error), error) {
	switch topic {
	case string(topo.Frames), string(topo.Repartition): // the same records, forwarded
		return func(b []byte) (any, error) {
			f, err := w.frames.Decode(b)
			if err != nil {
				return nil, err
			}
			f.Image = nil // bytes as base64 would drown the terminal; the size says enough
			return struct {
				Frame      any `json:"frame"`
				ImageBytes int `json:"image_bytes"`
			}{f, len(b)}, nil
		}, nil
	case string(topo.Keypoints):
		return func(b []byte) (any, error) { return w.keypoints.Decode(b) }, nil
	case string(topo.Actions):
		return func(b []byte) (any, error) { return w.actions.Decode(b) }, nil
	case string(topo.Stats):
		return func(b []byte) (any, error) { return w.stats.Decode(b) }, nil
	case string(topo.DLQ):
		return func(b []byte) (any, error) { return w.dlq.Decode(b) }, nil
	}
	names := []string{}
	for _, s := range append(topo.Streams(), topo.Repartition) {
		names = append(names, string(s))
	}
	return nil, fmt.Errorf("unknown topic %q: want one of %s", topic, strings.Join(names, ", "))
}

func runConsume(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("consume", "consume [flags] TOPIC\n\nPrints a topic's records as JSON Lines, decoded with their schemas.", stderr)
	var cf clusterFlags
	cf.registerConnection(fs)
	fromOldest := fs.Bool("from-beginning", true, "start at the oldest record; --from-beginning=false reads only records written from now on")
	limit := fs.Int("n", 0, "stop after this many records (0: until interrupted)")
	idle := fs.Duration("idle", 0, "stop when no record came for this long (0: wait forever)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "holostream consume: give exactly one TOPIC (got %q)\n", pos)
		return 2
	}
	topic := pos[0]
	clients, err := cf.clients("holostream-consume")
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 2
	}
	topo := NewTopology(cf.prefix)
	w, err := newWire(ctx, topo, cf.registry)
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 1
	}
	decode, err := w.decoder(topo, topic)
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 2
	}
	enc := json.NewEncoder(stdout)
	n := 0
	var timer *time.Timer
	if *idle > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		timer = time.AfterFunc(*idle, cancel)
		defer timer.Stop()
	}
	err = tail(ctx, clients, []string{topic}, *fromOldest, func(r record) error {
		if timer != nil {
			timer.Reset(*idle)
		}
		return printRecord(enc, decode, r, &n, *limit)
	})
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 1
	}
	return 0
}

func printRecord(enc *json.Encoder, decode func([]byte) (any, error), r record, n *int, limit int) error {
	out := map[string]any{"topic": r.Topic, "partition": r.Partition, "offset": r.Offset, "key": r.Key}
	if v, err := decode(r.Value); err != nil {
		out["error"] = err.Error()
	} else {
		out["value"] = v
	}
	if err := enc.Encode(out); err != nil {
		return err
	}
	*n++
	if limit > 0 && *n >= limit {
		return errStop
	}
	return nil
}
