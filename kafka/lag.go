package kafka

import (
	"errors"

	"github.com/IBM/sarama"
)

// LagReader reads a consumer group's lag on its input topics: for each partition the newest
// offset minus the group's committed offset (the oldest offset where none is committed),
// summed. Not safe for concurrent use.
type LagReader struct {
	client sarama.Client
	admin  sarama.ClusterAdmin
	group  string
	topics []string
}

// NewLagReader connects a reader of group's lag on topics; Close it.
func (c *Clients) NewLagReader(group string, topics ...string) (*LagReader, error) {
	conf := *c.Sarama
	client, err := sarama.NewClient(c.Config.Brokers, &conf)
	if err != nil {
		return nil, c.ConnectError(err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		client.Close()
		return nil, c.ConnectError(err)
	}
	return &LagReader{client: client, admin: admin, group: group, topics: topics}, nil
}

// Read returns the group's lag now, in records.
func (l *LagReader) Read() (int64, error) {
	parts := map[string][]int32{}
	for _, t := range l.topics {
		ps, err := l.client.Partitions(t)
		if err != nil {
			return 0, err
		}
		parts[t] = ps
	}
	resp, err := l.admin.ListConsumerGroupOffsets(l.group, parts)
	if err != nil {
		return 0, err
	}
	var lag int64
	for t, ps := range parts {
		for _, p := range ps {
			newest, err := l.client.GetOffset(t, p, sarama.OffsetNewest)
			if err != nil {
				return 0, err
			}
			committed := int64(-1)
			if b := resp.GetBlock(t, p); b != nil && errors.Is(b.Err, sarama.ErrNoError) {
				committed = b.Offset
			}
			if committed < 0 {
				if committed, err = l.client.GetOffset(t, p, sarama.OffsetOldest); err != nil {
					return 0, err
				}
			}
			lag += max(0, newest-committed)
		}
	}
	return lag, nil
}

// Close disconnects the reader.
func (l *LagReader) Close() error { return l.admin.Close() }
