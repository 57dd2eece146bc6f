package schemas_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func pose() *schemas.Pose {
	p := &schemas.Pose{Landmarks: make([]schemas.Landmark, 33), WorldLandmarks: make([]schemas.Point, 33)}
	for i := range 33 {
		f := float32(i)
		p.Landmarks[i] = schemas.Landmark{X: 0.3 + f/100, Y: 0.2 + f/50, Z: -0.1 * f / 33, Visibility: 0.99, Presence: 0.98}
		p.WorldLandmarks[i] = schemas.Point{X: -0.2 + f/150, Y: -0.6 + f/40, Z: 0.05, Visibility: 0.99}
	}
	return p
}

// roundTrip writes v in its schema's binary form with goavro and reads it back.
func roundTrip[T any](t *testing.T, c schemas.Contract[T], v T) T {
	t.Helper()
	bin, err := c.Schema.Codec().BinaryFromNative(nil, c.ToNative(v))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	native, rest, err := c.Schema.Codec().NativeFromBinary(bin)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
	}
	got, err := c.FromNative(native.(map[string]any))
	if err != nil {
		t.Fatalf("FromNative: %v", err)
	}
	return got
}

func TestRoundTripNative(t *testing.T) {
	t.Parallel()
	frame := schemas.Frame{CameraID: "cam-1", UserID: "u-7", Seq: 12, CapturedAt: t0, ContentType: "image/jpeg",
		Width: 640, Height: 480, Image: []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}, Attributes: map[string]string{"device": "pi5"}}
	ev := schemas.KeypointEvent{CameraID: "cam-1", UserID: "u-7", Seq: 12, CapturedAt: t0, ProcessedAt: t0.Add(9 * time.Millisecond),
		Status: schemas.StatusDetected, Model: "holistic", Width: 640, Height: 480,
		Landmarks: schemas.Landmarks{Pose: pose(), Face: make([]schemas.Point, 468), LeftHand: make([]schemas.Point, 21)}, DetectorRan: true, ProcessingMs: 11.5}
	action := schemas.ActionEvent{UserID: "u-7", CameraID: "cam-1", Seq: 99, At: t0, Kind: schemas.ActionRep,
		Posture: schemas.PostureStanding, PreviousPosture: schemas.PostureSquatting, Exercise: "SQUAT", RepCount: 4, Confidence: 0.87}
	stats := schemas.PoseStats{UserID: "u-7", WindowStart: t0, WindowEnd: t0.Add(10 * time.Second), Frames: 300, Detected: 290,
		DetectionRate: 290.0 / 300, MeanAngles: map[string]float32{"left_knee": 141.5}, MotionEnergy: 0.02,
		PostureSeconds: map[string]float32{"STANDING": 7.5, "SQUATTING": 2.5}, Reps: map[string]int32{"SQUAT": 3}, Falls: 0, LateEvents: 2}
	dl := schemas.DeadLetter{Topic: "frames", Partition: 3, Offset: 1234, Key: "cam-1", Reason: "not an image", Code: "NOT_IMAGE",
		CameraID: "cam-1", Seq: 12, At: t0, Original: []byte("hello"), OriginalSize: 2_000_000, OriginalSHA256: "ab01"}

	check := func(name string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, want)
		}
	}
	check("Frame", roundTrip(t, schemas.FrameContract(), frame), frame)
	check("KeypointEvent", roundTrip(t, schemas.KeypointEventContract(), ev), ev)
	check("ActionEvent", roundTrip(t, schemas.ActionEventContract(), action), action)
	check("PoseStats", roundTrip(t, schemas.PoseStatsContract(), stats), stats)
	check("DeadLetter", roundTrip(t, schemas.DeadLetterContract(), dl), dl)

	// The zero enums: written as UNKNOWN (Kind, Posture) and null (PreviousPosture, Exercise).
	zero := roundTrip(t, schemas.ActionEventContract(), schemas.ActionEvent{UserID: "u"})
	if zero.Kind != schemas.ActionUnknown || zero.Posture != schemas.PostureUnknown || zero.PreviousPosture != "" || zero.Exercise != "" {
		t.Errorf("zero ActionEvent read back as %+v", zero)
	}
}

