package loadtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/holostream/holostream/camera"
)

var stills = camera.Source{{Name: "a.jpg", Data: []byte("\xff\xd8 not really a jpeg"), ContentType: "image/jpeg"}}

// TestHTTPLoadCounts runs one camera against a scripted endpoint that answers by the frame's
// place in the sequence: 200 with a person, 200 without, 503 (queue full), 429 (rate limited),
// 504, then a dropped connection; every frame is counted once, under its status.
func TestHTTPLoadCounts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	n := 0
	var badHeaders []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		i := n
		if r.Method != http.MethodPost || r.URL.Path != "/v1/infer" || r.Header.Get("Content-Type") != "image/jpeg" ||
			r.Header.Get("Authorization") != "Bearer s3cret" || string(body) != string(stills[0].Data) {
			badHeaders = append(badHeaders, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		}
		mu.Unlock()
		switch i % 6 {
		case 1:
			w.Write([]byte(`{"source":"upload","width":4,"height":3,"model":"pose-full","pose":{"landmarks":[]},"face":null,"timings_ms":{}}`))
		case 2:
			w.Write([]byte(`{"model":"pose-full","pose":null}`))
		case 3:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"queue full","code":"queue_full"}`, http.StatusServiceUnavailable)
		case 4:
			http.Error(w, `{"error":"slow down","code":"rate_limited"}`, http.StatusTooManyRequests)
		case 5:
			http.Error(w, `{"error":"timeout","code":"timeout"}`, http.StatusGatewayTimeout)
		case 0:
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
		}
	}))
	defer srv.Close()

	rec := NewRecorder()
	rec.BeginStep(StepSpec{1, 50}, []string{"cam"}, time.Now(), time.Minute, 0)
	h := &HTTPLoad{URL: srv.URL + "/v1/infer", Token: "s3cret", Client: srv.Client(), Rec: rec, MaxInFlight: 100}
	due, err := h.Camera(context.Background(), "cam", 50, stills, 235*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if due < 10 || due > 14 {
		t.Errorf("%d frames due in 235 ms at 50 fps, want about 12", due)
	}
	if len(badHeaders) > 0 {
		t.Errorf("requests not as the endpoint expects: %v", badHeaders)
	}
	s := rec.Steps()[0]
	// Answers come in any order, but each status has its share of the sequence by arrival.
	share := func(k int) int64 { return int64((due + 6 - k) / 6) } // requests i (1-based) with i%6 == k%6
	want := map[string]int64{"http_503": share(3), "http_429": share(4), "http_504": share(5), "transport": share(6)}
	for k, v := range want {
		if s.Errors[k] != v {
			t.Errorf("errors[%s] = %d, want %d (all: %v)", k, s.Errors[k], v, s.Errors)
		}
	}
	if s.Sent != int64(due) || s.Acknowledged != int64(due) || s.Emitted != share(1)+share(2) || s.Detected != share(1) ||
		s.Rejected != int64(due)-s.Emitted || s.Unaccounted != 0 || !s.Balanced() {
		t.Errorf("step %+v", s)
	}
	if s.LatencyMs.Count != int(s.Emitted) || s.LatencyMs.P50 <= 0 {
		t.Errorf("latency of the 200s: %+v", s.LatencyMs)
	}
	if h.Model() != "pose-full" {
		t.Errorf("model %q", h.Model())
	}
	rep := rec.Report(Run{})
	if rep.OK() {
		t.Error("504s and transport errors did not fail the run")
	}
}

// TestHTTPLoadOpenLoop: a camera keeps its schedule while answers are slow, up to its cap of
// requests in flight; frames due beyond it are dropped by the client and counted.
func TestHTTPLoadOpenLoop(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	arrived := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		mu.Unlock()
		<-release
		w.Write([]byte(`{"model":"pose-lite","pose":null}`))
	}))
	defer srv.Close()
	rec := NewRecorder()
	rec.BeginStep(StepSpec{1, 100}, []string{"cam"}, time.Now(), time.Minute, 0)
	h := &HTTPLoad{URL: srv.URL, Client: srv.Client(), Rec: rec, MaxInFlight: 3}
	due, err := h.Camera(context.Background(), "cam", 100, stills, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := h.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := rec.Steps()[0]
	if due < 10 || s.Sent != int64(due) || s.Acknowledged != 3 || s.Errors["dropped_by_client"] != int64(due-3) ||
		s.Emitted != 3 || !s.Balanced() {
		t.Errorf("due %d: %+v", due, s)
	}
	mu.Lock()
	defer mu.Unlock()
	if arrived != 3 {
		t.Errorf("%d requests arrived, want 3", arrived)
	}
	if !rec.Report(Run{}).OK() {
		t.Error("dropping by the client failed the run")
	}
}

func TestHTTPLoadBadArgs(t *testing.T) {
	t.Parallel()
	h := &HTTPLoad{URL: "http://127.0.0.1:1", Rec: NewRecorder()}
	if _, err := h.Camera(context.Background(), "c", 0, stills, time.Second); err == nil {
		t.Error("fps 0: no error")
	}
	if _, err := h.Camera(context.Background(), "c", 5, nil, time.Second); err == nil {
		t.Error("no frames: no error")
	}
}
