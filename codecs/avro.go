package codecs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/holostream/holostream/schemas"
	"github.com/lovoo/goka"
)

// Framing of the two wire formats.
const (
	confluentMagic  = 0x00 // Confluent wire format: magic, 4-byte big-endian schema id
	confluentHeader = 5
	singleMagic0    = 0xC3 // Avro single-object encoding: C3 01, 8-byte little-endian fingerprint
	singleMagic1    = 0x01
	singleHeader    = 10
)

// Avro is a typed Avro codec for the values of one topic. Built with a Registry, it writes the
// Confluent wire format with the schema's registry id and reads messages of any writer schema
// the registry knows under an id; built without, it writes Avro single-object encoding and reads
// messages whose fingerprint is the schema's or one given by WithWriterSchemas. Messages of its
// own schema go through the contract's fast path (AppendBinary, ReadBinary); messages of another
// writer schema through goavro and the contract's tolerant FromNative, so a reader survives
// writers with newer schemas.
//
// An Avro is safe for concurrent use.
type Avro[T any] struct {
	contract schemas.Contract[T]
	reg      Registry // nil: single-object encoding
	id       int      // registry id of the schema; 0 without a registry
	header   []byte   // what Encode writes before the Avro binary
	hint     atomic.Int64

	mu      sync.RWMutex
	writers map[uint64]*writer // by registry id or fingerprint
}

// writer is a schema that messages may have been written with.
type writer struct {
	schema schemas.Schema
	shape  *shape
	own    bool // same canonical form as the codec's schema: the contract's ReadBinary reads it
}

// AvroOpt configures NewAvro.
type AvroOpt func(*avroConfig)

type avroConfig struct{ writers []schemas.Schema }

// WithWriterSchemas adds schemas that Decode accepts in single-object mode besides the codec's
// own, e.g. a newer version of it that some producers write. They must have the same full name.
// With a registry, writer schemas come from the registry and this option is ignored.
func WithWriterSchemas(s ...schemas.Schema) AvroOpt {
	return func(o *avroConfig) { o.writers = append(o.writers, s...) }
}

// NewAvro builds the codec of topic's values for contract c. With a registry (reg not nil) it
// registers c's schema under the subject Subject(topic), which fails with ErrIncompatible if the
// subject's latest schema cannot be read by it, then sets the subject's compatibility to
// BACKWARD (after registering: Apicurio refuses configuration of subjects that do not exist).
// With reg nil it uses single-object encoding and does not use ctx or topic.
func NewAvro[T any](ctx context.Context, topic string, c schemas.Contract[T], reg Registry, opts ...AvroOpt) (*Avro[T], error) {
	var cfg avroConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	if c.Schema.Codec() == nil || c.ToNative == nil || c.FromNative == nil {
		return nil, errors.New("codecs: NewAvro: incomplete contract: want a schema and both conversions")
	}
	own, err := newWriter(c.Schema, c.Schema)
	if err != nil {
		return nil, fmt.Errorf("codecs: NewAvro %s: %w", c.Schema.Name(), err)
	}
	a := &Avro[T]{contract: c, reg: reg, writers: make(map[uint64]*writer)}
	a.hint.Store(256)
	if reg == nil {
		return a, a.singleObject(own, cfg.writers)
	}
	if topic == "" {
		return nil, errors.New("codecs: NewAvro: empty topic")
	}
	subject := Subject(topic)
	if a.id, err = reg.Register(ctx, subject, c.Schema.Text()); err != nil {
		return nil, fmt.Errorf("codecs: avro codec of topic %q: %w", topic, err)
	}
	if err := reg.SetCompatibility(ctx, subject, CompatBackward); err != nil {
		return nil, fmt.Errorf("codecs: avro codec of topic %q: %w", topic, err)
	}
	a.header = binary.BigEndian.AppendUint32([]byte{confluentMagic}, uint32(a.id))
	a.writers[uint64(a.id)] = own
	return a, nil
}

