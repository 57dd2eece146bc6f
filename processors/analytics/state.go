package analytics

import (
	"math"
	"time"

	"github.com/holostream/holostream/schemas"
)

// UserState is the group table's value for one user: everything the processor remembers between
// events. Plain data, encoded as JSON (Codec).
type UserState struct {
	// Counters. Every keypoint event taken by Apply is counted in Events; of those, Invalid had
	// no usable event time and went no further; the rest went to the windows (LateDropped in
	// Windows counts those whose window had closed) and, unless counted in OutOfOrder (not
	// later than LastAt), to the state machines.
	Events     int64 `json:"events"`
	Invalid    int64 `json:"invalid"`
	OutOfOrder int64 `json:"out_of_order"`
	// Undecodable counts keypoints records under this key that could not be decoded. Those
	// records are keyed by camera, so this counter lives in the entry of the camera id.
	Undecodable int64 `json:"undecodable"`

	// LastAt is the event time of the last event the state machines took; LastPosture is that
	// frame's posture (not debounced), which the time until the next event is credited to.
	LastAt      time.Time       `json:"last_at"`
	LastPosture schemas.Posture `json:"last_posture,omitempty"`
	CameraID    string          `json:"camera_id,omitempty"` // the camera of the last event
	// Person marks the row of one person of a camera (PersonKey), which a flush deletes once
	// the person has been idle for WindowSpec.ForgetPeople (Forgotten); false for a user's row.
	Person bool `json:"person,omitempty"`

	Posture     PostureTracker `json:"posture"`
	Squat       RepCounter     `json:"squat"`
	JumpingJack RepCounter     `json:"jumping_jack"`
	Fall        FallDetector   `json:"fall"`
	Motion      Motion         `json:"motion"`
	Windows     Windows        `json:"windows"`
}

// counter returns the rep counter of exercise e.
func (s *UserState) counter(e Exercise) *RepCounter {
	if e == JumpingJack {
		return &s.JumpingJack
	}
	return &s.Squat
}

// Output is what one event, or one flush, produced. Apply and Flush append to it; reuse it with
// Reset.
type Output struct {
	Actions []schemas.ActionEvent
	Stats   []schemas.PoseStats
	// Flush marks the output of a Flush: windows closed by the wall clock, no event.
	Flush bool
	// Forgotten marks a flush that deleted a person's row (UserState.Forgotten).
	Forgotten bool
	closed    []Window
}

// Reset empties o, keeping its memory.
func (o *Output) Reset() {
	o.Actions, o.Stats, o.closed, o.Flush = o.Actions[:0], o.Stats[:0], o.closed[:0], false
	o.Forgotten = false
}

// Event-time sanity: events outside this range cannot be windowed (time.UnixNano's range) and
// are counted as Invalid; so are events captured more than maxClockSkew after the landmarks
// processor handled them, a camera clock running ahead that would otherwise drag the watermark
// into the future and make every later event late.
const maxClockSkew = time.Minute

