package gateway

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestAdmissionWaitsWithinTheBudget: with the service time measured, requests are admitted
// while their expected answer is within the budget, refused past it with a Retry-After of the
// excess, and admitted again as the queue drains.
func TestAdmissionWaitsWithinTheBudget(t *testing.T) {
	t.Parallel()
	a := newAdmission(2, 1000, time.Second, 1<<30, prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"}))
	// Before anything was measured, nothing bounds the wait but the queue.
	first, ref := a.admit(0)
	if ref != nil {
		t.Fatalf("first request refused: %s", ref.msg)
	}
	a.done(first, 100*time.Millisecond)
	// 100 ms a request on 2 workers: the n-th admitted (from 0) answers after (n/2+1) x 100 ms,
	// so 20 fit in 1 s and the 21st does not.
	var tickets []ticket
	for i := 0; i < 20; i++ {
		tk, ref := a.admit(0)
		if ref != nil {
			t.Fatalf("request %d refused: %s", i, ref.msg)
		}
		tickets = append(tickets, tk)
	}
	if ref := a.precheck(); ref == nil || ref.reason != "wait" {
		t.Fatalf("21st request: precheck %+v, want a wait refusal", ref)
	}
	_, ref = a.admit(0)
	if ref == nil || ref.reason != "wait" || ref.retryAfter != 100*time.Millisecond {
		t.Fatalf("21st request: %+v, want a wait refusal, retry after 100ms", ref)
	}
	if !strings.Contains(ref.msg, "--infer-timeout") {
		t.Errorf("the refusal does not name the flag to change: %s", ref.msg)
	}
	// One answered: one more fits.
	a.done(tickets[0], 100*time.Millisecond)
	if _, ref := a.admit(0); ref != nil {
		t.Errorf("after one finished: refused: %s", ref.msg)
	}
	// Slower requests shrink the queue the budget allows: at about 300 ms a request, the 6th
	// admitted answers after (5/2+1) x 300 ms = 900 ms, the 7th would after 1.2 s.
	for _, tk := range tickets[1:] {
		a.done(tk, 300*time.Millisecond)
	}
	admitted, _, service := a.state()
	if service < 250*time.Millisecond || service > 300*time.Millisecond {
		t.Errorf("service %v after 19 requests of 300 ms, want it to follow them", service)
	}
	for admitted < 100 {
		if _, ref := a.admit(0); ref != nil {
			break
		}
		admitted++
	}
	if admitted != 6 {
		t.Errorf("%d admitted at %v a request within 1 s, want 6", admitted, service)
	}
}

// TestAdmissionBoundsMemory: admitted requests never hold more than the budget together; a
// request that does not fit now is refused (503 reason memory) and fits once others finish.
func TestAdmissionBoundsMemory(t *testing.T) {
	t.Parallel()
	a := newAdmission(4, 1000, time.Minute, 100, prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"}))
	for i, tc := range []struct {
		cost   int64
		reason string // "": admitted
	}{
		{60, ""},
		{50, "memory"},
		{40, ""},
		{1, "memory"},
		{0, ""},
	} {
		_, ref := a.admit(tc.cost)
		switch {
		case tc.reason == "" && ref != nil:
			t.Errorf("%d: cost %d refused: %s", i, tc.cost, ref.msg)
		case tc.reason != "" && (ref == nil || ref.reason != tc.reason):
			t.Errorf("%d: cost %d: %+v, want a %s refusal", i, tc.cost, ref, tc.reason)
		}
	}
	a.done(ticket{cost: 60}, time.Millisecond)
	if _, ref := a.admit(50); ref != nil {
		t.Errorf("after 60 freed, 50 refused: %s", ref.msg)
	}
	if a.peak > a.memory {
		t.Errorf("peak %d held, budget %d", a.peak, a.memory)
	}
}

// hugePNG is an RGB PNG of w x h black pixels: a few hundred KB that decode to w*h*7 bytes.
func hugePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+3*w) // filter byte 0, then black
	for range h {
		z.Write(row)
	}
	z.Close()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// TestInferRefusesHugePNGFloodByMemory is the hostile client: 12 concurrent small PNGs of
// 3000x3000 pixels (63 MB each to decode) against a budget of two, on the real model. Every
// answer is a result or a 503 with Retry-After; the memory the admitted requests held never
// passed the budget; a photo sent meanwhile is still served; refusals are counted by reason.
func TestInferRefusesHugePNGFloodByMemory(t *testing.T) {
	t.Parallel()
	bomb := hugePNG(t, 3000, 3000)
	h, ok := readImageHeader(bomb)
	if !ok {
		t.Fatal("the test's PNG header does not read")
	}
	budget := 2*(h.cost()+int64(len(bomb))) + 8<<20
	reg := prometheus.NewRegistry()
	s := newServer(t, Config{Inferer: landmarker(t), InferWorkers: 2, InferMemory: budget, InferTimeout: time.Minute,
		Registerer: reg, Gatherer: reg})
	ts := httptest.NewServer(s)
	defer ts.Close()

	const clients = 12
	codes := make([]int, clients)
	retry := make([]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL+"/v1/infer", "image/png", bytes.NewReader(bomb))
			if err != nil {
				return
			}
			defer resp.Body.Close()
			codes[i], retry[i] = resp.StatusCode, resp.Header.Get("Retry-After")
		}()
	}
	code, _, body := call(t, s, "POST", "/v1/infer", photo(t, "messi5.jpg"))
	wg.Wait()
	if code != http.StatusOK {
		t.Errorf("a photo sent during the flood: %d %s", code, body)
	}
	served, refused := 0, 0
	for i, c := range codes {
		switch {
		case c == http.StatusOK:
			served++
		case c == http.StatusServiceUnavailable && retry[i] != "":
			refused++
		default:
			t.Errorf("%d: status %d, Retry-After %q", i, c, retry[i])
		}
	}
	if served == 0 || refused == 0 {
		t.Errorf("%d served, %d refused: want both", served, refused)
	}
	if s.pool.peak > budget {
		t.Errorf("the admitted requests held %d MiB at once, budget %d MiB", s.pool.peak>>20, budget>>20)
	}
	_, _, metrics := call(t, s, "GET", "/metrics", nil)
	m := regexp.MustCompile(`(?m)^holostream_infer_rejected_total\{reason="memory"\} (\d+)$`).FindSubmatch(metrics)
	if m == nil || string(m[1]) != strconv.Itoa(refused) {
		t.Errorf("refusals by memory in /metrics, want %d:\n%s", refused, grepLines(metrics, "holostream_infer"))
	}
}

