package analytics

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// Config is the processor's wiring and policy. main fills it and calls Validate once.
type Config struct {
	Keypoints      goka.Stream // input, key = camera id
	Actions, Stats goka.Stream // outputs, key = user id
	Window, Grace  time.Duration
	// ForgetPeople is how long a person's row (PersonKey) stays once the person is idle
	// (WindowSpec.ForgetPeople): 0 means DefaultForgetPeople, negative never.
	ForgetPeople    time.Duration
	DecodeKeypoints func([]byte) (schemas.KeypointEvent, error) // the stream package injects the Avro codec
	// Observe, when set, is told what each event, or flush, produced (metrics). out is nil for
	// a record that could not be decoded.
	Observe func(out *Output)
	// Punctuator, when set, holds flushes back while a partition is new to this instance (see
	// Punctuator); without it a flush record is acted on at once.
	Punctuator *Punctuator
	// Now is the wall clock (default time.Now): when a user's watermark moved (Windows.SeenAt)
	// and when a flush runs.
	Now func() time.Time
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// DefaultWindow is the window size when Config.Window is 0.
const DefaultWindow = 10 * time.Second

// Errors of Validate.
var ErrConfig = errors.New("analytics: bad config")

// Validate checks the wiring once, at start.
func (c Config) Validate() error {
	switch {
	case c.Keypoints == "" || c.Actions == "" || c.Stats == "":
		return fmt.Errorf("%w: topics not set", ErrConfig)
	case c.DecodeKeypoints == nil:
		return fmt.Errorf("%w: no keypoints decoder", ErrConfig)
	case c.Window < 0:
		return fmt.Errorf("%w: window %v < 0", ErrConfig, c.Window)
	case c.Grace < 0:
		return fmt.Errorf("%w: grace %v < 0", ErrConfig, c.Grace)
	}
	return nil
}

// Spec is the window spec the processor runs with: Window (DefaultWindow when 0), Grace and
// ForgetPeople.
func (c Config) Spec() WindowSpec {
	s := WindowSpec{Size: c.Window, Grace: max(c.Grace, 0), ForgetPeople: c.ForgetPeople}
	if s.Size <= 0 {
		s.Size = DefaultWindow
	}
	return s
}

// Group is the processor's group graph. Keypoints come in keyed by camera (keypointsCodec passes
// raw bytes; Route decodes them) and go round the group's loopback topic keyed by user, as JSON
// (codecs.JSON[schemas.KeypointEvent]); Process keeps one UserState per user in the group table
// (stateCodec: codecs.JSON[UserState]) and emits actions and window stats keyed by user. The
// loopback topic also carries the Punctuator's control records, which need the processor built
// with Punctuator.ProcessorOptions.
func (c Config) Group(group goka.Group, stateCodec, actionCodec, statsCodec goka.Codec, keypointsCodec goka.Codec) *goka.GroupGraph {
	return goka.DefineGroup(group,
		goka.Input(c.Keypoints, keypointsCodec, c.Route),
		goka.Loop(codecs.JSON[schemas.KeypointEvent]{}, c.Process),
		goka.Persist(stateCodec),
		goka.Output(c.Actions, actionCodec),
		goka.Output(c.Stats, statsCodec),
	)
}

// UserKey is the table key of an event: its user id, or its camera id when it has none.
func UserKey(ev *schemas.KeypointEvent) string {
	if ev.UserID != "" {
		return ev.UserID
	}
	return ev.CameraID
}

// PersonKey is the key of one person of an event, the person whose track id is id: the table
// key of the person's state and the user id (ActionEvent.UserID, PoseStats.UserID) of the
// person's actions and window stats. Track ids are the camera's, so the camera is in the key:
// "<camera>#<id>" for an event without a user id (its UserKey is the camera id), and
// "<user>#<camera>#<id>" otherwise, e.g. "cam-1#2" or "ann#cam-1#2". The track id is the part
// after the last '#'. Ids are not escaped: a user id that looks like one of these keys would
// share its row (the gateway takes no id with '#').
// The format is a contract (schemas.PersonKey): the gateway ties a person's stats to the camera
// with it.
func PersonKey(ev *schemas.KeypointEvent, id int64) string {
	return schemas.PersonKey(ev.UserID, ev.CameraID, id)
}

// Route is the goka callback of the keypoints topic: it decodes a record and re-keys it by user
// through the loopback topic. A record that cannot be decoded is counted (UserState.Undecodable
// under the record's key, a camera id) and skipped.
//
// An event with people (several people per camera) is fanned out instead: one record per
// person, keyed by PersonKey, the event with the person's landmarks as its own (status DETECTED,
// or NO_PERSON for a person without a pose) and no people. The user's key gets none of them.
// An event without people goes to the user's key as it is: the events of one-person mode, and,
// in multi-person mode, the frames where nobody was found, which the user's windows count.
func (c Config) Route(ctx goka.Context, msg any) {
	ev, err := c.decode(msg)
	if err != nil {
		st := state(ctx)
		st.Undecodable++
		ctx.SetValue(st)
		if c.Observe != nil {
			c.Observe(nil)
		}
		return
	}
	if ev.CameraID == "" {
		ev.CameraID = ctx.Key()
	}
	people := ev.People
	ev.People = nil
	if len(people) == 0 {
		trim(&ev)
		ctx.Loopback(UserKey(&ev), &ev)
		return
	}
	for i := range people {
		p := ev
		p.Landmarks, p.Status = people[i].Landmarks, schemas.StatusDetected
		if p.Pose == nil {
			p.Status = schemas.StatusNoPerson
		}
		trim(&p)
		ctx.Loopback(PersonKey(&ev, people[i].ID), &p)
	}
}

// decode turns an input record into an event. It accepts raw bytes (decoded with
// DecodeKeypoints) and, for an input codec that decodes itself, a schemas.KeypointEvent.
func (c Config) decode(msg any) (ev schemas.KeypointEvent, err error) {
	switch m := msg.(type) {
	case []byte:
		if m == nil {
			return ev, errors.New("empty record")
		}
		if c.DecodeKeypoints == nil {
			return ev, errors.New("no keypoints decoder")
		}
		defer func() {
			// The decoder is outside code reading outside bytes: a panic in it is one bad record.
			if r := recover(); r != nil {
				err = fmt.Errorf("keypoints decoder panicked: %v", r)
			}
		}()
		return c.DecodeKeypoints(m)
	case schemas.KeypointEvent:
		return m, nil
	case *schemas.KeypointEvent:
		if m != nil {
			return *m, nil
		}
	}
	return ev, fmt.Errorf("record of type %T", msg)
}

// trim makes an event fit for the loopback topic: it drops what analytics does not use (face and
// hands) and what JSON cannot carry (non-finite numbers, times outside years 0-9999), so
// encoding it cannot fail.
func trim(ev *schemas.KeypointEvent) {
	ev.Face, ev.LeftHand, ev.RightHand = nil, nil, nil
	if !finite32(ev.ProcessingMs) {
		ev.ProcessingMs = 0
	}
	ev.CapturedAt, ev.ProcessedAt = ev.CapturedAt.UTC(), ev.ProcessedAt.UTC() // offsets JSON can write
	if ev.ProcessedAt.Before(minEventTime) || !ev.ProcessedAt.Before(maxEventTime) {
		ev.ProcessedAt = time.Time{}
	}
	if _, ok := EventTime(ev); !ok {
		// Apply counts it as Invalid.
		ev.CapturedAt, ev.ProcessedAt = time.Time{}, time.Time{}
	}
	if ev.Pose == nil {
		return
	}
	for i := range ev.Pose.Landmarks {
		l := &ev.Pose.Landmarks[i]
		if !finite32(l.X, l.Y, l.Z, l.Visibility, l.Presence) {
			*l = schemas.Landmark{}
		}
	}
	for i := range ev.Pose.WorldLandmarks {
		p := &ev.Pose.WorldLandmarks[i]
		if !finite32(p.X, p.Y, p.Z, p.Visibility) {
			*p = schemas.Point{}
		}
	}
}

func finite32(vs ...float32) bool {
	for _, v := range vs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// Process is the goka callback of the loopback topic: one user's event, in the user's partition.
// It applies the event to the user's state and emits the actions and the windows that closed.
// A control record (no value, ControlHeader) is no event: a flush record runs Flush, and any
// other record without a value is skipped, as goka itself would skip it.
func (c Config) Process(ctx goka.Context, msg any) {
	if msg == nil {
		if string(ctx.Headers()[ControlHeader]) == FlushControl {
			c.Flush(ctx)
		}
		return
	}
	st := state(ctx)
	var ev *schemas.KeypointEvent
	switch m := msg.(type) {
	case *schemas.KeypointEvent:
		ev = m
	case schemas.KeypointEvent:
		ev = &m
	}
	if ev == nil {
		st.Events++
		st.Invalid++
		ctx.SetValue(st)
		return
	}
	if ctx.Key() != UserKey(ev) {
		st.Person = true // Route keys only a person's records otherwise
	}
	var out Output
	watermark := st.Windows.Watermark
	st.Apply(ctx.Key(), ev, c.Spec(), &out)
	if st.Windows.Watermark.After(watermark) {
		st.Windows.SeenAt = c.now()
	}
	for i := range out.Actions {
		ctx.Emit(c.Actions, ctx.Key(), out.Actions[i])
	}
	for i := range out.Stats {
		ctx.Emit(c.Stats, ctx.Key(), out.Stats[i])
	}
	ctx.SetValue(st)
	if c.Observe != nil {
		c.Observe(&out)
	}
}

// Flush is the work of a flush record, in the user's partition: it closes the windows that the
// user's stream time, gone on at the wall clock's pace while the user sent nothing, has passed
// (UserState.Flush) and emits them. The idle clock starts no earlier than when this instance was
// assigned the partition (Punctuator). A person's row idle for WindowSpec.ForgetPeople is then
// deleted, once its last window is emitted (UserState.Forgotten). With nothing due it changes
// and emits nothing.
func (c Config) Flush(ctx goka.Context) {
	if ctx.Value() == nil {
		return // no state, so no window
	}
	st := state(ctx)
	now := c.now()
	var notBefore time.Time
	if c.Punctuator != nil {
		notBefore = c.Punctuator.since(ctx.Partition(), now)
	}
	spec := c.Spec()
	var out Output
	closed := st.Flush(ctx.Key(), now, notBefore, spec, &out)
	forget := st.Forgotten(now, notBefore, spec)
	if !closed && !forget {
		return
	}
	for i := range out.Stats {
		ctx.Emit(c.Stats, ctx.Key(), out.Stats[i])
	}
	if forget {
		out.Forgotten = true
		ctx.Delete()
	} else {
		ctx.SetValue(st)
	}
	if c.Observe != nil {
		c.Observe(&out)
	}
}

// state is the key's UserState from the group table, new when there is none. A value of another
// type means the table codec is miswired: a real fault, so the processor stops.
func state(ctx goka.Context) *UserState {
	switch v := ctx.Value().(type) {
	case nil:
		return new(UserState)
	case *UserState:
		if v != nil {
			return v
		}
		return new(UserState)
	case UserState:
		return &v
	default:
		ctx.Fail(fmt.Errorf("analytics: table value of type %T, want *UserState: table codec miswired", v))
		return nil
	}
}
