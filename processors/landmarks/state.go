package landmarks

import (
	"encoding/json"
	"errors"
	"fmt"
)

// StateCodec is the goka codec of the group table: CameraState as JSON. JSON keeps the table
// readable with any Kafka tool and lets fields be added without a migration (unknown fields are
// ignored, missing ones are zero).
type StateCodec struct{}

// Encode accepts a *CameraState or a CameraState. A tracking state that JSON cannot hold (a NaN
// or an infinity from a degenerate frame) is dropped rather than failing the write, which would
// stop the processor: the camera's next frame starts tracking afresh.
func (StateCodec) Encode(v any) ([]byte, error) {
	var s CameraState
	switch t := v.(type) {
	case *CameraState:
		s = *t
	case CameraState:
		s = t
	default:
		return nil, fmt.Errorf("landmarks: state codec: cannot encode %T", v)
	}
	b, err := json.Marshal(&s)
	var unsupported *json.UnsupportedValueError
	if errors.As(err, &unsupported) {
		s.Track.Reset()
		b, err = json.Marshal(&s)
	}
	return b, err
}

// Decode returns a *CameraState.
func (StateCodec) Decode(data []byte) (any, error) {
	s := new(CameraState)
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("landmarks: state codec: %w", err)
	}
	return s, nil
}
