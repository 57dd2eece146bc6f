package analytics

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is a wall clock the test sets.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// loopTopic is the harness group's loopback topic.
const loopTopic = string(testGroup) + "-loop"

// flush sends user a flush record, as the Punctuator does.
func (h *harness) flush(user string) {
	h.t.Helper()
	h.tt.Consume(loopTopic, user, nil, tester.WithHeaders(goka.Headers{ControlHeader: []byte(FlushControl)}))
}

// TestProcessorFlushesIdleWindows: a user who stops sending gets its windows from flush records
// once they are due by the wall clock; a flush is no event, does nothing when nothing is due,
// and an event for a flushed window is late.
func TestProcessorFlushesIdleWindows(t *testing.T) {
	t.Parallel()
	wall := t0.Add(time.Hour)
	clock := &fakeClock{t: wall}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, Config{Window: time.Second, Grace: 500 * ms, DecodeKeypoints: decodeJSON, Now: clock.now, Observe: m.Observe},
		goka.WithNilHandling(goka.NilProcess))
	stand := worldSide.pose(stance{}, 0.5, 0.5, nil)
	for k := range 13 { // 0 s to 1.2 s at 10 fps
		h.send(worldSide.event("ida", "cam-1", int64(k), time.Duration(k)*100*ms, stand))
	}
	if st := h.state("ida"); st == nil || !st.Windows.SeenAt.Equal(wall) || len(st.Windows.Open) != 2 {
		t.Fatalf("state %+v: want two windows open, seen at the wall clock", st)
	}

	type step struct {
		name   string
		now    time.Duration // after wall
		starts []time.Duration
		frames []int32
	}
	for _, s := range []step{
		{"not due yet", 299 * ms, nil, nil},
		{"[0 s, 1 s) due", 300 * ms, []time.Duration{0}, []int32{10}},
		{"flushed already", 300 * ms, nil, nil},
		{"[1 s, 2 s) due", 1300 * ms, []time.Duration{time.Second}, []int32{3}},
		{"nothing open", time.Hour, nil, nil},
	} {
		clock.set(wall.Add(s.now))
		h.flush("ida")
		stats := h.nextStats()
		var starts []time.Duration
		var frames []int32
		for _, w := range stats {
			starts, frames = append(starts, w.WindowStart.Sub(t0)), append(frames, w.Frames)
		}
		if !slices.Equal(starts, s.starts) || !slices.Equal(frames, s.frames) {
			t.Errorf("%s: windows at %v with %v frames, want at %v with %v", s.name, starts, frames, s.starts, s.frames)
		}
	}
	st := h.state("ida")
	if st.Events != 13 || st.Invalid != 0 || len(st.Windows.Open) != 0 || !st.Windows.Watermark.Equal(t0.Add(1200*ms)) {
		t.Errorf("state %+v: want 13 events, none invalid, no window open, the watermark at 1.2 s", st)
	}
	if n := len(h.nextActions()); n == 0 {
		t.Error("no actions from the events") // the flushes must not have eaten them either
	}

	// An event for a flushed window is late; one for a new window opens it.
	h.send(worldSide.event("ida", "cam-1", 13, 1900*ms, stand))
	h.send(worldSide.event("ida", "cam-1", 14, 2100*ms, stand))
	if st := h.state("ida"); st.Events != 15 || st.Windows.LateDropped != 1 || len(st.Windows.Open) != 1 {
		t.Errorf("after two more events: %d events, %d late dropped, %d open; want 15, 1, 1", st.Events, st.Windows.LateDropped, len(st.Windows.Open))
	}

	// Only a record without a value that carries the header is a flush: without the header it
	// is skipped, and a record with a value is an event whatever its headers.
	h.tt.Consume(loopTopic, "ida", nil)
	h.tt.Consume(loopTopic, "ida", worldSide.event("ida", "cam-1", 15, 2200*ms, stand),
		tester.WithHeaders(goka.Headers{ControlHeader: []byte(FlushControl)}))
	if st := h.state("ida"); st.Events != 16 || st.Invalid != 0 {
		t.Errorf("%d events, %d invalid; want the valued record taken as the 16th event and the bare nil skipped", st.Events, st.Invalid)
	}
	// A flush for a key without state leaves none behind.
	h.flush("nobody")
	if st := h.state("nobody"); st != nil {
		t.Errorf("a flush created state %+v", st)
	}

	for name, c := range map[string]struct {
		got  prometheus.Collector
		want float64
	}{"events": {m.events, 16}, "windows": {m.windows, 2}, "idle windows": {m.idle, 2}} {
		if got := testutil.ToFloat64(c.got); got != c.want {
			t.Errorf("%s counted %v, want %v", name, got, c.want)
		}
	}
}

// TestProcessorFlushWaitsForNewPartition: after its instance is assigned the user's partition,
// a user is idle only from then on, so a backlog can arrive before its windows close.
func TestProcessorFlushWaitsForNewPartition(t *testing.T) {
	t.Parallel()
	wall := t0.Add(time.Hour)
	clock := &fakeClock{t: wall}
	spec := WindowSpec{Size: time.Second, Grace: 500 * ms}
	p := NewPunctuator(spec)
	p.now = clock.now
	h := newHarnessWith(t, Config{Window: spec.Size, Grace: spec.Grace, DecodeKeypoints: decodeJSON, Now: clock.now, Punctuator: p},
		goka.WithNilHandling(goka.NilProcess))
	h.send(worldSide.event("ivo", "cam-1", 0, 1200*ms, nil)) // [1 s, 2 s) open, due at wall + 1.3 s

	clock.set(wall.Add(time.Hour))
	h.flush("ivo")
	if got := h.nextStats(); len(got) != 0 {
		t.Errorf("flushed %d windows in a partition the instance was never assigned", len(got))
	}
	// Assigned a second after the event: due a second later than it would have been.
	clock.set(wall.Add(time.Second))
	p.Rebalanced(goka.Assignment{0: 0})
	clock.set(wall.Add(2299 * ms))
	h.flush("ivo")
	if got := h.nextStats(); len(got) != 0 {
		t.Errorf("flushed %d windows before the assignment + 1.3 s", len(got))
	}
	clock.set(wall.Add(2300 * ms))
	h.flush("ivo")
	if got := h.nextStats(); len(got) != 1 || !got[0].WindowStart.Equal(t0.Add(time.Second)) {
		t.Errorf("flushed %+v, want [1 s, 2 s)", got)
	}
}

