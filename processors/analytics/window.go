package analytics

import (
	"time"

	"github.com/holostream/holostream/schemas"
)

// WindowSpec configures event-time tumbling windows.
type WindowSpec struct {
	// Size is the window length; windows are [start, start+Size) with start a multiple of Size
	// since the Unix epoch.
	Size time.Duration
	// Grace is how long after a window's end (in event time: the watermark) events for it are
	// still taken.
	Grace time.Duration
	// MaxOpen bounds the open windows per user; when one more opens, the oldest closes early.
	// 0 means DefaultMaxOpen.
	MaxOpen int
	// ForgetPeople is how long the row of one person (UserState.Person, PersonKey) stays in the
	// table once the person is idle, by the idle clock of the windows (Windows.SeenAt): a flush
	// at least this long after the person's last event, with all its windows closed and emitted,
	// deletes the row. 0 means DefaultForgetPeople; negative, never. Rows of users are never
	// deleted.
	ForgetPeople time.Duration
}

// DefaultForgetPeople is WindowSpec.ForgetPeople's default for windows of spec: three windows
// plus the grace. A track id is never reused on its camera, so a person idle that long is gone
// for good; the table would otherwise grow with every passer-by.
func DefaultForgetPeople(spec WindowSpec) time.Duration {
	return 3*spec.Size + spec.Grace
}

// forgetPeople is ForgetPeople with its default; false: never.
func (s WindowSpec) forgetPeople() (time.Duration, bool) {
	switch {
	case s.ForgetPeople < 0:
		return 0, false
	case s.ForgetPeople == 0:
		return DefaultForgetPeople(s), true
	}
	return s.ForgetPeople, true
}

// DefaultMaxOpen is WindowSpec.MaxOpen's default. With the watermark rule at most
// Grace/Size + 2 windows are open at once; 16 leaves room for any sane grace while keeping a user
// whose camera jumps around in time from growing the table entry without bound.
const DefaultMaxOpen = 16

func (s WindowSpec) maxOpen() int {
	if s.MaxOpen <= 0 {
		return DefaultMaxOpen
	}
	return s.MaxOpen
}

// postures indexes Window.PostureSeconds.
var postures = [...]schemas.Posture{
	schemas.PostureUnknown, schemas.PostureStanding, schemas.PostureSitting,
	schemas.PostureSquatting, schemas.PostureLying, schemas.PostureHandsRaised,
}

const numPostures = len(postures)

func postureIndex(p schemas.Posture) int {
	for i, q := range postures {
		if p == q {
			return i
		}
	}
	return 0
}

// Window is the running aggregate of one open window. Plain data: it is part of UserState.
// Arrays rather than maps keep the per-event work free of allocations.
type Window struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Frames   int32     `json:"frames"`
	Detected int32     `json:"detected"`
	Late     int32     `json:"late"`
	// AngleSum and AngleN sum each joint's angle (degrees) over the detected frames that
	// measured it; indexed by Joint.
	AngleSum [NumJoints]float64 `json:"angle_sum"`
	AngleN   [NumJoints]int32   `json:"angle_n"`
	// MotionSum sums, over pairs of consecutive detected frames whose later frame is in the
	// window, the mean squared landmark speed ((normalized units/s)^2); MotionN counts the pairs.
	MotionSum float64 `json:"motion_sum"`
	MotionN   int32   `json:"motion_n"`
	// PostureSeconds is indexed like postures (UNKNOWN, STANDING, SITTING, SQUATTING, LYING,
	// HANDS_RAISED).
	PostureSeconds [numPostures]float64 `json:"posture_seconds"`
	Reps           [NumExercises]int32  `json:"reps"` // indexed by Exercise
	Falls          int32                `json:"falls"`
}

