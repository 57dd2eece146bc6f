package landmarks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// fakeLandmarker behaves like model.Landmarker in video mode without a model: it finds a person
// in every image wider than it is tall, and tracks like MediaPipe (the detector runs only when
// the track has no ROI). With maxPeople above 1 it finds a second person, without face or hands.
type fakeLandmarker struct {
	calls     int
	maxPeople int // 0 is 1
}

func (f *fakeLandmarker) Kind() model.Kind { return model.PoseLite }

func (f *fakeLandmarker) MaxPeople() int { return max(f.maxPeople, 1) }

func (f *fakeLandmarker) Track(img pixels.Image, tr *model.Track, ts time.Duration) (model.Result, error) {
	f.calls++
	res := model.Result{DetectorRan: tr.ROI == nil}
	if img.Width <= img.Height {
		tr.ROI = nil
		return res, nil
	}
	res.Pose = &model.Pose{}
	for i := range res.Pose.Landmarks {
		res.Pose.Landmarks[i] = model.Landmark{X: 0.5, Y: float32(i) / 33, Visibility: 1, Presence: 1}
	}
	// Like holistic: a face, and a right hand only.
	res.Face = &model.Face{Landmarks: make([]model.Landmark, model.NumFaceLandmarks)}
	res.Face.Landmarks[467] = model.Landmark{X: 0.4, Y: 0.2}
	res.RightHand = &model.Hand{}
	res.RightHand.Landmarks[20] = model.Landmark{X: 0.7, Y: 0.6, Z: -0.01}
	tr.ROI = &model.Rect{XCenter: 0.5, YCenter: 0.5, Width: 0.4, Height: 0.6}
	tr.LastTimestamp = ts
	res.People = []model.Person{{Pose: res.Pose, Face: res.Face, RightHand: res.RightHand}}
	if f.MaxPeople() > 1 {
		second := *res.Pose
		second.Landmarks[0].X = 0.9
		res.People = append(res.People, model.Person{Pose: &second})
	}
	return res, nil
}

// jsonCodec is a test codec for the output topics; the Avro codecs are tested in codecs/.
type jsonCodec[T any] struct{}

func (jsonCodec[T]) Encode(v any) ([]byte, error) { return json.Marshal(v) }
func (jsonCodec[T]) Decode(b []byte) (any, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

type rawCodec struct{}

func (rawCodec) Encode(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Decode(b []byte) (any, error) { return b, nil }

const (
	frames    goka.Stream = "frames"
	keypoints goka.Stream = "keypoints"
	dlq       goka.Stream = "frames-dlq"
	group     goka.Group  = "landmarks"
)

type harness struct {
	tt        *tester.Tester
	keypoints *tester.QueueTracker
	dlq       *tester.QueueTracker
	now       time.Time
	fake      *fakeLandmarker
}

func newHarness(t *testing.T, maxAge time.Duration) *harness {
	t.Helper()
	h := &harness{tt: tester.New(t), now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), fake: &fakeLandmarker{}}
	cfg := &Config{
		Frames: frames, Keypoints: keypoints, DeadLetters: dlq,
		Landmarker: h.fake,
		DecodeFrame: func(b []byte) (schemas.Frame, error) {
			var f schemas.Frame
			if err := json.Unmarshal(b, &f); err != nil {
				return f, err
			}
			if f.CameraID == "" {
				return f, errors.New("no camera_id")
			}
			return f, nil
		},
		MaxAge:        maxAge,
		MaxImageBytes: 1 << 20,
		Now:           func() time.Time { return h.now },
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	proc, err := goka.NewProcessor(nil, cfg.Group(group, Codecs{
		Frames: rawCodec{}, State: StateCodec{}, Keypoints: jsonCodec[schemas.KeypointEvent]{}, DeadLetters: jsonCodec[schemas.DeadLetter]{},
	}), goka.WithTester(h.tt))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- proc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("processor: %v", err)
		}
	})
	h.keypoints = h.tt.NewQueueTracker(string(keypoints))
	h.dlq = h.tt.NewQueueTracker(string(dlq))
	return h
}

var photo = func() []byte {
	b, err := os.ReadFile("../../testdata/images/messi5.jpg")
	if err != nil {
		panic(err)
	}
	return b
}()

// send feeds one frame captured ago before the harness clock.
func (h *harness) send(t *testing.T, camera string, seq int64, ago time.Duration, image []byte) {
	t.Helper()
	f := schemas.Frame{CameraID: camera, UserID: "u-" + camera, Seq: seq, CapturedAt: h.now.Add(-ago), ContentType: "image/jpeg", Image: image}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	h.tt.Consume(string(frames), camera, b)
}

