package schemas_test

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

// checkBinary holds a contract's fast path to goavro: the same bytes (when sameBytes: no map
// with more than one entry), and the same value read back.
func checkBinary[T any](t *testing.T, c schemas.Contract[T], v T, sameBytes bool) {
	t.Helper()
	fast, err := c.AppendBinary([]byte{0xAA}, v) // appends after what is there
	if err != nil {
		t.Fatalf("AppendBinary: %v", err)
	}
	if fast[0] != 0xAA {
		t.Fatalf("AppendBinary overwrote its buffer")
	}
	fast = fast[1:]
	slow, err := c.Schema.Codec().BinaryFromNative(nil, c.ToNative(v))
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	if sameBytes && !bytes.Equal(fast, slow) {
		t.Errorf("AppendBinary\n got % .300x\nwant % .300x (goavro)", fast, slow)
	}
	native, _, err := c.Schema.Codec().NativeFromBinary(fast)
	if err != nil {
		t.Fatalf("goavro cannot read AppendBinary's bytes: %v", err)
	}
	want, err := c.FromNative(native.(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadBinary(slow)
	if err != nil {
		t.Fatalf("ReadBinary: %v", err)
	}
	if !reflect.DeepEqual(got, want) && !(sameBytes && bytes.Equal(appendOf(t, c, got), appendOf(t, c, want))) { // NaN != NaN
		t.Errorf("ReadBinary\n got %.300v\nwant %.300v (goavro)", got, want)
	}
}

func appendOf[T any](t *testing.T, c schemas.Contract[T], v T) []byte {
	t.Helper()
	b, err := c.AppendBinary(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBinaryMatchesGoavro(t *testing.T) {
	t.Parallel()
	nan := float32(math.NaN())
	times := []time.Time{t0, {}, time.Unix(-1, 999_999_999), time.Date(1969, 12, 31, 23, 59, 59, 1500, time.UTC), time.Unix(1<<40, 7)}
	for i, tm := range times {
		checkBinary(t, schemas.FrameContract(), schemas.Frame{CameraID: "c", Seq: -5, CapturedAt: tm, Width: math.MaxInt32,
			Height: math.MinInt32, Image: []byte{1}, Attributes: map[string]string{"k": "v"}}, true)
		checkBinary(t, schemas.DeadLetterContract(), schemas.DeadLetter{Offset: math.MaxInt64, Seq: math.MinInt64, At: tm, Original: []byte{}}, true)
		if t.Failed() {
			t.Fatalf("time %d: %v", i, tm)
		}
	}
	checkBinary(t, schemas.FrameContract(), schemas.Frame{}, true)
	checkBinary(t, schemas.FrameContract(), schemas.Frame{Attributes: map[string]string{"a": "1", "b": "2", "c": ""}}, false)

	ev := schemas.KeypointEvent{CameraID: "cam", Status: schemas.StatusDetected, CapturedAt: t0, ProcessingMs: nan,
		Landmarks: schemas.Landmarks{Pose: pose(), Face: make([]schemas.Point, 468), LeftHand: []schemas.Point{},
			RightHand: []schemas.Point{{X: nan, Y: float32(math.Inf(-1))}}}}
	checkBinary(t, schemas.KeypointEventContract(), ev, true)
	checkBinary(t, schemas.KeypointEventContract(), schemas.KeypointEvent{Status: schemas.StatusNoPerson, Landmarks: schemas.Landmarks{Pose: &schemas.Pose{}}}, true)
	checkBinary(t, schemas.KeypointEventContract(), schemas.KeypointEvent{Status: schemas.StatusNoPerson}, true)

	kinds := []schemas.ActionKind{"", schemas.ActionUnknown, schemas.ActionPostureChanged, schemas.ActionRep, schemas.ActionFall}
	postures := []schemas.Posture{"", schemas.PostureUnknown, schemas.PostureStanding, schemas.PostureSitting, schemas.PostureSquatting,
		schemas.PostureLying, schemas.PostureHandsRaised}
	for _, k := range kinds {
		for _, p := range postures {
			checkBinary(t, schemas.ActionEventContract(), schemas.ActionEvent{Kind: k, Posture: p, PreviousPosture: p, Exercise: string(p),
				RepCount: -3, Confidence: 0.5}, true)
		}
	}
	st := schemas.PoseStats{UserID: "u", WindowStart: t0, WindowEnd: t0.Add(time.Second), Frames: 3, MeanAngles: map[string]float32{"knee": 90},
		PostureSeconds: map[string]float32{"STANDING": 1}, Reps: map[string]int32{"SQUAT": 2}, Falls: 1, LateEvents: 1}
	checkBinary(t, schemas.PoseStatsContract(), st, true)
	checkBinary(t, schemas.PoseStatsContract(), schemas.PoseStats{}, true)
	st.Reps = map[string]int32{"SQUAT": 2, "JUMPING_JACK": 5}
	checkBinary(t, schemas.PoseStatsContract(), st, false)
}

// TestBinaryRefusesWhatGoavroRefuses: values outside an enum fail on both paths.
func TestBinaryRefusesWhatGoavroRefuses(t *testing.T) {
	t.Parallel()
	kc, ac := schemas.KeypointEventContract(), schemas.ActionEventContract()
	events := []schemas.KeypointEvent{{Status: ""}, {Status: "PARTIAL"}}
	for i, e := range events {
		_, errFast := kc.AppendBinary(nil, e)
		_, errSlow := kc.Schema.Codec().BinaryFromNative(nil, kc.ToNative(e))
		if errFast == nil || errSlow == nil {
			t.Errorf("KeypointEvent %d: fast error %v, goavro error %v; want both", i, errFast, errSlow)
		}
	}
	actions := []schemas.ActionEvent{{Kind: "WAVE"}, {Posture: "FLYING"}, {PreviousPosture: "FLYING"}}
	for i, a := range actions {
		_, errFast := ac.AppendBinary(nil, a)
		_, errSlow := ac.Schema.Codec().BinaryFromNative(nil, ac.ToNative(a))
		if errFast == nil || errSlow == nil {
			t.Errorf("ActionEvent %d: fast error %v, goavro error %v; want both", i, errFast, errSlow)
		}
	}
}

// people is n persons, ids 7, 8, ...: the first with a pose only, the others holistic-shaped,
// one of them without a pose (a Person's fields are all optional but its id).
func people(n int) []schemas.Person {
	out := make([]schemas.Person, n)
	for i := range out {
		out[i].ID = int64(7 + i)
		switch {
		case i == 0:
			out[i].Pose = pose()
		case i%2 == 1:
			out[i].Landmarks = schemas.Landmarks{Pose: pose(), Face: make([]schemas.Point, 478), LeftHand: make([]schemas.Point, 21),
				RightHand: []schemas.Point{}}
			out[i].Face[5] = schemas.Point{X: float32(i), Y: -1, Z: 0.5}
		default:
			out[i].RightHand = make([]schemas.Point, 21)
		}
	}
	return out
}

// TestPeopleBinaryMatchesGoavro: events with 0, 1 and 3 people, the same bytes and values on
// the fast path as through goavro.
func TestPeopleBinaryMatchesGoavro(t *testing.T) {
	t.Parallel()
	c := schemas.KeypointEventContract()
	for _, n := range []int{0, 1, 3} {
		ps := people(n)
		ev := schemas.KeypointEvent{CameraID: "cam", Seq: int64(n), CapturedAt: t0, Status: schemas.StatusDetected, People: ps}
		if n > 0 {
			ev.Landmarks = ps[0].Landmarks
		} else {
			ev.Status = schemas.StatusNoPerson
		}
		checkBinary(t, c, ev, true)
		got, err := c.ReadBinary(appendOf(t, c, ev))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 && got.People != nil { // empty reads as nil, whether written nil or []
			t.Errorf("0 people read as %#v, want nil", got.People)
		}
		if n > 0 && !reflect.DeepEqual(got, ev) {
			t.Errorf("%d people: read back\n got %.400v\nwant %.400v", n, got, ev)
		}
		if t.Failed() {
			t.Fatalf("%d people", n)
		}
	}
	// Written as [] (not nil) it is the same bytes as nil: the one byte of an empty array.
	none, empty := appendOf(t, c, schemas.KeypointEvent{Status: schemas.StatusNoPerson}),
		appendOf(t, c, schemas.KeypointEvent{Status: schemas.StatusNoPerson, People: []schemas.Person{}})
	if !bytes.Equal(none, empty) || none[len(none)-1] != 0 {
		t.Errorf("nil people % x, [] people % x: want the same bytes, ending in the empty array's 0", none, empty)
	}
}

// TestPeopleBinaryRefusesBadCounts: an item count the remaining bytes cannot hold fails without
// allocating for it (goavro would try to allocate for it: not asked here).
func TestPeopleBinaryRefusesBadCounts(t *testing.T) {
	t.Parallel()
	c := schemas.KeypointEventContract()
	b := appendOf(t, c, schemas.KeypointEvent{Status: schemas.StatusNoPerson})
	for _, tail := range [][]byte{{0xfe, 0xff, 0xff, 0xff, 0x0f}, {0x06, 0x02}, {0x02, 0x0e, 0x00, 0x00, 0x00}} {
		data := append(bytes.Clone(b[:len(b)-1]), tail...)
		if _, err := c.ReadBinary(data); err == nil {
			t.Errorf("people % x: no error", tail)
		}
	}
}