var (
	minEventTime = time.Unix(0, 0)
	maxEventTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// EventTime is an event's event time: CapturedAt, or ProcessedAt when the capture time is
// missing. false when neither is usable.
func EventTime(ev *schemas.KeypointEvent) (time.Time, bool) {
	t := ev.CapturedAt
	if t.IsZero() {
		t = ev.ProcessedAt
	}
	if t.Before(minEventTime) || !t.Before(maxEventTime) {
		return time.Time{}, false
	}
	if !ev.ProcessedAt.IsZero() && t.Sub(ev.ProcessedAt) > maxClockSkew {
		return time.Time{}, false
	}
	return t, true
}

// postureGapCap bounds the time credited to a posture between two events, so a camera that
// stops for an hour does not credit the hour to its last posture.
const postureGapCap = time.Second

// Apply takes one keypoint event of user (the table key) and appends the actions and closed
// windows it produced to out. It never fails: what cannot be used is counted.
func (s *UserState) Apply(user string, ev *schemas.KeypointEvent, spec WindowSpec, out *Output) {
	s.Events++
	t, ok := EventTime(ev)
	if !ok {
		s.Invalid++
		return
	}
	detected := ev.Status == schemas.StatusDetected && ev.Pose != nil
	var body Body
	posture := schemas.PostureUnknown
	if detected {
		body = Measure(ev.Pose, ev.Width, ev.Height)
		posture = Classify(&body)
	}
	w, late := s.Windows.Assign(t, spec)
	if w != nil {
		w.Add(detected, &body.Angles)
		if late {
			w.Late++
		}
	}
	if t.After(s.LastAt) {
		s.step(user, ev, t, detected, &body, posture, out)
	} else {
		s.OutOfOrder++
	}
	out.closed = s.Windows.Advance(t, spec, out.closed[:0])
	for i := range out.closed {
		out.Stats = append(out.Stats, out.closed[i].Stats(user))
	}
}

// Flush closes the windows of user that its idle stream time has passed at wall-clock time now
// (Windows.FlushIdle; notBefore holds the idle clock back) and appends their stats to out, marked
// as a flush. It reports whether anything closed: if not, s is unchanged. It takes no event: the
// counters, the watermark and the state machines stay as they are.
func (s *UserState) Flush(user string, now, notBefore time.Time, spec WindowSpec, out *Output) bool {
	out.Flush = true
	out.closed = s.Windows.FlushIdle(now, notBefore, spec, out.closed[:0])
	for i := range out.closed {
		out.Stats = append(out.Stats, out.closed[i].Stats(user))
	}
	return len(out.closed) > 0
}

// Forgotten says whether s, at wall-clock time now, is the row of a person (Person) idle for
// spec.ForgetPeople since its idle clock started (notBefore holds it back, as for Flush) with no
// window open: a row to delete.
func (s *UserState) Forgotten(now, notBefore time.Time, spec WindowSpec) bool {
	if !s.Person || len(s.Windows.Open) > 0 {
		return false
	}
	at, ok := s.Windows.ForgetDue(notBefore, spec)
	return ok && !now.Before(at)
}

// step runs the state machines on an event later than any before.
func (s *UserState) step(user string, ev *schemas.KeypointEvent, t time.Time, detected bool, b *Body, p schemas.Posture, out *Output) {
	if !s.LastAt.IsZero() {
		s.Windows.CreditPosture(s.LastAt, earlier(t, s.LastAt.Add(postureGapCap)), s.LastPosture)
	}
	s.LastAt, s.LastPosture, s.CameraID = t, p, ev.CameraID
	// The current event's window is open: t is the latest event time, so it was not dropped.
	w := s.window(t)
	action := func(kind schemas.ActionKind) schemas.ActionEvent {
		return schemas.ActionEvent{
			UserID: user, CameraID: ev.CameraID, Seq: ev.Seq, At: t, Kind: kind,
			Posture: s.Posture.Reported(), Confidence: float32(b.Confidence),
		}
	}
	if prev, changed := s.Posture.Update(t, p); changed {
		a := action(schemas.ActionPostureChanged)
		a.PreviousPosture = prev
		out.Actions = append(out.Actions, a)
	}
	if e, ok := s.Motion.Update(t, ev.Pose, detected); ok && w != nil {
		w.MotionSum += e
		w.MotionN++
	}
	if !detected {
		return
	}
	for e := range NumExercises {
		c := s.counter(e)
		if c.Update(t, e.Signal(b), e.Limits()) {
			a := action(schemas.ActionRep)
			a.Exercise, a.RepCount = e.String(), c.Count
			out.Actions = append(out.Actions, a)
			if w != nil {
				w.Reps[e]++
			}
		}
	}
	if s.Fall.Update(t, b, p) {
		out.Actions = append(out.Actions, action(schemas.ActionFall))
		if w != nil {
			w.Falls++
		}
	}
}

// window is the open window holding t, or nil.
func (s *UserState) window(t time.Time) *Window {
	for i := range s.Windows.Open {
		w := &s.Windows.Open[i]
		if !t.Before(w.Start) && t.Before(w.End) {
			return w
		}
	}
	return nil
}

// Motion energy: the mean, over the landmarks visible in two consecutive detected frames, of
// their squared image speed in normalized units per second. Frames further apart than
// motionMaxGap (or with a frame without a person between them) are not a pair: the speed over a
// hole is not motion anyone saw.
const (
	motionMaxGap = time.Second
	maxMotion    = 1e6 // a bound on one pair's energy: landmarks jumping across the frame every millisecond
)

// Motion is the previous detected frame, for motion energy. Plain data: it is part of UserState.
type Motion struct {
	At time.Time `json:"at"`
	// XY holds x, y of the 33 image landmarks (normalized); Mask has bit i set for those visible.
	// Nil when there is no previous frame.
	XY   []float32 `json:"xy,omitempty"`
	Mask uint64    `json:"mask,omitempty"`
}

// Update takes a frame at t and returns the motion energy between the previous frame and this
// one, when both are detected and close enough in time.
func (m *Motion) Update(t time.Time, p *schemas.Pose, detected bool) (float64, bool) {
	if !detected || p == nil {
		m.XY, m.Mask = nil, 0
		return 0, false
	}
	var mask uint64
	var sum float64
	var n int
	dt := t.Sub(m.At).Seconds()
	pair := m.XY != nil && dt > 0 && t.Sub(m.At) <= motionMaxGap
	if len(m.XY) != 2*numLandmarks {
		m.XY, pair = make([]float32, 2*numLandmarks), false
	}
	for i := 0; i < numLandmarks && i < len(p.Landmarks); i++ {
		l := p.Landmarks[i]
		if l.Visibility < MinVisibility || !usable(l.X, l.Y) {
			continue
		}
		if pair && m.Mask&(1<<i) != 0 {
			dx := (float64(l.X) - float64(m.XY[2*i])) / dt
			dy := (float64(l.Y) - float64(m.XY[2*i+1])) / dt
			sum += dx*dx + dy*dy
			n++
		}
		m.XY[2*i], m.XY[2*i+1] = l.X, l.Y
		mask |= 1 << i
	}
	m.At, m.Mask = t, mask
	if n == 0 {
		return 0, false
	}
	return math.Min(sum/float64(n), maxMotion), true
}