func (h *harness) state(t *testing.T, camera string) *CameraState {
	t.Helper()
	v := h.tt.TableValue(goka.GroupTable(group), camera)
	if v == nil {
		t.Fatalf("no state for %s", camera)
	}
	return v.(*CameraState)
}

func (h *harness) drainKeypoints() []schemas.KeypointEvent {
	var out []schemas.KeypointEvent
	for {
		_, v, ok := h.keypoints.Next()
		if !ok {
			return out
		}
		out = append(out, v.(schemas.KeypointEvent))
	}
}

func (h *harness) drainDLQ() []schemas.DeadLetter {
	var out []schemas.DeadLetter
	for {
		_, v, ok := h.dlq.Next()
		if !ok {
			return out
		}
		out = append(out, v.(schemas.DeadLetter))
	}
}

func TestOrderingDuplicatesAndGaps(t *testing.T) {
	h := newHarness(t, 0)
	for _, seq := range []int64{1, 2, 3, 3, 2, 4, 7, 8, 5} {
		h.send(t, "cam-1", seq, 10*time.Millisecond, photo)
	}
	evs := h.drainKeypoints()
	var seqs []int64
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[1 2 3 4 7 8]" {
		t.Errorf("emitted seqs %v, want [1 2 3 4 7 8]", seqs)
	}
	// The detector runs on the first frame and after the gap 4 -> 7 only.
	var detectorRan []int64
	for _, e := range evs {
		if e.DetectorRan {
			detectorRan = append(detectorRan, e.Seq)
		}
	}
	if fmt.Sprint(detectorRan) != "[1 7]" {
		t.Errorf("detector ran on %v, want [1 7] (tracking from the table, reset by the gap)", detectorRan)
	}
	st := h.state(t, "cam-1")
	want := schemas.CameraCounters{Received: 9, Emitted: 6, Duplicate: 3, Detected: 6, Gaps: 1}
	if st.Counters != want {
		t.Errorf("counters %+v, want %+v", st.Counters, want)
	}
	if !st.Counters.Balanced() || st.LastSeq != 8 || st.Track.ROI == nil {
		t.Errorf("state %+v: want balanced, last seq 8, a tracking ROI", st)
	}
}

func TestBadFramesGoToDeadLetters(t *testing.T) {
	h := newHarness(t, 0)
	h.send(t, "cam-2", 1, 0, photo)
	h.send(t, "cam-2", 2, 0, nil)
	h.send(t, "cam-2", 3, 0, []byte("this is not a jpeg"))
	h.send(t, "cam-2", 4, 0, photo[:len(photo)/5])
	h.send(t, "cam-2", 5, 0, make([]byte, 2<<20))
	h.tt.Consume(string(frames), "cam-2", []byte("\x00\x01garbage envelope"))
	// A frame keyed by one camera that claims to be another.
	b, _ := json.Marshal(schemas.Frame{CameraID: "cam-9", Seq: 6, CapturedAt: h.now, Image: photo})
	h.tt.Consume(string(frames), "cam-2", b)
	h.send(t, "cam-2", 7, 0, photo)

	dls := h.drainDLQ()
	var codes []string
	for _, d := range dls {
		codes = append(codes, d.Code)
		if d.Reason == "" || d.Topic != string(frames) || len(d.Original) == 0 && d.Code != CodeEmpty {
			t.Errorf("dead letter %s lacks reason, topic or original bytes: %+v", d.Code, d.Reason)
		}
	}
	want := fmt.Sprint([]string{CodeEmpty, CodeNotImage, CodeCorrupt, CodeTooLarge, CodeBadEnvelope, CodeBadFrame})
	if fmt.Sprint(codes) != want {
		t.Errorf("dead-letter codes %v, want %v", codes, want)
	}
	if n := len(h.drainKeypoints()); n != 2 {
		t.Errorf("%d keypoint events, want 2 (seq 1 and 7)", n)
	}
	st := h.state(t, "cam-2")
	if st.Counters.Received != 8 || st.Counters.DeadLettered != 6 || st.Counters.Emitted != 2 || !st.Counters.Balanced() {
		t.Errorf("counters %+v", st.Counters)
	}
}

func TestStaleFramesDropped(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	h.send(t, "cam-3", 1, 5*time.Second, photo)
	h.send(t, "cam-3", 2, 3*time.Second, photo)
	h.send(t, "cam-3", 3, 100*time.Millisecond, photo)
	evs := h.drainKeypoints()
	if len(evs) != 1 || evs[0].Seq != 3 || !evs[0].DetectorRan {
		t.Fatalf("events %+v, want only seq 3, with the detector", evs)
	}
	st := h.state(t, "cam-3")
	if st.Counters.Stale != 2 || !st.Counters.Balanced() {
		t.Errorf("counters %+v", st.Counters)
	}
}

