package codecs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// Realistic values: a VGA camera, MediaPipe-shaped landmarks.

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func frame() schemas.Frame {
	img := make([]byte, 48<<10)
	copy(img, []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F'})
	for i := 10; i < len(img); i++ {
		img[i] = byte(i * 31)
	}
	return schemas.Frame{CameraID: "cam-lobby-3", UserID: "user-42", Seq: 1_000_017, CapturedAt: t0,
		ContentType: "image/jpeg", Width: 640, Height: 480, Image: img,
		Attributes: map[string]string{"device": "rpi5-imx708", "exposure_us": "8000"}}
}

func points(n int, scale float32) []schemas.Point {
	ps := make([]schemas.Point, n)
	for i := range ps {
		a := float64(i) / float64(n) * 2 * math.Pi
		ps[i] = schemas.Point{X: 0.5 + scale*float32(math.Cos(a)), Y: 0.4 + scale*float32(math.Sin(a)), Z: -0.01 * float32(i%7)}
	}
	return ps
}

// keypoints is a DETECTED event: pose (33+33), and with holistic face (468) and hands (2x21).
func keypoints(holistic bool) schemas.KeypointEvent {
	p := &schemas.Pose{Landmarks: make([]schemas.Landmark, 33), WorldLandmarks: make([]schemas.Point, 33)}
	for i := range 33 {
		f := float32(i)
		p.Landmarks[i] = schemas.Landmark{X: 0.31 + f*0.0117, Y: 0.12 + f*0.0231, Z: -0.3 + f*0.013, Visibility: 0.999 - f*0.01, Presence: 0.998 - f*0.005}
		p.WorldLandmarks[i] = schemas.Point{X: -0.21 + f*0.012, Y: -0.63 + f*0.041, Z: 0.07 - f*0.002, Visibility: 0.999 - f*0.01}
	}
	e := schemas.KeypointEvent{CameraID: "cam-lobby-3", UserID: "user-42", Seq: 1_000_017, CapturedAt: t0,
		ProcessedAt: t0.Add(14_250 * time.Microsecond), Status: schemas.StatusDetected, Model: "pose_landmark_lite",
		Width: 640, Height: 480, Landmarks: schemas.Landmarks{Pose: p}, DetectorRan: false, ProcessingMs: 9.75}
	if holistic {
		e.Model, e.Face, e.LeftHand, e.RightHand = "holistic", points(468, 0.08), points(21, 0.03), points(21, 0.03)
	}
	return e
}

func noPerson() schemas.KeypointEvent {
	return schemas.KeypointEvent{CameraID: "cam-lobby-3", UserID: "user-42", Seq: 1_000_018, CapturedAt: t0,
		ProcessedAt: t0.Add(time.Millisecond), Status: schemas.StatusNoPerson, Model: "pose_landmark_lite",
		Width: 640, Height: 480, DetectorRan: true, ProcessingMs: 6.5}
}

func action() schemas.ActionEvent {
	return schemas.ActionEvent{UserID: "user-42", CameraID: "cam-lobby-3", Seq: 1_000_017, At: t0, Kind: schemas.ActionRep,
		Posture: schemas.PostureStanding, PreviousPosture: schemas.PostureSquatting, Exercise: "SQUAT", RepCount: 12, Confidence: 0.93}
}

func stats() schemas.PoseStats {
	return schemas.PoseStats{UserID: "user-42", WindowStart: t0.Truncate(10 * time.Second), WindowEnd: t0.Truncate(10 * time.Second).Add(10 * time.Second),
		Frames: 300, Detected: 287, DetectionRate: 287.0 / 300,
		MeanAngles:     map[string]float32{"left_knee": 142.5, "right_knee": 139.25, "left_hip": 160, "right_elbow": 95.5},
		MotionEnergy:   0.0123,
		PostureSeconds: map[string]float32{"STANDING": 6.5, "SQUATTING": 3.5},
		Reps:           map[string]int32{"SQUAT": 4}, Falls: 0, LateEvents: 3}
}

func deadLetter() schemas.DeadLetter {
	return schemas.DeadLetter{Topic: "frames", Partition: 7, Offset: 123_456_789, Key: "cam-lobby-3",
		Reason: "image/jpeg payload does not start with a JPEG SOI marker", Code: "NOT_IMAGE",
		CameraID: "cam-lobby-3", Seq: 1_000_019, At: t0, Original: []byte("GIF89a...."), OriginalSize: 10, OriginalSHA256: "5c0a"}
}

// memRegistry is an in-memory Registry for fuzzing and benchmarks: no HTTP, no compatibility
// rules. Safe for concurrent use.
type memRegistry struct {
	mu    sync.Mutex
	texts []string // id-1
}

func (r *memRegistry) Register(_ context.Context, _, schema string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.texts, schema); i >= 0 {
		return i + 1, nil
	}
	r.texts = append(r.texts, schema)
	return len(r.texts), nil
}

