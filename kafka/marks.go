package kafka

import (
	"context"

	"github.com/IBM/sarama"
)

// MarkObserver is told what the processors' consumer groups mark for commit. goka marks a
// record once it is processed and every write it caused (outputs, table) is acknowledged, so a
// mark is the moment a record's outcome is real: metrics counted then never count an output
// that was not written.
type MarkObserver interface {
	// Marked: group has processed topic/partition up to next (the next offset to read), the
	// record at next-1 included.
	Marked(group, topic string, partition int32, next int64)
	// Ended: a session of group ended (a rebalance, or the processor stopping); what it had not
	// marked will be read again, here or by another instance.
	Ended(group string)
}

// markingGroup is a consumer group whose sessions report their marks.
type markingGroup struct {
	sarama.ConsumerGroup
	group string
	obs   MarkObserver
}

func (g markingGroup) Consume(ctx context.Context, topics []string, h sarama.ConsumerGroupHandler) error {
	return g.ConsumerGroup.Consume(ctx, topics, markingHandler{ConsumerGroupHandler: h, g: g})
}

type markingHandler struct {
	sarama.ConsumerGroupHandler
	g markingGroup
}

func (h markingHandler) session(s sarama.ConsumerGroupSession) sarama.ConsumerGroupSession {
	return markingSession{ConsumerGroupSession: s, g: h.g}
}

func (h markingHandler) Setup(s sarama.ConsumerGroupSession) error {
	return h.ConsumerGroupHandler.Setup(h.session(s))
}

func (h markingHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	err := h.ConsumerGroupHandler.Cleanup(h.session(s))
	h.g.obs.Ended(h.g.group)
	return err
}

func (h markingHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	return h.ConsumerGroupHandler.ConsumeClaim(h.session(s), c)
}

type markingSession struct {
	sarama.ConsumerGroupSession
	g markingGroup
}

func (s markingSession) MarkOffset(topic string, partition int32, offset int64, metadata string) {
	s.ConsumerGroupSession.MarkOffset(topic, partition, offset, metadata)
	s.g.obs.Marked(s.g.group, topic, partition, offset)
}

func (s markingSession) MarkMessage(msg *sarama.ConsumerMessage, metadata string) {
	s.ConsumerGroupSession.MarkMessage(msg, metadata)
	s.g.obs.Marked(s.g.group, msg.Topic, msg.Partition, msg.Offset+1)
}