func (a *Avro[T]) singleObject(own *writer, others []schemas.Schema) error {
	a.header = binary.LittleEndian.AppendUint64([]byte{singleMagic0, singleMagic1}, own.schema.Fingerprint())
	a.writers[own.schema.Fingerprint()] = own
	for _, s := range others {
		if s.Codec() == nil {
			return errors.New("codecs: NewAvro: WithWriterSchemas: a zero Schema")
		}
		if s.Name() != own.schema.Name() {
			return fmt.Errorf("codecs: NewAvro: WithWriterSchemas: %w: %s cannot be read as %s", ErrIncompatible, s.Name(), own.schema.Name())
		}
		w, err := newWriter(s, own.schema)
		if err != nil {
			return fmt.Errorf("codecs: NewAvro: WithWriterSchemas: %w", err)
		}
		a.writers[s.Fingerprint()] = w
	}
	return nil
}

// newWriter prepares writer schema s for reading as reader's.
func newWriter(s, reader schemas.Schema) (*writer, error) {
	sh, err := compileShape(s.Text())
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", s.Name(), err)
	}
	return &writer{schema: s, shape: sh, own: s.Canonical() == reader.Canonical()}, nil
}

// Schema is the codec's own schema, the one Encode writes.
func (a *Avro[T]) Schema() schemas.Schema { return a.contract.Schema }

// ID is the registry id of the codec's schema; 0 without a registry.
func (a *Avro[T]) ID() int { return a.id }

// Encode writes v as one message: header and Avro binary. The result is the caller's.
func (a *Avro[T]) Encode(v T) ([]byte, error) {
	buf := make([]byte, len(a.header), a.hint.Load())
	copy(buf, a.header)
	var err error
	if a.contract.AppendBinary != nil {
		buf, err = a.contract.AppendBinary(buf, v)
	} else {
		buf, err = a.contract.Schema.Codec().BinaryFromNative(buf, a.contract.ToNative(v))
	}
	if err != nil {
		return nil, fmt.Errorf("codecs: encode %s: %w", a.contract.Schema.Name(), err)
	}
	a.hint.Store(int64(len(buf) + len(buf)/8))
	return buf, nil
}

// Decode reads one message. Errors wrap ErrMalformed (not a valid message), ErrUnknownSchema
// (a schema id the registry does not have, or a fingerprint not known), or ErrIncompatible (a
// writer schema that cannot be read as the codec's). Any other error means the registry could
// not be asked: a fault to retry, not bad data. Registry requests are bounded by the
// registry's request timeout. Byte fields of the result ([]byte) share memory with data.
func (a *Avro[T]) Decode(data []byte) (T, error) {
	var zero T
	name := a.contract.Schema.Name()
	w, body, err := a.writer(data)
	if err != nil {
		return zero, fmt.Errorf("codecs: decode %s: %w", name, err)
	}
	if w.own && a.contract.ReadBinary != nil { // checks the data itself
		v, err := a.contract.ReadBinary(body)
		if err != nil {
			return zero, fmt.Errorf("codecs: decode %s: %w: %v", name, ErrMalformed, err)
		}
		return v, nil
	}
	rest, err := check(w.shape, body)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%d bytes after the value", len(rest))
	}
	if err != nil {
		return zero, fmt.Errorf("codecs: decode %s: %w: %v", name, ErrMalformed, err)
	}
	native, _, err := w.schema.Codec().NativeFromBinary(body)
	if err != nil {
		return zero, fmt.Errorf("codecs: decode %s: %w: %v", name, ErrMalformed, err)
	}
	m, ok := native.(map[string]any)
	if !ok {
		return zero, fmt.Errorf("codecs: decode %s: %w: writer schema %s is not a record", name, ErrIncompatible, w.schema.Name())
	}
	v, err := a.contract.FromNative(m)
	if err != nil {
		return zero, fmt.Errorf("codecs: decode %s: %w: %v", name, ErrIncompatible, err)
	}
	return v, nil
}

