package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// The handler tests run the real pose-lite model on real photos (testdata/images: people from
// OpenCV's samples) and bad ones made from them.

var (
	lmOnce sync.Once
	lmTest *model.Landmarker
	lmErr  error
)

// landmarker is one pose-lite Landmarker shared by the tests of this package (opening one costs
// ~100 ms and its interpreters; it is safe for concurrent use).
func landmarker(t testing.TB) *model.Landmarker {
	t.Helper()
	lmOnce.Do(func() { lmTest, lmErr = model.Open(model.PoseLite, model.WithWorkers(2)) })
	if lmErr != nil {
		t.Fatalf("open pose-lite: %v (run `make setup`)", lmErr)
	}
	return lmTest
}

func photo(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call sends one request to h and returns the status, headers and body.
func call(t *testing.T, h http.Handler, method, target string, body []byte, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// errorCode decodes a JSON error body and checks it says something.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	if len(e.Error) < 10 {
		t.Errorf("error message %q says too little", e.Error)
	}
	return e.Code
}

func TestInferReturnsLandmarksOfARealPhoto(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Inferer: landmarker(t)})
	for _, tc := range []struct {
		name, ctype string
		person      bool
	}{
		{"messi5.jpg", "image/jpeg", true},
		{"basketball1.png", "image/png", true},
		{"fruits.jpg", "application/octet-stream", false}, // the type comes from the bytes
	} {
		code, _, body := call(t, s, "POST", "/v1/infer", photo(t, tc.name), "Content-Type", tc.ctype)
		if code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tc.name, code, body)
		}
		var out model.Output
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if got := out.Pose != nil; got != tc.person {
			t.Fatalf("%s: person found = %v, want %v", tc.name, got, tc.person)
		}
		if tc.person {
			if len(out.Pose.Landmarks) != 33 || out.Width == 0 || out.Model != model.PoseLite {
				t.Errorf("%s: %d landmarks, width %d, model %q", tc.name, len(out.Pose.Landmarks), out.Width, out.Model)
			}
			// The same photo through the library directly: the endpoint adds nothing and loses nothing.
			img, _, err := pixels.DecodeImage(photo(t, tc.name), 0)
			if err != nil {
				t.Fatal(err)
			}
			res, err := landmarker(t).Detect(img)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := out.Pose.Landmarks[0].X, res.Pose.Landmarks[0].X; got != want {
				t.Errorf("%s: nose x %v over HTTP, %v from the library", tc.name, got, want)
			}
		}
	}
}

func TestInferMultipartUpload(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Inferer: landmarker(t)})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "ignored")
	fw, _ := mw.CreateFormFile("image", "messi5.jpg")
	fw.Write(photo(t, "messi5.jpg"))
	mw.Close()
	code, _, body := call(t, s, "POST", "/v1/infer", buf.Bytes(), "Content-Type", mw.FormDataContentType())
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var out model.Output
	json.Unmarshal(body, &out)
	if out.Source != "messi5.jpg" || out.Pose == nil {
		t.Errorf("source %q, pose found %v", out.Source, out.Pose != nil)
	}
}

// TestInferRefusesBadInput checks each refusal's status and code, on bad images made from
// real ones.
func TestInferRefusesBadInput(t *testing.T) {
	t.Parallel()
	jpg := photo(t, "messi5.jpg")
	s := newServer(t, Config{Inferer: landmarker(t), MaxBodyBytes: int64(len(jpg)) + 10})
	small := newServer(t, Config{Inferer: landmarker(t), MaxMegapixels: 0.1})
	for i, tc := range []struct {
		srv    *Server
		body   []byte
		status int
		code   string
	}{
		{s, nil, http.StatusBadRequest, CodeEmpty},
		{s, []byte("GIF89a not what we take"), http.StatusUnsupportedMediaType, CodeNotImage},
		{s, []byte("<html>hello</html>"), http.StatusUnsupportedMediaType, CodeNotImage},
		{s, jpg[:len(jpg)/3], http.StatusBadRequest, CodeCorrupt},                             // truncated
		{s, jpg[:40], http.StatusBadRequest, CodeCorrupt},                                     // a header cut short
		{s, append(jpg, make([]byte, 64)...), http.StatusRequestEntityTooLarge, CodeTooLarge}, // body over the limit
		{small, jpg, http.StatusRequestEntityTooLarge, CodeTooLarge},                          // more pixels than allowed
	} {
		code, _, body := call(t, tc.srv, "POST", "/v1/infer", tc.body, "Content-Type", "image/jpeg")
		if code != tc.status {
			t.Errorf("%d: status %d, want %d: %s", i, code, tc.status, body)
			continue
		}
		if got := errorCode(t, body); got != tc.code {
			t.Errorf("%d: code %q, want %q", i, got, tc.code)
		}
	}
}

