package kafka

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
)

// DefaultMaxImageBytes is the largest image a frame may carry unless told otherwise (8 MiB: a
// 12-megapixel JPEG at high quality).
const DefaultMaxImageBytes = 8 << 20

// EnvelopeBytes is what a frame record may carry besides its image: the Avro envelope (ids,
// seq, times, content type), the producer's attributes and the framing. A record of
// MaxImageBytes + EnvelopeBytes is the largest holostream writes or expects to read.
const EnvelopeBytes = 64 << 10

// batchOverheadBytes is what Kafka counts on top of one record when it compares a batch with a
// topic's max.message.bytes (the v2 batch header is 61 bytes, a record's own header a few more).
const batchOverheadBytes = 1 << 10

// MaxRecordBytes is the largest record value holostream writes: the producer's
// MaxMessageBytes, and what every dead letter is cut to fit (see processors/landmarks).
func (c Config) MaxRecordBytes() int {
	c = c.Defaults()
	return c.MaxImageBytes + EnvelopeBytes
}

// TopicMaxMessageBytes is the max.message.bytes of the topics holostream creates: one record
// of MaxRecordBytes in a batch of its own fits.
func (c Config) TopicMaxMessageBytes() int { return c.MaxRecordBytes() + batchOverheadBytes }

// Write failure codes (the label of holostream_kafka_writes_failed_total).
const (
	FailTooLarge      = "RECORD_TOO_LARGE"  // over the producer's or the topic's size limit
	FailInvalidRecord = "INVALID_RECORD"    // the broker refused the record's contents
	FailPolicy        = "POLICY_VIOLATION"  // a broker policy refused it
	FailTimestamp     = "INVALID_TIMESTAMP" // outside the topic's timestamp bounds
)

// Permanent tells a write error that no retry can cure (this record will be refused every time)
// from one that may pass later (a broker down, authorization not granted yet). It returns the
// failure's code, or "" for an error that is not permanent.
func Permanent(err error) string {
	var cfgErr sarama.ConfigurationError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, sarama.ErrMessageSizeTooLarge), errors.Is(err, sarama.ErrMessageSetSizeTooLarge):
		return FailTooLarge
	case errors.As(err, &cfgErr):
		// sarama refuses a message over Producer.MaxMessageBytes with a ConfigurationError
		// before it is sent; no other ConfigurationError reaches a producer's promises.
		return FailTooLarge
	case errors.Is(err, sarama.ErrInvalidRecord):
		// CORRUPT_MESSAGE is not here: Kafka retries it (a CRC damaged on the way).
		return FailInvalidRecord
	case errors.Is(err, sarama.ErrPolicyViolation):
		return FailPolicy
	case errors.Is(err, sarama.ErrInvalidTimestamp):
		return FailTimestamp
	}
	return ""
}

// WriteFailure is a record a processor's producer could not write and will not retry.
type WriteFailure struct {
	Topic, Key string
	Bytes      int    // the value's size
	Code       string // a Fail* code, or Denied's
	Err        error
	// Stops: the write was refused for want of a grant (Denied), not for what the record is.
	// It is not skipped: the processor stops, and an operator must grant what is missing.
	Stops bool
}

// tolerantProducer is a goka producer that reports permanent write failures to onFailure and
// tells goka the write is done. goka stops a processor on any failed emit, and the processor
// would then read the same record again after its restart and fail the same way, forever,
// stopping every camera of its partitions: a record that can never be written must cost that
// record, not the stream. Retriable errors still fail the processor (supervise restarts it), and
// so do refused ones (Denied), which it reports too: they are about the grants, not the record.
type tolerantProducer struct {
	goka.Producer
	onFailure func(WriteFailure)
}

func (p tolerantProducer) Emit(topic, key string, value []byte) *goka.Promise {
	return p.tolerate(topic, key, len(value), p.Producer.Emit(topic, key, value))
}

func (p tolerantProducer) EmitWithHeaders(topic, key string, value []byte, headers goka.Headers) *goka.Promise {
	return p.tolerate(topic, key, len(value), p.Producer.EmitWithHeaders(topic, key, value, headers))
}

func (p tolerantProducer) tolerate(topic, key string, size int, in *goka.Promise) *goka.Promise {
	out, finish := goka.NewPromiseWithFinisher()
	in.ThenWithMessage(func(msg *sarama.ProducerMessage, err error) {
		if code := Permanent(err); code != "" {
			p.onFailure(WriteFailure{Topic: topic, Key: key, Bytes: size, Code: code, Err: err})
			err = nil
		} else if code := Denied(err); code != "" {
			p.onFailure(WriteFailure{Topic: topic, Key: key, Bytes: size, Code: code, Err: err, Stops: true})
		}
		finish(msg, err)
	})
	return out
}

// topicLimitConfig is the config of a topic holostream creates that bounds its records.
func (c Config) topicLimitConfig() map[string]string {
	return map[string]string{"max.message.bytes": strconv.Itoa(c.TopicMaxMessageBytes())}
}

// validateLimits checks the size settings once.
func (c Config) validateLimits() error {
	// sarama refuses requests over MaxRequestSize (100 MiB by default) whatever the producer's
	// settings; half of it leaves room for a batch's other records.
	if most := int(sarama.MaxRequestSize / 2); c.MaxImageBytes < 1 || c.MaxImageBytes > most {
		return fmt.Errorf("kafka: --max-image-bytes %d: want 1 to %d", c.MaxImageBytes, most)
	}
	return nil
}
