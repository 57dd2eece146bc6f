package kafka

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// scriptedTopics is a goka.TopicManager whose ensures fail as scripted, then succeed.
type scriptedTopics struct {
	goka.TopicManager // nil: the other methods are not called
	errs              []error
	calls             int
}

func (s *scriptedTopics) next() error {
	s.calls++
	if s.calls <= len(s.errs) {
		return s.errs[s.calls-1]
	}
	return nil
}

// Partitions says no topic exists, as goka's does for one the broker does not list.
func (s *scriptedTopics) Partitions(string) ([]int32, error) {
	return nil, errors.New("requested topic was not found")
}

func (s *scriptedTopics) EnsureTableExists(string, int) error  { return s.next() }
func (s *scriptedTopics) EnsureStreamExists(string, int) error { return s.next() }
func (s *scriptedTopics) EnsureTopicExists(string, int, int, map[string]string) error {
	return s.next()
}

// TestRacingTopicManager: the errors of a topic another instance has just created, as goka
// words them, are retried until the ensure passes or the wait is over; other errors are not.
func TestRacingTopicManager(t *testing.T) {
	t.Parallel()
	// goka's wording of the two, from a 3-node cluster.
	exists := fmt.Errorf("error creating topic t-table, npar=3, rfactor=1, config=map[]: %v", &sarama.TopicError{Err: sarama.ErrTopicAlreadyExists})
	unknown := fmt.Errorf("Error getting config for topic t-table: %w", sarama.ErrUnknownTopicOrPartition)
	other := errors.New("error creating topic t-table: kafka server: Policy violation")
	tests := []struct {
		name  string
		errs  []error
		wait  time.Duration
		calls int
		fails string // what the error says; "" for none
	}{
		{"no race", nil, time.Minute, 1, ""},
		{"lost the create, then the config lookup", []error{exists, unknown}, time.Minute, 3, ""},
		{"another error is not retried", []error{other, nil}, time.Minute, 1, "Policy violation"},
		{"the race outlasts the wait", []error{exists, exists, exists}, 0, 1, "not every broker knew of"},
	}
	ensures := map[string]func(goka.TopicManager) error{
		"table":  func(m goka.TopicManager) error { return m.EnsureTableExists("t-table", 3) },
		"stream": func(m goka.TopicManager) error { return m.EnsureStreamExists("t-loop", 3) },
		"topic":  func(m goka.TopicManager) error { return m.EnsureTopicExists("t", 3, 1, nil) },
	}
	for _, tt := range tests {
		for kind, ensure := range ensures {
			s := &scriptedTopics{errs: tt.errs}
			err := ensure(racingTopicManager{TopicManager: s, wait: tt.wait})
			if s.calls != tt.calls {
				t.Errorf("%s, %s: %d tries, want %d", tt.name, kind, s.calls, tt.calls)
			}
			switch {
			case tt.fails == "" && err != nil:
				t.Errorf("%s, %s: %v", tt.name, kind, err)
			case tt.fails != "" && (err == nil || !strings.Contains(err.Error(), tt.fails)):
				t.Errorf("%s, %s: error %v, want one saying %q", tt.name, kind, err, tt.fails)
			}
		}
	}
}
