package landmarks

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/holostream/holostream/schemas"
)

// StateCodec is the goka codec of the group table: a CameraState per camera, written on every
// frame, so it is binary and compact: a header, the sequence, capture time and counters, then the
// tracking state in model.Track's own binary form (about 7.6 KB for a pose track; JSON was 30 KB
// and cost 1.3 ms a frame to read and write back). Layout, little-endian, version 2:
//
//	'C' version(1) has_seq(1) last_seq int64 last_captured_at int64 (unix ns, 0 = unset)
//	counters: received emitted dead_lettered stale duplicate detected gaps (int64 x7)
//	version 2: redelivered int64, has_offset(1) last_partition int32 last_offset int64
//	version 3: restarts int64
//	version 4: last_topic: length(1) and its bytes (empty: unknown)
//	track: model.Track.MarshalBinary
//
// Decode also reads versions 1 to 3 and the JSON states of earlier builds (they start with '{'). New
// fields go before the track under a new version.
type StateCodec struct{}

const (
	stateMagic     = 'C'
	stateVersion   = 4
	stateHeaderV1  = 3 + 8 + 8 + 7*8
	stateHeaderV2  = stateHeaderV1 + 8 + 1 + 4 + 8
	stateHeaderV3  = stateHeaderV2 + 8
	stateHeaderV4  = stateHeaderV3 + 1 // and the topic's bytes
	stateHeaderMax = stateHeaderV4 + 255
)

// Encode accepts a *CameraState or a CameraState.
func (StateCodec) Encode(v any) ([]byte, error) {
	var s *CameraState
	switch t := v.(type) {
	case *CameraState:
		s = t
	case CameraState:
		s = &t
	default:
		return nil, fmt.Errorf("landmarks: state codec: cannot encode %T", v)
	}
	b := make([]byte, 0, stateHeaderMax+8192)
	has := byte(0)
	if s.HasSeq {
		has = 1
	}
	b = append(b, stateMagic, stateVersion, has)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.LastSeq))
	var at int64
	if !s.LastCapturedAt.IsZero() {
		at = s.LastCapturedAt.UnixNano()
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(at))
	c := s.Counters
	for _, n := range []int64{c.Received, c.Emitted, c.DeadLettered, c.Stale, c.Duplicate, c.Detected, c.Gaps, c.Redelivered} {
		b = binary.LittleEndian.AppendUint64(b, uint64(n))
	}
	hasOffset := byte(0)
	if s.HasOffset {
		hasOffset = 1
	}
	b = append(b, hasOffset)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.LastPartition))
	b = binary.LittleEndian.AppendUint64(b, uint64(s.LastOffset))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Restarts))
	if len(s.LastTopic) > 255 { // Kafka's own limit is 249
		return nil, fmt.Errorf("landmarks: state codec: topic name of %d bytes", len(s.LastTopic))
	}
	b = append(append(b, byte(len(s.LastTopic))), s.LastTopic...)
	return s.Track.AppendBinary(b)
}

// Decode returns a *CameraState.
func (StateCodec) Decode(data []byte) (any, error) {
	s := new(CameraState)
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, s); err != nil {
			return nil, fmt.Errorf("landmarks: state codec: %w", err)
		}
		return s, nil
	}
	if len(data) < stateHeaderV1 || data[0] != stateMagic {
		return nil, errors.New("landmarks: state codec: not a camera state")
	}
	header := stateHeaderV1
	switch data[1] {
	case 1:
	case 2:
		header = stateHeaderV2
	case 3:
		header = stateHeaderV3
	case 4:
		header = stateHeaderV4
		if len(data) >= header {
			header += int(data[stateHeaderV3])
		}
	default:
		return nil, fmt.Errorf("landmarks: state codec: version %d, this build reads 1 to %d", data[1], stateVersion)
	}
	if len(data) < header {
		return nil, errors.New("landmarks: state codec: truncated camera state")
	}
	s.HasSeq = data[2] == 1
	u := func(i int) int64 { return int64(binary.LittleEndian.Uint64(data[3+8*i:])) }
	s.LastSeq = u(0)
	if at := u(1); at != 0 {
		s.LastCapturedAt = time.Unix(0, at).UTC()
	}
	s.Counters = schemas.CameraCounters{Received: u(2), Emitted: u(3), DeadLettered: u(4), Stale: u(5), Duplicate: u(6), Detected: u(7), Gaps: u(8)}
	if header >= stateHeaderV3 {
		s.Counters.Restarts = int64(binary.LittleEndian.Uint64(data[stateHeaderV2:]))
	}
	if data[1] >= 4 {
		s.LastTopic = string(data[stateHeaderV4:header])
	}
	if header >= stateHeaderV2 {
		s.Counters.Redelivered = u(9)
		s.HasOffset = data[stateHeaderV1+8] == 1
		s.LastPartition = int32(binary.LittleEndian.Uint32(data[stateHeaderV1+9:]))
		s.LastOffset = int64(binary.LittleEndian.Uint64(data[stateHeaderV1+13:]))
	}
	if err := s.Track.UnmarshalBinary(data[header:]); err != nil {
		return nil, fmt.Errorf("landmarks: state codec: %w", err)
	}
	return s, nil
}