// gatedInferer holds every Detect until the test opens the gate, so the pool's queue can be
// filled deterministically. It runs the real model once let through.
type gatedInferer struct {
	Inferer
	started chan struct{}
	gate    chan struct{}
}

func (g *gatedInferer) Detect(img pixels.Image) (model.Result, error) {
	g.started <- struct{}{}
	<-g.gate
	return g.Inferer.Detect(img)
}

func TestInferQueueFullAndTimeout(t *testing.T) {
	t.Parallel()
	g := &gatedInferer{Inferer: landmarker(t), started: make(chan struct{}, 8), gate: make(chan struct{})}
	reg := prometheus.NewRegistry()
	s := newServer(t, Config{Inferer: g, InferWorkers: 1, InferQueue: -1, InferTimeout: 300 * time.Millisecond, Registerer: reg, Gatherer: reg})
	jpg := photo(t, "messi5.jpg")
	ts := httptest.NewServer(s)
	defer ts.Close()

	// One request takes the only worker and waits at the gate; with no queue, the next is refused.
	first := make(chan int, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/v1/infer", "image/jpeg", bytes.NewReader(jpg))
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-g.started
	code, hdr, body := call(t, s, "POST", "/v1/infer", jpg)
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || errorCode(t, body) != CodeQueueFull {
		t.Errorf("second request: status %d, Retry-After %q, %s", code, hdr.Get("Retry-After"), body)
	}
	// The first times out at 300 ms although the model is still busy.
	if got := <-first; got != http.StatusGatewayTimeout {
		t.Errorf("first request: status %d, want 504", got)
	}
	// The timed-out inference still holds the worker until it ends: a new request is refused
	// until the gate opens, then served.
	if code, _, _ := call(t, s, "POST", "/v1/infer", jpg); code != http.StatusServiceUnavailable {
		t.Errorf("while the timed-out inference runs: status %d, want 503", code)
	}
	close(g.gate)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, body := call(t, s, "POST", "/v1/infer", jpg)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never served after the gate opened: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Two refusals above, and maybe more while the worker finished the timed-out inference.
	_, _, metrics := call(t, s, "GET", "/metrics", nil)
	m := regexp.MustCompile(`(?m)^holostream_infer_rejected_total\{reason="queue"\} (\d+)$`).FindSubmatch(metrics)
	if m == nil {
		t.Fatalf("no holostream_infer_rejected_total in /metrics")
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 2 {
		t.Errorf("metrics do not count the rejections:\n%s", grepLines(metrics, "holostream_infer"))
	}
}

func grepLines(b []byte, substr string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Inferer: landmarker(t), Token: "s3cret-token"})
	jpg := photo(t, "messi5.jpg")
	code, hdr, body := call(t, s, "POST", "/v1/infer", jpg)
	if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") || errorCode(t, body) != CodeUnauthorized {
		t.Errorf("no token: %d %q %s", code, hdr.Get("WWW-Authenticate"), body)
	}
	if code, _, _ := call(t, s, "POST", "/v1/infer", jpg, "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, _, body := call(t, s, "POST", "/v1/infer", jpg, "Authorization", "Bearer s3cret-token"); code != http.StatusOK {
		t.Errorf("right token: %d %s", code, body)
	}
	// ?access_token= is for EventSource only (TestQueryTokenOnlyOnEventStreams).
	// Operations and the UI stay open: probes and browsers must reach them.
	for _, p := range []string{"/healthz", "/readyz", "/"} {
		if code, _, _ := call(t, s, "GET", p, nil); code != http.StatusOK {
			t.Errorf("GET %s without a token: %d", p, code)
		}
	}
}