// clockRows are table rows for due.
type clockRows struct {
	keys []string
	vals []any
	errs []error
	i    int
}

func (r *clockRows) Next() bool          { r.i++; return r.i <= len(r.keys) }
func (r *clockRows) Key() string         { return r.keys[r.i-1] }
func (r *clockRows) Value() (any, error) { return r.vals[r.i-1], r.errs[r.i-1] }

// TestPunctuatorDue: the punctuator picks the users whose oldest window is due by the wall clock,
// and skips the rows without windows or that it cannot read.
func TestPunctuatorDue(t *testing.T) {
	t.Parallel()
	spec := WindowSpec{Size: time.Second, Grace: 500 * ms}
	wall := t0.Add(time.Hour)
	open := func(end, watermark time.Duration) *userClock {
		return &userClock{Windows: Windows{Open: []Window{{Start: t0.Add(end - time.Second), End: t0.Add(end)}}, Watermark: t0.Add(watermark), SeenAt: wall}}
	}
	rows := &clockRows{
		keys: []string{"due", "not-due", "exactly", "no-windows", "camera", "unreadable", "nil"},
		vals: []any{open(time.Second, 900*ms), open(2*time.Second, 1200*ms), open(time.Second, 1100*ms), &userClock{}, &userClock{Windows: Windows{LateDropped: 3}}, nil, (*userClock)(nil)},
		errs: []error{nil, nil, nil, nil, nil, errors.New("bad json"), nil},
	}
	p := NewPunctuator(spec)
	// End + grace is 1.5 s: "due", with its watermark at 0.9 s, is due 600 ms after SeenAt,
	// "exactly" 400 ms after; "not-due" 1.3 s after.
	got := p.due(wall.Add(400*ms), rows, nil)
	if want := []string{"exactly"}; !slices.Equal(got, want) {
		t.Errorf("due at +400 ms: %v, want %v", got, want)
	}
	rows.i = 0
	got = p.due(wall.Add(600*ms), rows, got[:0])
	if want := []string{"due", "exactly"}; !slices.Equal(got, want) {
		t.Errorf("due at +600 ms: %v, want %v", got, want)
	}
}

// TestPunctuatorDuePeople: a person's row with no window open is due once the person has been
// idle for ForgetPeople; a user's never.
func TestPunctuatorDuePeople(t *testing.T) {
	t.Parallel()
	wall := t0.Add(time.Hour)
	idle := Windows{Watermark: t0, SeenAt: wall}
	rows := &clockRows{
		keys: []string{"user", "cam-1#1"},
		vals: []any{&userClock{Windows: idle}, &userClock{Windows: idle, Person: true}},
		errs: []error{nil, nil},
	}
	for _, c := range []struct {
		forget, now time.Duration
		want        []string
	}{
		{0, 3499 * ms, nil}, // default: 3 windows + grace = 3.5 s
		{0, 3500 * ms, []string{"cam-1#1"}},
		{time.Minute, 3500 * ms, nil},
		{time.Minute, time.Minute, []string{"cam-1#1"}},
		{-1, 24 * time.Hour, nil},
	} {
		rows.i = 0
		p := NewPunctuator(WindowSpec{Size: time.Second, Grace: 500 * ms, ForgetPeople: c.forget})
		if got := p.due(wall.Add(c.now), rows, nil); !slices.Equal(got, c.want) {
			t.Errorf("forget %v, at +%v: due %v, want %v", c.forget, c.now, got, c.want)
		}
	}
}

func TestFlushInterval(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ grace, want time.Duration }{
		{0, time.Second}, {time.Second, time.Second}, {2 * time.Second, time.Second}, {5 * time.Second, 2500 * ms},
		{20 * time.Second, 10 * time.Second}, {time.Hour, 10 * time.Second},
	} {
		if got := FlushInterval(WindowSpec{Size: time.Second, Grace: c.grace}); got != c.want {
			t.Errorf("grace %v: interval %v, want %v", c.grace, got, c.want)
		}
	}
}

// TestPunctuatorRebalanced: each rebalance restarts the idle clock of the partitions assigned,
// and forgets the others.
func TestPunctuatorRebalanced(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: t0}
	p := NewPunctuator(WindowSpec{Size: time.Second})
	p.now = clock.now
	later := t0.Add(time.Hour)
	if got := p.since(3, later); !got.Equal(later) {
		t.Errorf("unknown partition: since %v, want now", got)
	}
	p.Rebalanced(goka.Assignment{1: 0, 3: 0})
	clock.set(t0.Add(time.Minute))
	p.Rebalanced(goka.Assignment{3: 0, 4: 0})
	for part, want := range map[int32]time.Time{1: later, 3: t0.Add(time.Minute), 4: t0.Add(time.Minute)} {
		if got := p.since(part, later); !got.Equal(want) {
			t.Errorf("partition %d: since %v, want %v", part, got.Sub(t0), want.Sub(t0))
		}
	}
}
