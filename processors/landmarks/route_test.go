package landmarks

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/schemas"
)

const repartition goka.Stream = "frames-repartition"

// routeCtx is fakeCtx on a given topic, which records any use of the table.
type routeCtx struct {
	fakeCtx
	topic         goka.Stream
	touched       bool
	emittedKeys   []string
	emittedValues []any
	failed        error
}

func (r *routeCtx) Topic() goka.Stream { return r.topic }
func (r *routeCtx) Value() any         { r.touched = true; return r.fakeCtx.Value() }
func (r *routeCtx) SetValue(v any, o ...goka.ContextOption) {
	r.touched = true
	r.fakeCtx.SetValue(v, o...)
}
func (r *routeCtx) Emit(t goka.Stream, k string, v any, o ...goka.ContextOption) {
	r.fakeCtx.Emit(t, k, v, o...)
	r.emittedKeys, r.emittedValues = append(r.emittedKeys, k), append(r.emittedValues, v)
}
func (r *routeCtx) Fail(err error) { r.failed = err; panic(err) }

// TestRouteForwardsForeignPartitions: a frame read from the frames topic on its camera's
// partition, or read from the repartition topic, is processed; one read from the frames topic
// elsewhere goes, bytes unchanged, to the repartition topic without the table being read or
// written, and is counted there once read back.
func TestRouteForwardsForeignPartitions(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	// The camera "cam" belongs on partition 2 of 4, whatever the real hash: the test's partitioner.
	var forwards [][3]any
	cfg := &Config{Frames: frames, Keypoints: keypoints, DeadLetters: dlq, Landmarker: &fakeLandmarker{},
		DecodeFrame: func(b []byte) (schemas.Frame, error) {
			var f schemas.Frame
			err := json.Unmarshal(b, &f)
			return f, err
		}, Now: func() time.Time { return now },
		Repartition: Repartitioning{Topic: repartition, Partitions: 4,
			Partition: func(key string, n int32) int32 {
				if n != 4 {
					t.Fatalf("partitioner asked for %d partitions, want 4", n)
				}
				return map[string]int32{"cam": 2}[key]
			},
			Forwarded: func(key string, from, to int32) { forwards = append(forwards, [3]any{key, from, to}) }},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	frame := func(seq int64) []byte {
		b, _ := json.Marshal(schemas.Frame{CameraID: "cam", Seq: seq, CapturedAt: now.Add(-10 * time.Millisecond), Image: photo})
		return b
	}
	var state any
	for i, c := range []struct {
		topic     goka.Stream
		partition int32
		offset    int64
		seq       int64
		forwarded bool
		want      schemas.CameraCounters // the state after the record
	}{
		{frames, 0, 10, 1, true, schemas.CameraCounters{}},                                          // a foreign producer's partition 0
		{frames, 3, 11, 2, true, schemas.CameraCounters{}},                                          // and 3
		{repartition, 2, 0, 1, false, schemas.CameraCounters{Received: 1, Emitted: 1, Detected: 1}}, // read back
		{repartition, 2, 1, 2, false, schemas.CameraCounters{Received: 2, Emitted: 2, Detected: 2}},
		{frames, 2, 7, 3, false, schemas.CameraCounters{Received: 3, Emitted: 3, Detected: 3}}, // our producer: in place
		// The same seq again from both ways: a duplicate each time, not a redelivery, though the
		// offsets are at or below the last ones read (from the other topic).
		{repartition, 2, 2, 3, false, schemas.CameraCounters{Received: 4, Emitted: 3, Detected: 3, Duplicate: 1}},
		{frames, 2, 8, 3, false, schemas.CameraCounters{Received: 5, Emitted: 3, Detected: 3, Duplicate: 2}},
	} {
		ctx := &routeCtx{fakeCtx: fakeCtx{key: "cam", partition: c.partition, offset: c.offset, value: state}, topic: c.topic}
		raw := frame(c.seq)
		cfg.Route(ctx, raw)
		state = ctx.value
		if c.forwarded {
			if ctx.touched || len(ctx.emitted) != 1 || ctx.emitted[0] != repartition || ctx.emittedKeys[0] != "cam" || string(ctx.emittedValues[0].([]byte)) != string(raw) {
				t.Errorf("%d: forward touched the table %v, emitted %v %v", i, ctx.touched, ctx.emitted, ctx.emittedKeys)
			}
			continue
		}
		if !ctx.touched {
			t.Errorf("%d: %s/%d not processed", i, c.topic, c.partition)
		}
		if st := state.(*CameraState); st.Counters != c.want || st.LastTopic != string(c.topic) || st.LastOffset != c.offset {
			t.Errorf("%d: counters %+v, last %s@%d; want %+v, %s@%d", i, st.Counters, st.LastTopic, st.LastOffset, c.want, c.topic, c.offset)
		}
	}
	if len(forwards) != 2 || forwards[0] != [3]any{"cam", int32(0), int32(2)} || forwards[1] != [3]any{"cam", int32(3), int32(2)} {
		t.Errorf("forwards observed: %v", forwards)
	}
}

// TestRouteRedeliveryPerTopic: a redelivery is told by topic, partition and offset together; for
// a state without its last topic, by partition and offset alone.
func TestRouteRedeliveryPerTopic(t *testing.T) {
	cfg := &Config{Frames: frames}
	for _, c := range []struct {
		topic goka.Stream
		last  string
		same  bool
	}{
		{frames, "", true},
		{repartition, "", true},
		{frames, string(frames), true},
		{repartition, string(repartition), true},
		{frames, string(repartition), false},
	} {
		if got := cfg.sameTopic(c.topic, c.last); got != c.same {
			t.Errorf("sameTopic(%s, %q) = %v, want %v", c.topic, c.last, got, c.same)
		}
	}
}

// TestRouteValidate: repartitioning needs the partition count and the partitioner.
func TestRouteValidate(t *testing.T) {
	part := func(string, int32) int32 { return 0 }
	for _, c := range []struct {
		r  Repartitioning
		ok bool
	}{
		{Repartitioning{}, true},
		{Repartitioning{Topic: repartition, Partitions: 3, Partition: part}, true},
		{Repartitioning{Topic: repartition, Partition: part}, false},
		{Repartitioning{Topic: repartition, Partitions: 3}, false},
	} {
		if err := c.r.validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v, want ok %v", c.r, err, c.ok)
		}
	}
}