func TestRateLimitPerClient(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{RateLimit: 1, RateBurst: 2})
	get := func(remote string) (int, http.Header) {
		req := httptest.NewRequest("GET", "/v1/info", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code, rec.Header()
	}
	for i := 0; i < 2; i++ {
		if code, _ := get("10.0.0.1:5000"); code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, code)
		}
	}
	code, hdr := get("10.0.0.1:5001") // same client, another port
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
		t.Errorf("over the rate: %d, Retry-After %q", code, hdr.Get("Retry-After"))
	}
	if code, _ := get("10.0.0.2:5000"); code != http.StatusOK {
		t.Errorf("another client is limited by the first: %d", code)
	}
	// With the server's token, clients are still told apart by address: the token is shared.
	st := newServer(t, Config{RateLimit: 1, RateBurst: 1, Token: "shared"})
	call := func(remote string) int {
		req := httptest.NewRequest("GET", "/v1/info", nil)
		req.RemoteAddr = remote
		req.Header.Set("Authorization", "Bearer shared")
		rec := httptest.NewRecorder()
		st.ServeHTTP(rec, req)
		return rec.Code
	}
	if a, a2, b := call("10.0.0.1:1"), call("10.0.0.1:2"), call("10.0.0.2:1"); a != http.StatusOK || a2 != http.StatusTooManyRequests || b != http.StatusOK {
		t.Errorf("with a shared token: first %d, its second %d, another address %d; want 200, 429, 200", a, a2, b)
	}
}

// recordingSink keeps the frames it is sent, as Kafka would.
type recordingSink struct {
	mu     sync.Mutex
	frames []schemas.Frame
	err    error
}

func (r *recordingSink) Send(_ context.Context, f schemas.Frame) (Delivery, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return Delivery{}, r.err
	}
	r.frames = append(r.frames, f)
	return Delivery{Topic: "frames", Partition: 2, Offset: int64(len(r.frames) - 1)}, nil
}

// tableStore is an in-memory landmarks table, as the read model the API shows.
type tableStore map[string]schemas.CameraView

func (m tableStore) Cameras(context.Context) ([]schemas.CameraView, error) {
	var out []schemas.CameraView
	for id, c := range m {
		c.ID = id
		out = append(out, c)
	}
	return out, nil
}

func (m tableStore) Camera(_ context.Context, id string) (schemas.CameraView, bool, error) {
	c, ok := m[id]
	c.ID = id
	return c, ok, nil
}

func TestFramesAcceptedWithTheirIdentity(t *testing.T) {
	t.Parallel()
	sink := &recordingSink{}
	table := tableStore{"cam-7": {LastSeq: 41}}
	s := newServer(t, Config{Frames: sink, Cameras: table})
	jpg := photo(t, "messi5.jpg")

	// No seq: the camera's next after the table's last, then counting on.
	for want := int64(42); want <= 43; want++ {
		code, _, body := call(t, s, "POST", "/v1/frames?camera=cam-7&user=alice", jpg, "Content-Type", "image/jpeg")
		if code != http.StatusAccepted {
			t.Fatalf("status %d: %s", code, body)
		}
		var got FrameAccepted
		json.Unmarshal(body, &got)
		if got.CameraID != "cam-7" || got.UserID != "alice" || got.Seq != want || got.Width != 548 || got.Topic != "frames" || got.CapturedAt.IsZero() {
			t.Errorf("accepted %+v, want seq %d", got, want)
		}
	}
	// Multipart with fields, and a seq and capture time of the client's.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("camera", "cam-8")
	mw.WriteField("seq", "1000")
	mw.WriteField("captured_at", "2026-11-22T10:00:00.5Z")
	fw, _ := mw.CreateFormFile("image", "f.png")
	fw.Write(photo(t, "basketball1.png"))
	mw.Close()
	if code, _, body := call(t, s, "POST", "/v1/frames", buf.Bytes(), "Content-Type", mw.FormDataContentType()); code != http.StatusAccepted {
		t.Fatalf("multipart: %d %s", code, body)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.frames) != 3 {
		t.Fatalf("%d frames produced, want 3", len(sink.frames))
	}
	f := sink.frames[2]
	if f.CameraID != "cam-8" || f.UserID != "cam-8" || f.Seq != 1000 || f.ContentType != "image/png" ||
		!f.CapturedAt.Equal(time.Date(2026, 11, 22, 10, 0, 0, 5e8, time.UTC)) || !bytes.Equal(f.Image, photo(t, "basketball1.png")) {
		t.Errorf("frame %+v", f)
	}
}

