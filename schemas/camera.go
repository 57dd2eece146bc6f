package schemas

import "time"

// CameraView is one camera's state as holostream shows it: the objects of GET /v1/cameras and
// /v1/cameras/{id}, and what `holostream state` prints. It is a read model, not an Avro
// contract: the landmarks processor builds it from its table value (landmarks.CameraState.View)
// and the gateway serves it as JSON, so neither needs the other. Field names and order are the
// API's.
type CameraView struct {
	ID             string    `json:"camera_id"`
	LastSeq        int64     `json:"last_seq"`
	LastCapturedAt time.Time `json:"last_captured_at"`
	// Tracking is true while the previous frame's landmarks give the next frame's region, so
	// the detector is skipped.
	Tracking bool           `json:"tracking"`
	Counters CameraCounters `json:"counters"`
	// Balanced: every frame received is emitted, dead-lettered, stale or a duplicate.
	Balanced bool `json:"balanced"`
}

// CameraCounters account for every frame of a camera. The landmarks processor keeps them in its
// table value and CameraView shows them as they are.
type CameraCounters struct {
	Received     int64 `json:"received"`
	Emitted      int64 `json:"emitted"`
	DeadLettered int64 `json:"dead_lettered"`
	Stale        int64 `json:"stale"`
	Duplicate    int64 `json:"duplicate"`
	// Not outcomes: details of emitted frames and of the sequence.
	Detected int64 `json:"detected"`
	Gaps     int64 `json:"gaps"`
	// Restarts counts the times the camera's producer started counting again from a lower seq
	// (a frame at or below the last seq, captured after the last frame).
	Restarts int64 `json:"restarts"`
	// Redelivered counts records read again after a crash (at-least-once): processed and emitted
	// again, but not counted again above.
	Redelivered int64 `json:"redelivered"`
}

// Balanced reports whether every frame received is accounted for.
func (c CameraCounters) Balanced() bool {
	return c.Received == c.Emitted+c.DeadLettered+c.Stale+c.Duplicate
}
