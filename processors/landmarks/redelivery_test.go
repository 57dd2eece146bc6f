package landmarks

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/schemas"
)

// fakeCtx is a goka.Context for one record, for what goka's tester cannot do: read a record at an
// offset already processed, as a new owner of a partition does after the previous one crashed.
type fakeCtx struct {
	key       string
	partition int32
	offset    int64
	value     any
	emitted   []goka.Stream
}

func (f *fakeCtx) Topic() goka.Stream                          { return frames }
func (f *fakeCtx) Key() string                                 { return f.key }
func (f *fakeCtx) Partition() int32                            { return f.partition }
func (f *fakeCtx) Offset() int64                               { return f.offset }
func (f *fakeCtx) Group() goka.Group                           { return group }
func (f *fakeCtx) Value() any                                  { return f.value }
func (f *fakeCtx) Headers() goka.Headers                       { return nil }
func (f *fakeCtx) SetValue(v any, _ ...goka.ContextOption)     { f.value = v }
func (f *fakeCtx) Delete(...goka.ContextOption)                { f.value = nil }
func (f *fakeCtx) Timestamp() time.Time                        { return time.Time{} }
func (f *fakeCtx) Join(goka.Table) any                         { return nil }
func (f *fakeCtx) Lookup(goka.Table, string) any               { return nil }
func (f *fakeCtx) Loopback(string, any, ...goka.ContextOption) {}
func (f *fakeCtx) Fail(err error)                              { panic(err) }
func (f *fakeCtx) Context() context.Context                    { return context.Background() }
func (f *fakeCtx) DeferCommit() func(error)                    { return func(error) {} }
func (f *fakeCtx) Emit(t goka.Stream, _ string, _ any, _ ...goka.ContextOption) {
	f.emitted = append(f.emitted, t)
}

// TestRedeliveryIsEmittedAgain: after a crash, the new owner of a partition reads again the
// records after the last committed offset. Their state was already written to the table, but their
// keypoint events may not have landed: they are processed and emitted again (downstream dedupes by
// camera and seq), not dropped as duplicates, and the accounting counts them once.
func TestRedeliveryIsEmittedAgain(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cfg := &Config{Frames: frames, Keypoints: keypoints, DeadLetters: dlq, Landmarker: &fakeLandmarker{},
		DecodeFrame: func(b []byte) (schemas.Frame, error) {
			var f schemas.Frame
			err := json.Unmarshal(b, &f)
			return f, err
		}, MaxAge: time.Second, Now: func() time.Time { return now }}
	// A frame's capture time is its own, whenever it is read: a record read again, or sent again,
	// carries the time it was captured.
	t0 := now.Add(-10 * time.Millisecond)
	frame := func(seq int64) []byte {
		b, _ := json.Marshal(schemas.Frame{CameraID: "cam", Seq: seq, CapturedAt: t0.Add(time.Duration(seq) * time.Millisecond), Image: photo})
		return b
	}
	var state any
	read := func(offset, seq int64) *fakeCtx {
		ctx := &fakeCtx{key: "cam", partition: 3, offset: offset, value: state}
		cfg.Process(ctx, frame(seq))
		state = ctx.value
		return ctx
	}
	for i := int64(0); i < 3; i++ {
		read(100+i, i+1) // seq 1..3 at offsets 100..102
	}
	// The crash: offsets 101 and 102 are read again, and by now they are older than MaxAge.
	now = now.Add(5 * time.Second)
	for _, off := range []int64{101, 102} {
		if ctx := read(off, off-99); len(ctx.emitted) != 1 || ctx.emitted[0] != keypoints {
			t.Errorf("redelivered offset %d: emitted %v, want one keypoint event", off, ctx.emitted)
		}
	}
	// A genuine duplicate (a new record with an old seq) is still dropped.
	if ctx := read(103, 3); len(ctx.emitted) != 0 {
		t.Errorf("duplicate at a new offset: emitted %v", ctx.emitted)
	}
	st := state.(*CameraState)
	want := schemas.CameraCounters{Received: 4, Emitted: 3, Duplicate: 1, Detected: 3, Redelivered: 2}
	if st.Counters != want || !st.Counters.Balanced() || st.LastSeq != 3 || st.LastOffset != 103 {
		t.Errorf("counters %+v, last seq %d, last offset %d; want %+v, 3, 103", st.Counters, st.LastSeq, st.LastOffset, want)
	}
}