func TestFramesRefusals(t *testing.T) {
	t.Parallel()
	sink := &recordingSink{}
	tiny := photo(t, "messi5.jpg") // 548x342: 0.19 MP
	big := photo(t, "fruits.jpg")  // 512x480: 0.25 MP
	s := newServer(t, Config{Frames: sink, MaxMegapixels: 0.2, MaxImageBytes: len(big)})
	overBytes := append(append([]byte{}, big...), 0)
	for i, tc := range []struct {
		target string
		body   []byte
		status int
		code   string
	}{
		{"/v1/frames?camera=a%20b", tiny, http.StatusBadRequest, CodeBadRequest},
		{"/v1/frames?seq=-3", tiny, http.StatusBadRequest, CodeBadRequest},
		{"/v1/frames?captured_at=yesterday", tiny, http.StatusBadRequest, CodeBadRequest},
		{"/v1/frames", []byte("not an image"), http.StatusUnsupportedMediaType, CodeNotImage},
		{"/v1/frames", tiny[:20], http.StatusBadRequest, CodeCorrupt},
		{"/v1/frames", big, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{"/v1/frames", overBytes, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{"/v1/frames?captured_at=9999-12-31T23:59:59Z", tiny, http.StatusBadRequest, CodeBadRequest},
		{"/v1/frames?captured_at=1970-01-01T00:00:00Z", tiny, http.StatusBadRequest, CodeBadRequest},
		{"/v1/frames?captured_at=" + time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339), tiny, http.StatusBadRequest, CodeBadRequest},
	} {
		code, _, body := call(t, s, "POST", tc.target, tc.body)
		if code != tc.status || errorCode(t, body) != tc.code {
			t.Errorf("%d: %d %s, want %d %s", i, code, body, tc.status, tc.code)
		}
	}
	sink.mu.Lock()
	if len(sink.frames) != 0 {
		t.Errorf("%d refused frames reached Kafka", len(sink.frames))
	}
	sink.mu.Unlock()
	// Kafka refusing is a 502 that says to retry.
	sink.err = io.ErrUnexpectedEOF
	if code, _, body := call(t, s, "POST", "/v1/frames", tiny); code != http.StatusBadGateway || errorCode(t, body) != CodeUpstream {
		t.Errorf("sink failing: %d %s", code, body)
	}
	// A frame the topic can never take is a 413 that says what to change, not "retry".
	sink.err = fmt.Errorf("%w: MESSAGE_TOO_LARGE", ErrFrameTooLarge)
	if code, _, body := call(t, s, "POST", "/v1/frames", tiny); code != http.StatusRequestEntityTooLarge || errorCode(t, body) != CodeTooLarge ||
		!strings.Contains(string(body), "max.message.bytes") || strings.Contains(string(body), "retry") {
		t.Errorf("topic refusing the size: %d %s", code, body)
	}
	sink.err = fmt.Errorf("%w: POLICY_VIOLATION", ErrFrameRefused)
	if code, _, body := call(t, s, "POST", "/v1/frames", tiny); code != http.StatusUnprocessableEntity || errorCode(t, body) != CodeRefused {
		t.Errorf("brokers refusing the record: %d %s", code, body)
	}
}

// TestSequencerNeverOverflows: a client's seq at the top of int64 does not make the next
// numbered frame wrap to a negative seq; numbering starts again at 1 (a restart, to the processor).
func TestSequencerNeverOverflows(t *testing.T) {
	t.Parallel()
	sink := &recordingSink{}
	table := tableStore{"cam-top": {LastSeq: math.MaxInt64}}
	s := newServer(t, Config{Frames: sink, Cameras: table})
	jpg := photo(t, "messi5.jpg")
	for _, target := range []string{"/v1/frames?camera=cam-top", "/v1/frames?camera=cam-x&seq=9223372036854775807", "/v1/frames?camera=cam-x"} {
		if code, _, body := call(t, s, "POST", target, jpg); code != http.StatusAccepted {
			t.Fatalf("%s: %d %s", target, code, body)
		}
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, f := range sink.frames {
		if f.Seq < 0 {
			t.Errorf("%s: seq %d", f.CameraID, f.Seq)
		}
	}
	if got := sink.frames[0].Seq; got != 1 {
		t.Errorf("after a table seq of MaxInt64 the next is %d, want 1", got)
	}
}

func TestCameras(t *testing.T) {
	t.Parallel()
	table := tableStore{"cam-1": {LastSeq: 9, Counters: schemas.CameraCounters{Received: 10, Emitted: 9, DeadLettered: 1}, Balanced: true}}
	s := newServer(t, Config{Cameras: table})
	code, _, body := call(t, s, "GET", "/v1/cameras", nil)
	var list struct{ Cameras []schemas.CameraView }
	if json.Unmarshal(body, &list); code != http.StatusOK || len(list.Cameras) != 1 || !list.Cameras[0].Balanced || list.Cameras[0].Counters.Received != 10 {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _, body := call(t, s, "GET", "/v1/cameras/nope", nil); code != http.StatusNotFound || errorCode(t, body) != CodeNotFound {
		t.Errorf("unknown camera: %d %s", code, body)
	}
}

func TestMissingPartsAndUnknownRoutes(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/v1/infer", http.StatusServiceUnavailable},
		{"POST", "/v1/frames", http.StatusServiceUnavailable},
		{"GET", "/v1/cameras", http.StatusServiceUnavailable},
		{"GET", "/v1/cameras/x/events", http.StatusServiceUnavailable},
		{"GET", "/v1/nothing", http.StatusNotFound},
		{"GET", "/v1/infer", http.StatusMethodNotAllowed},
		{"GET", "/metrics", http.StatusNotFound},
	} {
		if code, _, body := call(t, s, tc.method, tc.path, photo(t, "fruits.jpg")); code != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, code, tc.status, body)
		}
	}
	notReady := newServer(t, Config{Ready: func() error { return io.EOF }})
	if code, _, _ := call(t, notReady, "GET", "/readyz", nil); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while not ready: %d", code)
	}
}

