// Package landmarks is the processor from camera frames to keypoint events.
//
// Input: the frames topic as raw bytes, key = camera id. The callback decodes the Frame
// envelope and the image itself, so a bad record is data, not a crash: it goes to the dead-letter
// topic with a reason and the processor carries on. The image is an encoded one (JPEG, PNG,
// WebP: recognised from its bytes) or raw pixels whose content_type names the layout
// (pixels.DecodeFrame), checked against width, height and stride before anything is allocated.
//
// State: one CameraState per camera in the group table: the last sequence number and capture time,
// the landmarker's tracking state (model.Track: the next frame's ROI and the smoothing filters), and
// counters (schemas.CameraCounters). Because tracking lives in the table, a camera whose
// partition moves to another instance keeps being tracked there. CameraState.View is the
// camera as the gateway and `holostream state` show it (schemas.CameraView, the read model).
//
// Accounting: every frame received is counted in exactly one outcome, so per camera
//
//	Received = Emitted + DeadLettered + Stale + Duplicate
//
// Emitted frames produce exactly one KeypointEvent (DETECTED or NO_PERSON); with a landmarker
// that looks for several people (MaxPeople above 1) it carries them all in people, the first
// being its top-level landmarks (see KeypointEvent). A frame older than
// MaxAge (wall clock minus captured_at) is dropped as stale. Every record is counted, whatever a
// producer wrote: a null value (tombstone) is dead-lettered NULL_VALUE; a record without a key
// is dead-lettered NO_KEY and, having no camera, counted in the metrics only.
//
// The sequence rules (admit.go), against the camera's last seq and capture time:
//   - seq < 0: BAD_SEQ. More than MaxSeqJump ahead of the last: BAD_SEQ, and the last seq does not
//     move (a producer counting wrong, or a hostile one, cannot make every later frame look old).
//   - captured_at before schemas.MinCapturedAt or more than MaxClockSkew ahead of the wall clock:
//     BAD_TIME (every time kept in the state then fits its int64 nanoseconds).
//   - seq at or below the last, captured no later than the last frame: a duplicate (sent twice,
//     or overtaken), dropped.
//   - seq at or below the last, captured after the last frame: the producer restarted its count
//     (a camera rebooted, a seq it could not keep): a new run of the stream, processed, tracking
//     reset, counted in Restarts. This also revives a camera whose first frame claimed a huge seq.
//   - seq more than one above the last: a gap; tracking resets.
//
// Sizes: a dead letter keeps the original record when it fits MaxRecordBytes and its first bytes
// otherwise, with the whole record's size and SHA-256, so writing it cannot fail for its size.
//
// Delivery is at-least-once (goka commits offsets after the outputs are acknowledged, without
// transactions). After a crash the new owner of a partition reads again the records after the
// last committed offset; the table already holds their state, but their keypoint events may not
// have landed. The state remembers the partition and offset of the last record, so such a
// redelivery is told from a duplicate: it is processed and emitted again (downstream dedupes by
// camera and seq) and counted in Redelivered, not again in the outcomes above.
//
// Metrics: Config.Observe is told each frame's outcome as Process decides it, before its writes
// are acknowledged. Committed passes an observation on only once goka commits its record (every
// write it caused acknowledged), so a frame whose keypoint event the broker refused (a missing
// grant) is not counted as emitted, nor again each time it is read again.
package landmarks