// TestRouteFailsOnGrownTopic: a partition beyond the count read at start means the frames topic
// grew; placing keys with the old count would split cameras, so the processor stops.
func TestRouteFailsOnGrownTopic(t *testing.T) {
	cfg := &Config{Frames: frames, Repartition: Repartitioning{Topic: repartition, Partitions: 2,
		Partition: func(string, int32) int32 { return 0 }}}
	ctx := &routeCtx{fakeCtx: fakeCtx{key: "cam", partition: 2}, topic: frames}
	func() {
		defer func() { _ = recover() }()
		cfg.Route(ctx, []byte("x"))
	}()
	if ctx.failed == nil || ctx.touched || len(ctx.emitted) != 0 {
		t.Errorf("partition 2 of 2: failed %v, touched %v, emitted %v", ctx.failed, ctx.touched, ctx.emitted)
	}
}

// TestStateCodecKeepsLastTopic: the topic of the last record survives the table, and a version 3
// state (before it was kept) reads without one.
func TestStateCodecKeepsLastTopic(t *testing.T) {
	st := realisticState()
	st.HasOffset, st.LastTopic, st.LastPartition, st.LastOffset = true, "site1.frames-repartition", 2, 99
	b, err := StateCodec{}.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	v, err := StateCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(*CameraState); got.LastTopic != st.LastTopic || got.LastOffset != 99 || got.Track.ROI == nil {
		t.Errorf("decoded last topic %q offset %d", got.LastTopic, got.LastOffset)
	}
	v3 := append([]byte{stateMagic, 3}, b[2:stateHeaderV3]...)
	v3 = append(v3, b[stateHeaderV4+len(st.LastTopic):]...)
	if v, err := (StateCodec{}).Decode(v3); err != nil || v.(*CameraState).LastTopic != "" || v.(*CameraState).LastOffset != 99 {
		t.Errorf("version 3 state: %v", err)
	}
	if _, err := (StateCodec{}).Decode(b[:stateHeaderV4+3]); err == nil {
		t.Error("a state cut inside its topic decoded")
	}
	st.LastTopic = string(make([]byte, 256))
	if _, err := (StateCodec{}).Encode(st); err == nil {
		t.Error("a 256-byte topic name encoded")
	}
}