// TestEventsStream reads the SSE stream of one camera through a real HTTP connection.
func TestEventsStream(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	s := newServer(t, Config{Events: hub})
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/v1/cameras/cam-1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	for hub.Subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	hub.PublishKeypoints(schemas.KeypointEvent{CameraID: "cam-2", UserID: "bob", Seq: 1}) // another camera: not ours
	hub.PublishKeypoints(schemas.KeypointEvent{CameraID: "cam-1", UserID: "alice", Seq: 7, CapturedAt: at, Status: schemas.StatusNoPerson})
	hub.PublishAction(schemas.ActionEvent{CameraID: "cam-1", UserID: "alice", Kind: schemas.ActionRep, RepCount: 3})
	hub.PublishStats(schemas.PoseStats{UserID: "alice", Frames: 30}) // alice was last seen on cam-1
	hub.PublishStats(schemas.PoseStats{UserID: "bob", Frames: 5})    // bob is on cam-2
	// A camera that follows several people: each person's windows come keyed by the person.
	hub.PublishKeypoints(schemas.KeypointEvent{CameraID: "cam-1", UserID: "alice", Seq: 8, CapturedAt: at,
		People: schemas.People{{ID: 4}, {ID: 5}}})
	hub.PublishStats(schemas.PoseStats{UserID: schemas.PersonKey("alice", "cam-1", 5), Frames: 12})
	hub.PublishStats(schemas.PoseStats{UserID: schemas.PersonKey("bob", "cam-2", 1), Frames: 9}) // never seen on cam-1
	var events []string
	buf := make([]byte, 4096)
	var all string
	for len(events) < 5 {
		n, err := resp.Body.Read(buf)
		if err != nil {
			t.Fatalf("stream ended after %q: %v", all, err)
		}
		all += string(buf[:n])
		events = nil
		for _, block := range strings.Split(all, "\n\n") {
			if strings.Contains(block, "event: ") {
				events = append(events, block)
			}
		}
	}
	want := []string{"id: 7\nevent: keypoints\ndata: {\"camera_id\":\"cam-1\"", "event: action\ndata: {\"user_id\":\"alice\"", "event: stats\ndata: {\"user_id\":\"alice\"",
		"id: 8\nevent: keypoints\ndata: {\"camera_id\":\"cam-1\"", "event: stats\ndata: {\"user_id\":\"alice#cam-1#5\""}
	for i, w := range want {
		if !strings.HasPrefix(events[i], w) {
			t.Errorf("event %d: %q, want it to start with %q", i, events[i], w)
		}
	}
	if strings.Contains(all, "bob") {
		t.Errorf("cam-1's stream carries another camera's events: %q", all)
	}
}

