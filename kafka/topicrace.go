package kafka

import (
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// racingTopicManager is a goka.TopicManager for instances that start together and race to create
// the same topics. goka's Ensure*Exists asks a broker whether the topic exists, creates it if
// not, then asks a broker for its config. On a cluster of several brokers each learns of a new
// topic on its own, a moment apart, so an instance that asks right after another created the
// topic can be told it is missing (the create then fails with TOPIC_ALREADY_EXISTS) or, having
// found it, that it does not exist when asking for its config (UNKNOWN_TOPIC_OR_PARTITION).
// Either failed goka.NewProcessor, and the instance with it (seen on a 3-node cluster). Both
// pass once every broker knows the topic: the ensure is tried again until then, within a bound.
type racingTopicManager struct {
	goka.TopicManager
	// wait bounds the retries; poll is the pause between two tries.
	wait, poll time.Duration
}

func (m racingTopicManager) EnsureTableExists(topic string, npar int) error {
	return m.retry(func() error {
		return m.unlessExists(topic, func() error { return m.TopicManager.EnsureTableExists(topic, npar) })
	})
}

func (m racingTopicManager) EnsureStreamExists(topic string, npar int) error {
	return m.retry(func() error {
		return m.unlessExists(topic, func() error { return m.TopicManager.EnsureStreamExists(topic, npar) })
	})
}

func (m racingTopicManager) EnsureTopicExists(topic string, npar, rfactor int, config map[string]string) error {
	return m.retry(func() error {
		return m.unlessExists(topic, func() error { return m.TopicManager.EnsureTopicExists(topic, npar, rfactor, config) })
	})
}

// unlessExists runs goka's ensure only for a topic the broker does not list. For one it lists,
// goka's would read its config and replicas (DescribeConfigs, Metadata) to compare them with what
// it would create, then ignore any difference (TMConfigMismatchBehaviorIgnore, its default and
// ours): nothing gained, and a grant (DescribeConfigs on every topic) that least-privilege
// principals need not have.
func (m racingTopicManager) unlessExists(topic string, ensure func() error) error {
	if parts, err := m.TopicManager.Partitions(topic); err == nil && len(parts) > 0 {
		return nil
	}
	return ensure()
}

// retry runs ensure until it succeeds, fails otherwise than by the race, or wait has passed.
func (m racingTopicManager) retry(ensure func() error) error {
	deadline := time.Now().Add(m.wait)
	for {
		err := ensure()
		if err == nil || !raced(err) {
			return err
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w (a topic just created by another client, which not every broker knew of after %v)", err, m.wait)
		}
		time.Sleep(m.poll)
	}
}

// raced tells the errors of a topic that another client has just created. goka formats the
// admin's errors with %v: only their text is left to match.
func raced(err error) bool {
	s := err.Error()
	return strings.Contains(s, sarama.ErrTopicAlreadyExists.Error()) || strings.Contains(s, sarama.ErrUnknownTopicOrPartition.Error())
}
