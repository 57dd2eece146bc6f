// Package analytics is the processor from keypoint events to actions and window statistics:
// posture changes, exercise reps and falls (the actions topic) and event-time tumbling windows
// of per-user aggregates (the pose-stats topic), both keyed by user; with several people per
// camera, by person (see Several people per camera).
//
// # Topology
//
// Keypoint events arrive keyed by camera, but everything here is per user, so the input
// callback (Config.Route) decodes the record with the injected decoder and re-keys it with goka's
// loopback: ctx.Loopback(user, event), the user being the event's UserID or, when empty, its
// camera id. The loopback callback (Config.Process) runs in the user's partition and owns the
// user's state. A record that cannot be decoded is counted and skipped; it never stops the
// processor. The loopback carries the event as JSON without its face and hand landmarks.
// An event with people is fanned out instead, one loopback record per person (see Several
// people per camera).
//
// # State
//
// The group table holds one UserState per user, as JSON (codecs.JSON[UserState]):
//
//	UserState
//	  Events, Invalid, OutOfOrder   counters of the user's events
//	  Person                        the row is a person's (PersonKey), deleted once idle
//	  Undecodable                   bad input records (in the entry of the record's key, a camera)
//	  LastAt, LastPosture           the newest event time the state machines took, its posture
//	  Posture   PostureTracker      reported posture and the debouncing candidate
//	  Squat, JumpingJack RepCounter rep state machines: phase, since, count
//	  Fall      FallDetector        smoothed hip speed, pending drop, last fall
//	  Motion                        the previous detected frame's landmarks, for motion energy
//	  Windows                       open windows (at most WindowSpec.MaxOpen), watermark,
//	                                closed-through mark, LateDropped, SeenAt (wall clock)
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
//     When it advances, SeenAt takes the wall-clock time.
//
// # Idle users
//
// By the rules above a window closes only when a later event of the same user moves the
// watermark past its end plus Grace, so a user who stops sending would never get its last
// window. Kafka Streams lets wall-clock time stand in for stream time on an idle partition;
// here, per user, stream time goes on at the wall clock's pace while the user's watermark
// stands still: at wall-clock time now it is Watermark + (now - SeenAt) (Windows.IdleStreamTime),
// and every window whose end plus Grace that has reached is emitted and dropped
// (Windows.FlushIdle). So the last window of a user who stops comes out about its end plus Grace
// after its last event, by the wall clock: end + Grace - last event time after that event
// arrived, and at most FlushInterval later. The watermark does not move; an event that comes
// for a window closed so is late, counted in LateDropped as an event beyond the grace is, and
// one for a later window opens it as usual.
//
// goka has no punctuators, and a window can only be closed safely where the user's state lives:
// in the user's partition, between two of its events. So the Punctuator, beside the processor
// in every instance, reads the group table through a goka View every FlushInterval (half the
// grace, 1 s to 10 s), and sends each user whose oldest window is due (Windows.IdleDue) a
// control record on the group's own loopback topic, keyed by the user: no value and the header
// ControlHeader = FlushControl. Process, which no event reaches without a value or with that
// header, runs Config.Flush for it, deciding again from the state it holds then. A flush with
// nothing due changes nothing and emits nothing, so duplicates (every instance sends for every
// user) and flushes a stale view asked for are harmless, and a flush is never counted as an
// event. An instance of an older version skips the record: goka drops records without a value
// unless told otherwise (Punctuator.ProcessorOptions tells it).
//
// After a rebalance an instance holds each partition's idle clock back to the moment it was
// assigned the partition (Punctuator.Rebalanced): the events the partition's previous owner had
// not processed come as a backlog, and until they are in, a user is behind, not idle. A stall
// upstream (the landmarks processor down) longer than the grace looks like idleness: the
// windows close, and the events that arrive for them afterwards count as late.
//
// A person's row (see below) is deleted by a flush once the person has been idle for
// WindowSpec.ForgetPeople (Config.ForgetPeople; by default three windows plus the grace) and
// its windows are all closed and emitted, in that same flush; the punctuator sends a person's
// row with no window open a flush when that time comes (Windows.ForgetDue). The metric
// holostream_analytics_people_forgotten_total counts them. A user's row is never deleted.
//
// All of it lives in the group table, so a user whose partition moves to another instance keeps
// its windows, rep counts and pending fall there.
//
// # Several people per camera
//
// When the landmarks processor follows several people per camera (--max-people N > 1), a
// keypoint event carries them in People, each with a track id that the camera never reuses. Such
// an event is no user's: Route sends one loopback record per person, keyed by
// PersonKey(event, id), "<camera>#<id>" for an event without a user id and
// "<user>#<camera>#<id>" otherwise (the camera is always in it: track ids are per camera, and
// a user may have several cameras). The record is the event with the person's landmarks as its
// own (status DETECTED, trimmed as every loopback event) and no people. Each person is then a
// user of its own: everything above holds per person key, which is the UserID of the person's
// actions and pose-stats (an action's CameraID names the camera as well). The user's own key
// gets none of these records. The ids the gateway takes cannot hold '#', so there a person key
// never names a user.
//
// An event without people goes to the user's key as it always did. In one-person mode that is
// every event, and nothing changes: the state and outputs are those of before people existed.
// With several people it is a frame where nobody was found (NO_PERSON): a person's windows
// count the frames the person was seen in, and the user's windows the frames with nobody in
// them (its detection rate 0), so a consumer can still tell a camera that saw nobody from one
// that sent nothing.
//
// Track ids follow a person while tracking keeps them; a person lost and found again is a new
// id, so a new key with a new state (rep counts from 0). A person stays in the table
// ForgetPeople after its last event (see Idle users), so the table holds the people seen lately,
// not every passer-by of the day.
package analytics