// TestUIAssetsRevalidate checks that the embedded UI carries ETags, so browsers get 304s.
func TestUIAssetsRevalidate(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{})
	for _, p := range []string{"/", "/ui/draw.js"} {
		code, hdr, _ := call(t, s, "GET", p, nil)
		tag := hdr.Get("ETag")
		if code != http.StatusOK || tag == "" {
			t.Fatalf("GET %s: %d, ETag %q", p, code, tag)
		}
		if code, _, _ := call(t, s, "GET", p, nil, "If-None-Match", tag); code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p, code)
		}
	}
}

// TestRefinedHolisticOverHTTP: a server running holistic-refined says so in /v1/skeleton (478 face
// points) and answers /v1/infer on a real photo with a 478-point face; a pose server keeps 468.
func TestRefinedHolisticOverHTTP(t *testing.T) {
	t.Parallel()
	lm, err := model.Open(model.HolisticRefined)
	if err != nil {
		t.Fatalf("open holistic-refined: %v (run `make setup`)", err)
	}
	defer lm.Close()
	for _, tc := range []struct {
		inferer Inferer
		face    int
	}{{landmarker(t), 468}, {lm, 478}} {
		var sk Skeleton
		code, _, body := call(t, newServer(t, Config{Inferer: tc.inferer}), "GET", "/v1/skeleton", nil)
		if err := json.Unmarshal(body, &sk); code != http.StatusOK || err != nil || sk.FaceLandmarks != tc.face || sk.HandLandmarks != 21 {
			t.Errorf("%s: /v1/skeleton %d %s: want face_landmarks %d", tc.inferer.Kind(), code, body, tc.face)
		}
	}
	code, _, body := call(t, newServer(t, Config{Inferer: lm}), "POST", "/v1/infer", photo(t, "messi5.jpg"), "Content-Type", "image/jpeg")
	var out model.Output
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil {
		t.Fatalf("/v1/infer: %d %s", code, body)
	}
	if out.Model != model.HolisticRefined || out.Pose == nil || len(out.Face) != 478 {
		t.Errorf("/v1/infer: model %q, pose %v, %d face points: want holistic-refined with 478", out.Model, out.Pose != nil, len(out.Face))
	}
}