func TestNoPersonAndCamerasIndependent(t *testing.T) {
	h := newHarness(t, 0)
	portrait := mustJPEG(t, 20, 40)
	h.send(t, "cam-a", 1, 0, portrait)
	h.send(t, "cam-b", 1, 0, photo)
	h.send(t, "cam-a", 2, 0, photo)
	evs := h.drainKeypoints()
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	if evs[0].Status != schemas.StatusNoPerson || evs[0].Pose != nil {
		t.Errorf("cam-a seq 1: %s with pose %v, want NO_PERSON", evs[0].Status, evs[0].Pose != nil)
	}
	if evs[1].Status != schemas.StatusDetected || evs[1].Pose == nil || len(evs[1].Pose.Landmarks) != 33 {
		t.Errorf("cam-b seq 1: want DETECTED with 33 landmarks")
	}
	if evs[1].UserID != "u-cam-b" || evs[1].Width != 548 || evs[1].Model != "pose-lite" {
		t.Errorf("cam-b identity: %+v", evs[1])
	}
	if len(evs[1].Face) != 468 || evs[1].Face[467].X != 0.4 || evs[1].LeftHand != nil || len(evs[1].RightHand) != 21 || evs[1].RightHand[20].Z != -0.01 {
		t.Errorf("cam-b face and hands: %d face points, left %v, %d right hand points", len(evs[1].Face), evs[1].LeftHand != nil, len(evs[1].RightHand))
	}
	if evs[0].Face != nil || evs[0].RightHand != nil {
		t.Errorf("NO_PERSON event carries a face or a hand")
	}
	if h.state(t, "cam-a").Counters.Detected != 1 || h.state(t, "cam-b").Counters.Received != 1 {
		t.Errorf("per-camera counters mixed up")
	}
}

func TestStateCodecRoundTrip(t *testing.T) {
	st := realisticState()
	st.LastCapturedAt = time.Date(2026, 11, 22, 1, 2, 3, 456789000, time.UTC)
	st.Counters = schemas.CameraCounters{Received: 10, Emitted: 6, DeadLettered: 1, Stale: 2, Duplicate: 1, Detected: 5, Gaps: 3}
	st.Track.FaceLandmarks = []model.Point{{X: 0.1, Y: 0.2}}
	st.Counters.Redelivered, st.Counters.Restarts = 4, 2
	st.HasOffset, st.LastPartition, st.LastOffset = true, 5, 1<<40
	b, err := StateCodec{}.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	v, err := StateCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(*CameraState); !reflect.DeepEqual(got, st) {
		t.Errorf("round trip changed the state:\n got %+v\nwant %+v", got.Counters, st.Counters)
	}
	// Version 1 states (before the offset and the redelivery counter) still read.
	v1 := append([]byte{stateMagic, 1}, b[2:stateHeaderV1]...)
	v1 = append(v1, b[stateHeaderV4:]...) // no last topic: the track follows its length byte
	if v, err := (StateCodec{}).Decode(v1); err != nil || v.(*CameraState).LastSeq != st.LastSeq || v.(*CameraState).HasOffset {
		t.Errorf("version 1 state: %v", err)
	}
	// So do version 2 states (before the restart counter).
	v2 := append([]byte{stateMagic, 2}, b[2:stateHeaderV2]...)
	v2 = append(v2, b[stateHeaderV4:]...) // no last topic: the track follows its length byte
	if v, err := (StateCodec{}).Decode(v2); err != nil || v.(*CameraState).LastOffset != st.LastOffset || v.(*CameraState).Counters.Restarts != 0 {
		t.Errorf("version 2 state: %v", err)
	}
	// A NaN in a filter is kept as it is, not an encoding failure that would stop the processor.
	st.Track.ROI.XCenter = float32(math.NaN())
	if _, err := (StateCodec{}).Encode(st); err != nil {
		t.Errorf("NaN in the track: %v", err)
	}
	// States written as JSON by earlier builds still read.
	old := []byte(`{"has_seq":true,"last_seq":7,"counters":{"received":7,"emitted":7}}`)
	if v, err := (StateCodec{}).Decode(old); err != nil || v.(*CameraState).LastSeq != 7 || v.(*CameraState).Counters.Emitted != 7 {
		t.Errorf("JSON state: %v %+v", err, v)
	}
	for i, bad := range [][]byte{nil, []byte("C"), b[:20], append([]byte{'C', 9}, b[2:]...), append(append([]byte{}, b...), 1)} {
		if _, err := (StateCodec{}).Decode(bad); err == nil {
			t.Errorf("%d: corrupt state decoded without an error", i)
		}
	}
}