// TestTolerantReader feeds FromNative the native forms of writers with other schemas: newer
// ones with fields and symbols it does not know, older ones without fields, promoted types.
func TestTolerantReader(t *testing.T) {
	t.Parallel()
	base := func() map[string]any {
		return schemas.KeypointEventContract().ToNative(schemas.KeypointEvent{CameraID: "c", Seq: 5, CapturedAt: t0, ProcessedAt: t0,
			Status: schemas.StatusNoPerson, Model: "pose_landmark_lite", Width: 640, Height: 480})
	}
	tests := []struct {
		name    string
		edit    func(m map[string]any)
		check   func(e schemas.KeypointEvent) bool
		wantErr string
	}{
		{"unknown field", func(m map[string]any) { m["tracking_confidence"] = map[string]any{"float": float32(0.9)} },
			func(e schemas.KeypointEvent) bool { return e.CameraID == "c" && e.Seq == 5 }, ""},
		{"missing field", func(m map[string]any) { delete(m, "user_id"); delete(m, "processing_ms") },
			func(e schemas.KeypointEvent) bool { return e.UserID == "" && e.ProcessingMs == 0 }, ""},
		{"int to long", func(m map[string]any) { m["seq"] = int32(5) }, func(e schemas.KeypointEvent) bool { return e.Seq == 5 }, ""},
		{"double to float", func(m map[string]any) { m["processing_ms"] = 2.5 }, func(e schemas.KeypointEvent) bool { return e.ProcessingMs == 2.5 }, ""},
		{"micros without logical type", func(m map[string]any) { m["captured_at"] = t0.UnixMicro() },
			func(e schemas.KeypointEvent) bool { return e.CapturedAt.Equal(t0) }, ""},
		{"string became a union", func(m map[string]any) { m["model"] = map[string]any{"string": "x"} },
			func(e schemas.KeypointEvent) bool { return e.Model == "x" }, ""},
		{"unknown status", func(m map[string]any) { m["status"] = "PARTIAL" }, nil, "no default"},
		{"wrong type", func(m map[string]any) { m["camera_id"] = int32(3) }, nil, "KeypointEvent.camera_id: got int32, want string"},
		{"bad landmark", func(m map[string]any) {
			m["pose"] = map[string]any{"holostream.v1.Pose": map[string]any{"landmarks": []any{"x"}}}
		}, nil, "landmarks[0]"},
	}
	for i, tt := range tests {
		m := base()
		tt.edit(m)
		e, err := schemas.KeypointEventContract().FromNative(m)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%d %s: error %v, want one containing %q", i, tt.name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%d %s: %v", i, tt.name, err)
		case !tt.check(e):
			t.Errorf("%d %s: read %+v", i, tt.name, e)
		}
	}
}

func TestTolerantEnumsAndDefaults(t *testing.T) {
	t.Parallel()
	a, err := schemas.ActionEventContract().FromNative(map[string]any{"kind": "WAVE", "posture": "CRAWLING",
		"previous_posture": map[string]any{"holostream.v1.Posture": "KNEELING"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != schemas.ActionUnknown || a.Posture != schemas.PostureUnknown || a.PreviousPosture != schemas.PostureUnknown {
		t.Errorf("unknown symbols read as %q %q %q, want UNKNOWN", a.Kind, a.Posture, a.PreviousPosture)
	}
	d, err := schemas.DeadLetterContract().FromNative(map[string]any{"topic": "frames"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Seq != -1 {
		t.Errorf("DeadLetter without seq: Seq = %d, want the schema's default -1", d.Seq)
	}
}

// TestPeopleNative: people round trip through goavro's native form; a writer without the field
// (the schema before it) reads as nil, as does an empty array; a person of the wrong shape is an
// error naming it.
func TestPeopleNative(t *testing.T) {
	t.Parallel()
	c := schemas.KeypointEventContract()
	ps := []schemas.Person{{ID: 3, Landmarks: schemas.Landmarks{Pose: pose()}}, {ID: 9, Landmarks: schemas.Landmarks{Pose: pose(),
		Face: make([]schemas.Point, 468), LeftHand: make([]schemas.Point, 21)}}}
	ev := schemas.KeypointEvent{CameraID: "c", CapturedAt: t0, ProcessedAt: t0, Status: schemas.StatusDetected, Landmarks: ps[0].Landmarks, People: ps}
	if got := roundTrip(t, c, ev); !reflect.DeepEqual(got, ev) {
		t.Errorf("round trip\n got %.300v\nwant %.300v", got, ev)
	}
	m := c.ToNative(schemas.KeypointEvent{Status: schemas.StatusNoPerson})
	for _, edit := range []func(){func() { delete(m, "people") }, func() { m["people"] = []any{} }} {
		edit()
		if e, err := c.FromNative(m); err != nil || e.People != nil {
			t.Errorf("people %v: read %#v, %v; want nil", m["people"], e.People, err)
		}
	}
	for _, bad := range []any{[]any{"x"}, "x", []any{map[string]any{"id": "seven"}}} {
		m["people"] = bad
		if _, err := c.FromNative(m); err == nil || !strings.Contains(err.Error(), "people") {
			t.Errorf("people %v: error %v, want one naming people", bad, err)
		}
	}
}