// Windows is a user's open windows and watermark. Plain data: it is part of UserState.
type Windows struct {
	Open []Window `json:"open,omitempty"` // by start, not overlapping
	// Watermark is the latest event time seen.
	Watermark time.Time `json:"watermark"`
	// ClosedThrough is the end of the latest window closed: events before it are late.
	ClosedThrough time.Time `json:"closed_through"`
	// LateDropped counts events whose window had already closed.
	LateDropped int64 `json:"late_dropped"`
	// SeenAt is when the watermark last moved, by the wall clock of the instance that moved it.
	// While it stands still the user is idle, and FlushIdle lets stream time go on from there.
	// Zero in states written before it existed.
	SeenAt time.Time `json:"seen_at"`
}

// Assign returns the window event time t belongs to, opening it when it is the first event in it.
// It returns nil, and counts the event in LateDropped, when that window has closed. late reports
// that the window's end had already passed the watermark (the event came within the grace).
func (ws *Windows) Assign(t time.Time, spec WindowSpec) (w *Window, late bool) {
	if t.Before(ws.ClosedThrough) {
		ws.LateDropped++
		return nil, false
	}
	i := 0
	for ; i < len(ws.Open) && !t.Before(ws.Open[i].Start); i++ {
		if t.Before(ws.Open[i].End) {
			w = &ws.Open[i]
			return w, !ws.Watermark.Before(w.End)
		}
	}
	start := align(t, spec.Size)
	end := start.Add(spec.Size)
	if !ws.Watermark.Before(end.Add(spec.Grace)) {
		ws.LateDropped++
		return nil, false
	}
	// Windows keep the bounds they opened with; if Size changed since, a new window is clipped
	// to its neighbours so windows never overlap. t stays inside it.
	if i > 0 && ws.Open[i-1].End.After(start) {
		start = ws.Open[i-1].End
	}
	if start.Before(ws.ClosedThrough) {
		start = ws.ClosedThrough
	}
	if i < len(ws.Open) && ws.Open[i].Start.Before(end) {
		end = ws.Open[i].Start
	}
	ws.Open = append(ws.Open, Window{})
	copy(ws.Open[i+1:], ws.Open[i:])
	ws.Open[i] = Window{Start: start, End: end}
	w = &ws.Open[i]
	return w, !ws.Watermark.Before(end)
}

// align is the start of the Size-long window holding t, counted from the Unix epoch.
func align(t time.Time, size time.Duration) time.Time {
	ns, s := t.UnixNano(), int64(size)
	r := ns % s
	if r < 0 {
		r += s
	}
	return time.Unix(0, ns-r).UTC()
}