func (r *memRegistry) SetCompatibility(context.Context, string, codecs.Compatibility) error {
	return nil
}

func (r *memRegistry) CheckCompatibility(context.Context, string, string) error { return nil }

func (r *memRegistry) SchemaByID(_ context.Context, id int) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id < 1 || id > len(r.texts) {
		return "", fmt.Errorf("mem registry: id %d: %w", id, codecs.ErrUnknownSchema)
	}
	return r.texts[id-1], nil
}

// fakeRegistry is a Confluent-compatible Schema Registry over HTTP with a simple BACKWARD
// rule: the new schema must read the latest one's data, so a field it adds needs a default and
// a field both have keeps its type (or an Avro promotion of it). It counts requests.
type fakeRegistry struct {
	mu       sync.Mutex
	texts    []string         // id-1
	subjects map[string][]int // versions' ids
	compat   map[string]string
	requests map[string]int // "GET /schemas/ids/1" -> count
}

// newFakeRegistry serves a fakeRegistry under prefix ("" or e.g. "/apis/ccompat/v7") and
// returns it and the registry URL.
func newFakeRegistry(t *testing.T, prefix string) (*fakeRegistry, string) {
	t.Helper()
	f := &fakeRegistry{subjects: map[string][]int{}, compat: map[string]string{}, requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /subjects/{subject}/versions", f.register)
	mux.HandleFunc("PUT /config/{subject}", f.setConfig)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", f.checkCompat)
	mux.HandleFunc("GET /schemas/ids/{id}", f.schemaByID)
	var h http.Handler = mux
	if prefix != "" {
		h = http.StripPrefix(prefix, mux)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests[r.Method+" "+strings.TrimPrefix(r.URL.Path, prefix)]++
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL + prefix
}

func (f *fakeRegistry) count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[req]
}

func (f *fakeRegistry) compatOf(subject string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.compat[subject]
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func replyError(w http.ResponseWriter, status, code int, msg string) {
	reply(w, status, map[string]any{"error_code": code, "message": msg})
}

// readSchema reads a request body strictly, as Confluent's registry and srfake do.
func readSchema(w http.ResponseWriter, r *http.Request) (string, bool) {
	var body struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.SchemaType != "AVRO" {
		replyError(w, http.StatusUnprocessableEntity, 42201, fmt.Sprintf("bad request body (schemaType %q): %v", body.SchemaType, err))
		return "", false
	}
	if _, err := schemas.Parse(body.Schema); err != nil {
		replyError(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: "+err.Error())
		return "", false
	}
	return body.Schema, true
}

func (f *fakeRegistry) register(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	text, ok := readSchema(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	versions := f.subjects[subject]
	for _, id := range versions {
		if f.texts[id-1] == text {
			reply(w, http.StatusOK, map[string]int{"id": id})
			return
		}
	}
	if len(versions) > 0 && f.compat[subject] != "NONE" {
		if problems := backwardProblems(text, f.texts[versions[len(versions)-1]-1]); len(problems) > 0 {
			replyError(w, http.StatusConflict, 409, fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q, details: %v", subject, problems))
			return
		}
	}
	id := slices.Index(f.texts, text) + 1
	if id == 0 {
		f.texts = append(f.texts, text)
		id = len(f.texts)
	}
	f.subjects[subject] = append(versions, id)
	reply(w, http.StatusOK, map[string]int{"id": id})
}

func (f *fakeRegistry) setConfig(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Compatibility string `json:"compatibility"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Compatibility == "" {
		replyError(w, http.StatusUnprocessableEntity, 42203, "Invalid compatibility level")
		return
	}
	f.mu.Lock()
	f.compat[r.PathValue("subject")] = body.Compatibility
	f.mu.Unlock()
	reply(w, http.StatusOK, body)
}

func (f *fakeRegistry) checkCompat(w http.ResponseWriter, r *http.Request) {
	subject := r.PathValue("subject")
	text, ok := readSchema(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	versions := f.subjects[subject]
	if len(versions) == 0 {
		replyError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", subject))
		return
	}
	problems := backwardProblems(text, f.texts[versions[len(versions)-1]-1])
	reply(w, http.StatusOK, map[string]any{"is_compatible": len(problems) == 0, "messages": problems})
}

func (f *fakeRegistry) schemaByID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || id < 1 || id > len(f.texts) {
		replyError(w, http.StatusNotFound, 40403, "Schema "+r.PathValue("id")+" not found")
		return
	}
	reply(w, http.StatusOK, map[string]string{"schema": f.texts[id-1]})
}

// backwardProblems lists why reader cannot read writer's data, comparing top-level fields.
func backwardProblems(reader, writer string) []string {
	type field struct {
		Name    string          `json:"name"`
		Type    json.RawMessage `json:"type"`
		Default json.RawMessage `json:"default"`
	}
	var r, w struct{ Fields []field }
	_ = json.Unmarshal([]byte(reader), &r)
	_ = json.Unmarshal([]byte(writer), &w)
	var problems []string
	for _, rf := range r.Fields {
		i := slices.IndexFunc(w.Fields, func(wf field) bool { return wf.Name == rf.Name })
		switch {
		case i < 0 && rf.Default == nil:
			problems = append(problems, fmt.Sprintf("READER_FIELD_MISSING_DEFAULT_VALUE: /fields/%s", rf.Name))
		case i >= 0 && !sameType(rf.Type, w.Fields[i].Type):
			problems = append(problems, fmt.Sprintf("TYPE_MISMATCH: /fields/%s: reader %s, writer %s", rf.Name, rf.Type, w.Fields[i].Type))
		}
	}
	return problems
}

func sameType(reader, writer json.RawMessage) bool {
	var r, w any
	_ = json.Unmarshal(reader, &r)
	_ = json.Unmarshal(writer, &w)
	if reflect.DeepEqual(r, w) {
		return true
	}
	rs, _ := r.(string)
	ws, _ := w.(string)
	promotions := map[string][]string{"int": {"long", "float", "double"}, "long": {"float", "double"}, "float": {"double"}}
	return slices.Contains(promotions[ws], rs)
}

// keypointsV2 is KeypointEvent.avsc with one optional field added (a BACKWARD compatible
// change), and a contract that writes it.
func keypointsV2(t testing.TB) schemas.Contract[schemas.KeypointEvent] {
	t.Helper()
	v1 := schemas.KeypointEventContract()
	s := withField(t, v1.Schema, map[string]any{"name": "tracking_confidence", "type": []any{"null", "float"},
		"default": nil, "doc": "Confidence of the tracker that the person is still in the ROI."})
	return schemas.Contract[schemas.KeypointEvent]{
		Schema: s,
		ToNative: func(e schemas.KeypointEvent) map[string]any {
			m := v1.ToNative(e)
			m["tracking_confidence"] = map[string]any{"float": float32(0.75)}
			return m
		},
		FromNative: v1.FromNative,
	}
}

// withField is s with field appended, or, when field names an existing field, that field
// replaced.
func withField(t testing.TB, s schemas.Schema, field map[string]any) schemas.Schema {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s.Text()), &m); err != nil {
		t.Fatal(err)
	}
	fields := m["fields"].([]any)
	i := slices.IndexFunc(fields, func(f any) bool { return f.(map[string]any)["name"] == field["name"] })
	if i >= 0 {
		fields[i] = field
	} else {
		fields = append(fields, field)
	}
	m["fields"] = fields
	text, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := schemas.Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// normalized is what a decoded time reads as: UTC, whole microseconds.
func normalized(tm time.Time) time.Time { return tm.UTC().Truncate(time.Microsecond) }