// writer reads a message's header and returns its writer schema and the Avro binary after it.
func (a *Avro[T]) writer(data []byte) (*writer, []byte, error) {
	if a.reg == nil {
		return a.singleObjectWriter(data)
	}
	if len(data) < confluentHeader {
		return nil, nil, fmt.Errorf("%w: %d bytes, shorter than the 5-byte Confluent header", ErrMalformed, len(data))
	}
	if data[0] != confluentMagic {
		return nil, nil, fmt.Errorf("%w: magic byte 0x%02x, want 0x00 (Confluent wire format)%s", ErrMalformed, data[0], framingHint(data))
	}
	id := binary.BigEndian.Uint32(data[1:confluentHeader])
	w, err := a.registryWriter(int(id))
	if err != nil {
		return nil, nil, err
	}
	return w, data[confluentHeader:], nil
}

func (a *Avro[T]) singleObjectWriter(data []byte) (*writer, []byte, error) {
	if len(data) < singleHeader {
		return nil, nil, fmt.Errorf("%w: %d bytes, shorter than the 10-byte single-object header", ErrMalformed, len(data))
	}
	if data[0] != singleMagic0 || data[1] != singleMagic1 {
		return nil, nil, fmt.Errorf("%w: marker 0x%02x%02x, want 0xC301 (Avro single-object encoding)%s", ErrMalformed, data[0], data[1], framingHint(data))
	}
	fp := binary.LittleEndian.Uint64(data[2:singleHeader])
	w, ok := a.writers[fp] // immutable after NewAvro without a registry
	if !ok {
		return nil, nil, fmt.Errorf("%w: fingerprint %016x is not %s's (%016x); to read a newer writer schema, pass it with WithWriterSchemas", ErrUnknownSchema, fp, a.contract.Schema.Name(), a.contract.Schema.Fingerprint())
	}
	return w, data[singleHeader:], nil
}

// framingHint names the other wire format when data looks like it.
func framingHint(data []byte) string {
	switch {
	case data[0] == confluentMagic:
		return "; it looks like the Confluent wire format: configure the schema registry"
	case len(data) > 1 && data[0] == singleMagic0 && data[1] == singleMagic1:
		return "; it looks like Avro single-object encoding: the producer ran without a schema registry"
	}
	return ""
}

// registryWriter resolves a registry id, asking the registry once per id.
func (a *Avro[T]) registryWriter(id int) (*writer, error) {
	a.mu.RLock()
	w, ok := a.writers[uint64(id)]
	a.mu.RUnlock()
	if ok {
		return w, nil
	}
	text, err := a.reg.SchemaByID(context.Background(), id)
	if err != nil {
		return nil, fmt.Errorf("writer schema id %d: %w", id, err)
	}
	s, err := schemas.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%w: writer schema id %d: %v", ErrUnknownSchema, id, err)
	}
	if s.Name() != a.contract.Schema.Name() {
		return nil, fmt.Errorf("%w: writer schema id %d is %s", ErrIncompatible, id, s.Name())
	}
	if w, err = newWriter(s, a.contract.Schema); err != nil {
		return nil, fmt.Errorf("%w: writer schema id %d: %v", ErrUnknownSchema, id, err)
	}
	a.mu.Lock()
	a.writers[uint64(id)] = w
	a.mu.Unlock()
	return w, nil
}

// Codec is the codec as a goka.Codec: Encode takes a T or a non-nil *T, Decode returns a T.
func (a *Avro[T]) Codec() goka.Codec { return gokaAvro[T]{a} }

type gokaAvro[T any] struct{ a *Avro[T] }

func (g gokaAvro[T]) Encode(value any) ([]byte, error) {
	switch v := value.(type) {
	case T:
		return g.a.Encode(v)
	case *T:
		if v != nil {
			return g.a.Encode(*v)
		}
	}
	var want T
	return nil, fmt.Errorf("codecs: encode %s: got %T, want %T", g.a.contract.Schema.Name(), value, want)
}

func (g gokaAvro[T]) Decode(data []byte) (any, error) {
	v, err := g.a.Decode(data)
	if err != nil {
		return nil, err
	}
	return v, nil
}