// TestInferRefusesWhatCanNeverFit: an image whose header alone says it needs more than the
// whole memory budget, or more megapixels than allowed, is answered 413 at once, never queued.
func TestInferRefusesWhatCanNeverFit(t *testing.T) {
	t.Parallel()
	bomb := hugePNG(t, 2000, 2000) // 28 MB to decode
	for i, cfg := range []Config{
		{Inferer: landmarker(t), InferMemory: 16 << 20},
		{Inferer: landmarker(t), MaxMegapixels: 1},
	} {
		s := newServer(t, cfg)
		code, _, body := call(t, s, "POST", "/v1/infer", bomb)
		if code != http.StatusRequestEntityTooLarge || errorCode(t, body) != CodeTooLarge {
			t.Errorf("%d: status %d %s, want 413", i, code, body)
		}
		var e apiError
		json.Unmarshal(body, &e)
		if !strings.Contains(e.Error, "2000x2000") || !strings.Contains(e.Error, "smaller image") {
			t.Errorf("%d: the error does not say what was wrong and what to do: %s", i, e.Error)
		}
	}
}

// TestInferRefusalsAreCheap: refusals under overload are not logged one by one (a client that
// ignores Retry-After would fill the log) but summed up, and counted in the metrics.
func TestInferRefusalsAreCheap(t *testing.T) {
	t.Parallel()
	g := &gatedInferer{Inferer: landmarker(t), started: make(chan struct{}, 1), gate: make(chan struct{})}
	var logBuf syncBuffer
	reg := prometheus.NewRegistry()
	s := newServer(t, Config{Inferer: g, InferWorkers: 1, InferQueue: -1, InferRefusalDelay: -1, Registerer: reg, Gatherer: reg,
		Log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts := httptest.NewServer(s)
	defer ts.Close()
	jpg := photo(t, "messi5.jpg")
	done := make(chan int, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/v1/infer", "image/jpeg", bytes.NewReader(jpg))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-g.started
	const refusals = 200
	for i := range refusals {
		if code, _, body := call(t, s, "POST", "/v1/infer", jpg); code != http.StatusServiceUnavailable {
			t.Fatalf("%d: status %d %s, want 503", i, code, body)
		}
	}
	close(g.gate)
	if code := <-done; code != http.StatusOK {
		t.Errorf("the request that held the worker: %d", code)
	}
	// The answer reaches the client a moment before the server logs it.
	log := logBuf.String()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log, "status=200") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		log = logBuf.String()
	}
	if n := strings.Count(log, "status=503"); n > 0 {
		t.Errorf("%d refusals logged one by one:\n%s", n, log)
	}
	if n := strings.Count(log, "refusing requests"); n != 1 {
		t.Errorf("%d summary lines for %d refusals within seconds, want 1:\n%s", n, refusals, log)
	}
	if !strings.Contains(log, "status=200") {
		t.Errorf("the answered request is not logged:\n%s", log)
	}
	_, _, metrics := call(t, s, "GET", "/metrics", nil)
	if !strings.Contains(string(metrics), `holostream_infer_rejected_total{reason="queue"} `+strconv.Itoa(refusals)) {
		t.Errorf("metrics do not count %d refusals:\n%s", refusals, grepLines(metrics, "holostream_infer"))
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestInferRefusalIsHeld: a refusal is sent after Config.InferRefusalDelay, not at once, so a
// client that ignores Retry-After cannot come back hundreds of times a second; the request that
// holds the worker is answered meanwhile.
func TestInferRefusalIsHeld(t *testing.T) {
	t.Parallel()
	g := &gatedInferer{Inferer: landmarker(t), started: make(chan struct{}, 1), gate: make(chan struct{})}
	const delay = 300 * time.Millisecond
	s := newServer(t, Config{Inferer: g, InferWorkers: 1, InferQueue: -1, InferRefusalDelay: delay})
	jpg := photo(t, "messi5.jpg")
	done := make(chan int, 1)
	go func() {
		code, _, _ := call(t, s, "POST", "/v1/infer", jpg)
		done <- code
	}()
	<-g.started
	start := time.Now()
	code, hdr, body := call(t, s, "POST", "/v1/infer", jpg)
	if held := time.Since(start); code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || held < delay {
		t.Errorf("refused after %v with %d, Retry-After %q: %s; want 503 held %v", held, code, hdr.Get("Retry-After"), body, delay)
	}
	close(g.gate)
	if code := <-done; code != http.StatusOK {
		t.Errorf("the request holding the worker: %d", code)
	}
}
