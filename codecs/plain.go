package codecs

import (
	"encoding/json"
	"fmt"

	"github.com/lovoo/goka"
)

// Compile-time checks that the plain codecs are goka codecs.
var (
	_ goka.Codec = Bytes{}
	_ goka.Codec = JSON[struct{}]{}
)

// Bytes is the goka codec of raw values, for input topics whose callbacks decode the bytes
// themselves (bad input is data, not a crash). Encode takes a []byte or nil; Decode returns data
// itself, not a copy, and nil for nil. It is safe for concurrent use.
type Bytes struct{}

// Encode returns value, which must be a []byte or nil.
func (Bytes) Encode(value any) ([]byte, error) {
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("codecs: bytes codec: got %T, want []byte", value)
}

// Decode returns data.
func (Bytes) Decode(data []byte) (any, error) { return data, nil }

// JSON is the goka codec of T as JSON (encoding/json), for table state and loopback topics: it
// needs no registry, the bytes are readable with any Kafka tool, and a field added to T reads
// as its zero value from older state (unknown fields are ignored). Encode takes a T or a
// non-nil *T; Decode returns a *T, which a goka callback may update in place and store again.
// Bytes that are not JSON of T give an error wrapping ErrMalformed. It is safe for concurrent
// use.
type JSON[T any] struct{}

// Encode marshals value.
func (JSON[T]) Encode(value any) ([]byte, error) {
	switch v := value.(type) {
	case T:
		return json.Marshal(v)
	case *T:
		if v != nil {
			return json.Marshal(v)
		}
	}
	var want T
	return nil, fmt.Errorf("codecs: json codec: got %T, want %T", value, want)
}

// Decode unmarshals data into a new T.
func (JSON[T]) Decode(data []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("codecs: json codec: %w: %T: %v", ErrMalformed, *v, err)
	}
	return v, nil
}