// TestRawFramesDecodedAndBadOnesDeadLettered sends the photo as raw BGR24 pixels, then raw frames
// that do not match their layout: the good ones are emitted at the photo's size, each bad one is
// dead-lettered with its code, and the camera's account balances.
func TestRawFramesDecodedAndBadOnesDeadLettered(t *testing.T) {
	h := newHarness(t, 0)
	img, _, err := pixels.DecodeImage(photo, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, hgt := int32(img.Width), int32(img.Height)
	bgr := make([]byte, len(img.Pix))
	for i := 0; i < len(bgr); i += 3 {
		bgr[i], bgr[i+1], bgr[i+2] = img.Pix[i+2], img.Pix[i+1], img.Pix[i]
	}
	bgrType := pixels.RawBGR24.ContentType()
	tests := []struct {
		name        string
		contentType string
		w, h        int32
		data        []byte
		attrs       map[string]string
		code        string // "" when emitted
	}{
		{"bgr24", bgrType, w, hgt, bgr, nil, ""},
		{"short buffer", bgrType, w, hgt, bgr[:len(bgr)-1], nil, CodeBadRaw},
		{"no width", bgrType, 0, hgt, bgr, nil, CodeBadRaw},
		{"stride not a number", bgrType, w, hgt, bgr, map[string]string{"stride": "x"}, CodeBadRaw},
		{"huge declared size", "video/x-raw; format=RGBA", 1 << 30, 1 << 30, bgr[:64], nil, CodeTooLarge},
		{"unknown layout", "video/x-raw; format=YUY2", w, hgt, bgr, nil, CodeRawFormat},
		{"no layout", "video/x-raw", w, hgt, bgr, nil, CodeRawFormat},
		{"gray8 caps syntax", "video/x-raw,format=GRAY8", w, hgt, bgr[:len(bgr)/3], nil, ""},
	}
	var wantCodes []string
	for i, tc := range tests {
		f := schemas.Frame{CameraID: "cam-raw", UserID: "u", Seq: int64(i + 1), CapturedAt: h.now,
			ContentType: tc.contentType, Width: tc.w, Height: tc.h, Image: tc.data, Attributes: tc.attrs}
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		h.tt.Consume(string(frames), "cam-raw", b)
		if tc.code != "" {
			wantCodes = append(wantCodes, tc.code)
		}
	}
	var codes []string
	for _, d := range h.drainDLQ() {
		codes = append(codes, d.Code)
	}
	if fmt.Sprint(codes) != fmt.Sprint(wantCodes) {
		t.Errorf("dead-letter codes %v, want %v", codes, wantCodes)
	}
	evs := h.drainKeypoints()
	if len(evs) != 2 {
		t.Fatalf("%d keypoint events, want 2 (bgr24 and gray8)", len(evs))
	}
	for _, e := range evs {
		if e.Width != w || e.Height != hgt {
			t.Errorf("seq %d: event of %dx%d, want the photo's %dx%d", e.Seq, e.Width, e.Height, w, hgt)
		}
	}
	if st := h.state(t, "cam-raw"); st.Counters.DeadLettered != 6 || st.Counters.Emitted != 2 || !st.Counters.Balanced() {
		t.Errorf("counters %+v", st.Counters)
	}
}

// TestCameraView: the read model of a camera state (gateway's TestCameraJSON pins its JSON).
func TestCameraView(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)
	counters := schemas.CameraCounters{Received: 45, Emitted: 40, DeadLettered: 3, Stale: 1, Duplicate: 1, Detected: 38, Gaps: 2,
		Restarts: 1, Redelivered: 4}
	st := CameraState{HasSeq: true, LastSeq: 41, LastCapturedAt: at, Track: model.Track{ROI: &model.Rect{}}, Counters: counters,
		HasOffset: true, LastOffset: 7, LastTopic: "frames"}
	want := schemas.CameraView{ID: "cam-1", LastSeq: 41, LastCapturedAt: at, Tracking: true, Counters: counters, Balanced: true}
	if got := st.View("cam-1"); got != want {
		t.Errorf("View\n got %+v\nwant %+v", got, want)
	}
	st.Track.ROI, st.Counters.Received = nil, 46
	if got := st.View("cam-1"); got.Tracking || got.Balanced {
		t.Errorf("View without an ROI, one frame unaccounted: tracking %v, balanced %v", got.Tracking, got.Balanced)
	}
}
