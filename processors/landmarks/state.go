package landmarks

import (
	"encoding/json"
	"fmt"
)

// StateCodec is the goka codec of the group table: CameraState as JSON. JSON keeps the table
// readable with any Kafka tool and lets fields be added without a migration (unknown fields are
// ignored, missing ones are zero).
type StateCodec struct{}

// Encode accepts a *CameraState or a CameraState.
func (StateCodec) Encode(v any) ([]byte, error) {
	switch s := v.(type) {
	case *CameraState:
		return json.Marshal(s)
	case CameraState:
		return json.Marshal(&s)
	default:
		return nil, fmt.Errorf("landmarks: state codec: cannot encode %T", v)
	}
}

// Decode returns a *CameraState.
func (StateCodec) Decode(data []byte) (any, error) {
	s := new(CameraState)
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("landmarks: state codec: %w", err)
	}
	return s, nil
}
