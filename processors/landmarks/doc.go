// Package landmarks is the processor from camera frames to keypoint events.
//
// Input: the frames topic as raw bytes, key = camera id. The callback decodes the Frame
// envelope and the image itself, so a bad record is data, not a crash: it goes to the dead-letter
// topic with a reason and the processor carries on.
//
// State: one CameraState per camera in the group table: the last sequence number and capture time,
// the landmarker's tracking state (model.Track: the next frame's ROI and the smoothing filters), and
// counters. Because tracking lives in the table, a camera whose partition moves to another
// instance keeps being tracked there.
//
// Accounting: every frame received is counted in exactly one outcome, so per camera
//
//	Received = Emitted + DeadLettered + Stale + Duplicate
//
// Emitted frames produce exactly one KeypointEvent (DETECTED or NO_PERSON). A frame whose seq is
// not above the last one seen is a duplicate (or out of order) and is dropped; a gap in seq resets
// tracking; a frame older than MaxAge (wall clock minus captured_at) is dropped as stale.
//
// Delivery is at-least-once (goka commits offsets after the outputs are acknowledged, without
// transactions). After a crash the new owner of a partition reads again the records after the
// last committed offset; the table already holds their state, but their keypoint events may not
// have landed. The state remembers the partition and offset of the last record, so such a
// redelivery is told from a duplicate: it is processed and emitted again (downstream dedupes by
// camera and seq) and counted in Redelivered, not again in the outcomes above.
package landmarks