// CreditPosture adds the time in [from, to) spent in posture p to the open windows it overlaps.
func (ws *Windows) CreditPosture(from, to time.Time, p schemas.Posture) {
	k := postureIndex(p)
	for i := range ws.Open {
		w := &ws.Open[i]
		a, b := later(from, w.Start), earlier(to, w.End)
		if a.Before(b) {
			w.PostureSeconds[k] += b.Sub(a).Seconds()
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Advance moves the watermark to t when t is later and closes windows: every window whose end
// plus grace the watermark has reached, then the oldest while more than MaxOpen are open. Closed
// windows are appended to closed, oldest first, and dropped from ws.
func (ws *Windows) Advance(t time.Time, spec WindowSpec, closed []Window) []Window {
	if t.After(ws.Watermark) {
		ws.Watermark = t
	}
	n := 0
	for n < len(ws.Open) && (!ws.Watermark.Before(ws.Open[n].End.Add(spec.Grace)) || len(ws.Open)-n > spec.maxOpen()) {
		n++
	}
	return ws.close(n, closed)
}

// close appends the n oldest open windows to closed and drops them; events before the end of
// the last of them are late from now on.
func (ws *Windows) close(n int, closed []Window) []Window {
	if n == 0 {
		return closed
	}
	closed = append(closed, ws.Open[:n]...)
	ws.ClosedThrough = later(ws.ClosedThrough, ws.Open[n-1].End)
	ws.Open = append(ws.Open[:0], ws.Open[n:]...)
	if len(ws.Open) == 0 {
		ws.Open = nil
	}
	return closed
}

// idleStart is when the user's idle clock starts: when the watermark last moved (SeenAt), but
// no earlier than notBefore.
func (ws *Windows) idleStart(notBefore time.Time) time.Time {
	return later(ws.SeenAt, notBefore)
}

// IdleStreamTime is the user's stream time at wall-clock time now when it has sent nothing
// since its watermark last moved: the watermark, gone on at the wall clock's pace from
// idleStart(notBefore). Before that it is the watermark.
func (ws *Windows) IdleStreamTime(now, notBefore time.Time) time.Time {
	from := ws.idleStart(notBefore)
	if !now.After(from) {
		return ws.Watermark
	}
	return ws.Watermark.Add(now.Sub(from))
}

// IdleDue is the wall-clock time at which FlushIdle closes the oldest open window if the user
// sends nothing more; false when no window is open.
func (ws *Windows) IdleDue(notBefore time.Time, spec WindowSpec) (time.Time, bool) {
	if len(ws.Open) == 0 {
		return time.Time{}, false
	}
	return ws.idleStart(notBefore).Add(ws.Open[0].End.Add(spec.Grace).Sub(ws.Watermark)), true
}

// ForgetDue is the wall-clock time from which a person's row with these windows may be deleted
// if the person sends nothing more (WindowSpec.ForgetPeople): ForgetPeople after the idle clock
// starts. false when people are never forgotten. The row goes only once no window is open.
func (ws *Windows) ForgetDue(notBefore time.Time, spec WindowSpec) (time.Time, bool) {
	d, ok := spec.forgetPeople()
	if !ok {
		return time.Time{}, false
	}
	return ws.idleStart(notBefore).Add(d), true
}

// FlushIdle closes, as Advance would, every window whose end plus grace the idle stream time
// (IdleStreamTime) has reached at wall-clock time now, so that a user who stops sending gets
// its last windows. notBefore holds the idle clock back (see Punctuator): until then the user
// does not count as idle. The watermark does not move: it stays the latest event time, which
// new windows are checked against, while events before ClosedThrough are late as after Advance.
// Nothing changes when nothing is due, so flushing again is harmless.
func (ws *Windows) FlushIdle(now, notBefore time.Time, spec WindowSpec, closed []Window) []Window {
	stream := ws.IdleStreamTime(now, notBefore)
	n := 0
	for n < len(ws.Open) && !stream.Before(ws.Open[n].End.Add(spec.Grace)) {
		n++
	}
	return ws.close(n, closed)
}

// Add counts one frame and, when detected, its angles.
func (w *Window) Add(detected bool, a *Angles) {
	w.Frames++
	if !detected {
		return
	}
	w.Detected++
	for j := range NumJoints {
		if a.Valid[j] {
			w.AngleSum[j] += float64(a.Deg[j])
			w.AngleN[j]++
		}
	}
}

// Stats is the window's PoseStats for user. Maps are never nil and hold only what was measured:
// joints measured at least once, postures with time, exercises with reps.
func (w *Window) Stats(user string) schemas.PoseStats {
	s := schemas.PoseStats{
		UserID: user, WindowStart: w.Start, WindowEnd: w.End,
		Frames: w.Frames, Detected: w.Detected, Falls: w.Falls, LateEvents: w.Late,
		MeanAngles:     map[string]float32{},
		PostureSeconds: map[string]float32{},
		Reps:           map[string]int32{},
	}
	if w.Frames > 0 {
		s.DetectionRate = float32(w.Detected) / float32(w.Frames)
	}
	for j := range NumJoints {
		if w.AngleN[j] > 0 {
			s.MeanAngles[j.String()] = float32(w.AngleSum[j] / float64(w.AngleN[j]))
		}
	}
	if w.MotionN > 0 {
		s.MotionEnergy = float32(w.MotionSum / float64(w.MotionN))
	}
	for i, sec := range w.PostureSeconds {
		if sec > 0 {
			s.PostureSeconds[string(postures[i])] = float32(sec)
		}
	}
	for e := range NumExercises {
		if w.Reps[e] > 0 {
			s.Reps[e.String()] = w.Reps[e]
		}
	}
	return s
}
