package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/holostream/holostream/kafka"
)

// Record is one consumed message.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Value     []byte
	Timestamp time.Time
}

// Tail reads every partition of topics from the oldest (or newest) offset and calls fn for each
// message, from one goroutine at a time, until ctx ends or fn returns an error (ErrStop: ends
// it with none). It reads partitions directly, in no consumer group: nothing is committed.
func Tail(ctx context.Context, clients *kafka.Clients, topics []string, fromOldest bool, fn func(Record) error) error {
	return TailNotify(ctx, clients, topics, fromOldest, nil, fn)
}

// TailNotify is Tail that calls ready, when not nil, once every partition's starting offset is
// fixed (sarama's ConsumePartition looks the newest offset up before it returns): a message
// produced after ready is certain to be read, which a reader from the newest offsets needs to know
// before it starts producing.
func TailNotify(ctx context.Context, clients *kafka.Clients, topics []string, fromOldest bool, ready func(), fn func(Record) error) error {
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
			if err := fn(Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: m.Value, Timestamp: m.Timestamp}); err != nil {
				cancel()
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// ErrStop, returned by Tail's fn, ends Tail without an error.
var ErrStop = errors.New("stop")
