// Package analytics is the processor from keypoint events to actions and window statistics:
// posture changes, exercise reps and falls (the actions topic) and event-time tumbling windows
// of per-user aggregates (the pose-stats topic), both keyed by user.
//
// # Topology
//
// Keypoint events arrive keyed by camera, but everything here is per user, so the input
// callback (Config.Route) decodes the record with the injected decoder and re-keys it with goka's
// loopback: ctx.Loopback(user, event), the user being the event's UserID or, when empty, its
// camera id. The loopback callback (Config.Process) runs in the user's partition and owns the
// user's state. A record that cannot be decoded is counted and skipped; it never stops the
// processor. The loopback carries the event as JSON without its face and hand landmarks.
//
// # State
//
// The group table holds one UserState per user, as JSON (Codec[UserState]):
//
//	UserState
//	  Events, Invalid, OutOfOrder   counters of the user's events
//	  Undecodable                   bad input records (in the entry of the record's key, a camera)
//	  LastAt, LastPosture           the newest event time the state machines took, its posture
//	  Posture   PostureTracker      reported posture and the debouncing candidate
//	  Squat, JumpingJack RepCounter rep state machines: phase, since, count
//	  Fall      FallDetector        smoothed hip speed, pending drop, last fall
//	  Motion                        the previous detected frame's landmarks, for motion energy
//	  Windows                       open windows (at most WindowSpec.MaxOpen), watermark,
//	                                closed-through mark, LateDropped
//
// # Semantics
//
// Event time is KeypointEvent.CapturedAt. Per event, in order:
//
//  1. Measure the pose (Measure) and classify its posture (Classify); NO_PERSON is a frame
//     without detection and posture UNKNOWN.
//  2. Windows: the event joins the window [start, start+Window) holding its time, opening it if
//     needed, unless that window has closed (then it is dropped and counted in LateDropped). It
//     counts in LateEvents when the window's end had already passed the watermark.
//  3. State machines, only for events later than LastAt (older ones are counted in OutOfOrder):
//     the time since the previous event (at most 1 s) is credited to the previous frame's
//     posture; the posture tracker emits POSTURE_CHANGED once a new posture holds for 5 frames or
//     0.3 s; the rep counters emit REP with the running count; the fall detector emits FALL.
//     Reps, falls and motion energy count in the event's window. An action's Confidence is the
//     mean visibility of the frame's limb landmarks (0 without a person).
//  4. The watermark (the latest event time) advances; every window whose end plus Grace it has
//     reached is emitted as PoseStats and dropped, then the oldest while too many are open.
//
// All of it lives in the group table, so a user whose partition moves to another instance keeps
// its windows, rep counts and pending fall there.
package analytics
