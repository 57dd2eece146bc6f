package analytics

import (
	"encoding/json"
	"fmt"
)

// Codec is a goka.Codec that encodes a T or *T as JSON and decodes to a *T. The processor uses
// Codec[UserState] for its table (readable with any Kafka tool; fields can be added without a
// migration: unknown ones are ignored, missing ones are zero) and Codec[schemas.KeypointEvent]
// for its loopback topic. Safe for concurrent use.
type Codec[T any] struct{}

// Encode accepts a T or a *T.
func (Codec[T]) Encode(v any) ([]byte, error) {
	switch x := v.(type) {
	case *T:
		if x == nil {
			return nil, fmt.Errorf("analytics: codec: nil %T", v)
		}
		return json.Marshal(x)
	case T:
		return json.Marshal(&x)
	default:
		var zero T
		return nil, fmt.Errorf("analytics: codec: cannot encode %T as %T", v, zero)
	}
}

// Decode returns a *T.
func (Codec[T]) Decode(data []byte) (any, error) {
	x := new(T)
	if err := json.Unmarshal(data, x); err != nil {
		return nil, fmt.Errorf("analytics: codec: %w", err)
	}
	return x, nil
}
