package kafka

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{sarama.ErrMessageSizeTooLarge, FailTooLarge},
		{fmt.Errorf("emit: %w", sarama.ErrMessageSetSizeTooLarge), FailTooLarge},
		{sarama.ConfigurationError("Attempt to produce message larger than configured Producer.MaxMessageBytes: 2 > 1"), FailTooLarge},
		{sarama.ErrInvalidRecord, FailInvalidRecord},
		{sarama.ErrPolicyViolation, FailPolicy},
		{sarama.ErrInvalidTimestamp, FailTimestamp},
		// These may pass later: they stop the processor, which supervise restarts.
		{sarama.ErrNotEnoughReplicas, ""},
		{sarama.ErrTopicAuthorizationFailed, ""},
		{sarama.ErrInvalidMessage, ""},
		{sarama.ErrOutOfBrokers, ""},
		{errors.New("connection reset"), ""},
	} {
		if got := Permanent(tc.err); got != tc.want {
			t.Errorf("%d: Permanent(%v) = %q, want %q", i, tc.err, got, tc.want)
		}
	}
}

// failingProducer finishes every emit with err.
type failingProducer struct{ err error }

func (p failingProducer) Emit(string, string, []byte) *goka.Promise {
	prom, finish := goka.NewPromiseWithFinisher()
	finish(nil, p.err)
	return prom
}

func (p failingProducer) EmitWithHeaders(topic, key string, value []byte, _ goka.Headers) *goka.Promise {
	return p.Emit(topic, key, value)
}

func (failingProducer) Close() error { return nil }

func TestTolerantProducer(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		err       error
		wantErr   bool
		wantCalls int
	}{
		{nil, false, 0},
		{sarama.ErrMessageSizeTooLarge, false, 1}, // reported, then done
		{sarama.ErrNotEnoughReplicas, true, 0},    // goka must see it and stop
		// Refused for want of a grant: reported, and goka must see it and stop.
		{sarama.ErrTopicAuthorizationFailed, true, 1},
	} {
		var got []WriteFailure
		p := tolerantProducer{Producer: failingProducer{tc.err}, onFailure: func(f WriteFailure) { got = append(got, f) }}
		var seen error
		p.Emit("dlq", "cam", make([]byte, 10)).Then(func(err error) { seen = err })
		if (seen != nil) != tc.wantErr || len(got) != tc.wantCalls {
			t.Errorf("%d: %v: promise error %v, %d failures reported", i, tc.err, seen, len(got))
		}
		wantCode, stops := FailTooLarge, false
		if tc.wantErr {
			wantCode, stops = "TOPIC_AUTHORIZATION_FAILED", true
		}
		if tc.wantCalls == 1 && (got[0].Topic != "dlq" || got[0].Key != "cam" || got[0].Bytes != 10 || got[0].Code != wantCode || got[0].Stops != stops) {
			t.Errorf("%d: reported %+v", i, got[0])
		}
	}
}

func TestRecordLimits(t *testing.T) {
	t.Parallel()
	c := Config{Brokers: []string{"127.0.0.1:9092"}, MaxImageBytes: 1 << 20}
	sc, err := c.Sarama()
	if err != nil {
		t.Fatal(err)
	}
	if sc.Producer.MaxMessageBytes != c.MaxRecordBytes() || c.MaxRecordBytes() != 1<<20+EnvelopeBytes {
		t.Errorf("producer MaxMessageBytes %d, record limit %d", sc.Producer.MaxMessageBytes, c.MaxRecordBytes())
	}
	if got := c.topicLimitConfig()["max.message.bytes"]; got != strconv.Itoa(c.MaxRecordBytes()+batchOverheadBytes) {
		t.Errorf("topics' max.message.bytes %s", got)
	}
	if (Config{}).MaxRecordBytes() != DefaultMaxImageBytes+EnvelopeBytes {
		t.Error("default record limit")
	}
	if _, err := (Config{Brokers: []string{"b:1"}, MaxImageBytes: 1 << 30}).Sarama(); err == nil {
		t.Error("a 1 GiB image limit passes, past sarama's request limit")
	}
}
