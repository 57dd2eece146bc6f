package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// The event-stream tests run a real HTTP server on 127.0.0.1 and clients that connect from other
// loopback addresses (127.0.0.2, ...), which the gateway counts as other clients, as it would
// hosts on a network. Events are real: pose-lite's landmarks of a real photo.

// tableCameras is a CameraStore in memory: the camera ids the landmarks table has rows for.
// The gateway only asks it whether a camera exists.
type tableCameras struct {
	mu  sync.Mutex
	ids map[string]bool
}

func newTableCameras(ids ...string) *tableCameras {
	c := &tableCameras{ids: map[string]bool{}}
	for _, id := range ids {
		c.add(id)
	}
	return c
}

func (c *tableCameras) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids[id] = true
}

func (c *tableCameras) Cameras(context.Context) ([]schemas.CameraView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []schemas.CameraView
	for id := range c.ids {
		out = append(out, schemas.CameraView{ID: id})
	}
	return out, nil
}

func (c *tableCameras) Camera(_ context.Context, id string) (schemas.CameraView, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return schemas.CameraView{ID: id}, c.ids[id], nil
}

// photoEvent is a keypoint event of camera carrying pose-lite's landmarks of messi5.jpg.
func photoEvent(t testing.TB, camera string) schemas.KeypointEvent {
	t.Helper()
	img, _, err := pixels.DecodeImage(photo(t, "messi5.jpg"), 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := landmarker(t).Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	ev := landmarks.KeypointEvent(schemas.Frame{CameraID: camera, UserID: "user-" + camera}, img, model.PoseLite, 1, res)
	if ev.Pose == nil {
		t.Fatal("no person found in messi5.jpg")
	}
	return ev
}

// streamServer serves s on 127.0.0.1 and returns its address.
func streamServer(t *testing.T, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close) // runs first: ends the event streams ts.Close would wait for
	return strings.TrimPrefix(ts.URL, "http://")
}

// stream is one client's GET of a camera's events over its own connection.
type stream struct {
	conn net.Conn
	resp *http.Response
}

// openStream opens camera's event stream on the server at addr from the loopback address from.
// For an error answer it reads the body and closes the connection. (Shrinking the receive buffer
// of a client meant not to read would not make the test quicker: the server's send buffer holds
// most of what is in flight, and a tiny window makes the kernel slow to send the rest later.)
func openStream(t *testing.T, addr, from, camera string) *stream {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("connect from %s: %v", from, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /v1/cameras/%s/events HTTP/1.1\r\nHost: %s\r\n\r\n", camera, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s's events from %s: %v", camera, from, err)
	}
	conn.SetDeadline(time.Time{})
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		conn.Close()
	}
	return &stream{conn: conn, resp: resp}
}

// refused checks that st was refused with status and TOO_MANY_STREAMS, a Retry-After, and a
// message that names flag; i says which case of the test it is.
func (st *stream) refused(t *testing.T, i int, status int, flag string) {
	t.Helper()
	body, _ := io.ReadAll(st.resp.Body)
	var e apiError
	json.Unmarshal(body, &e)
	if st.resp.StatusCode != status || e.Code != CodeTooManyStreams || st.resp.Header.Get("Retry-After") != "10" || !strings.Contains(e.Error, flag) {
		t.Errorf("case %d: %d Retry-After %q %s: want %d %s, Retry-After 10, a message naming %s",
			i, st.resp.StatusCode, st.resp.Header.Get("Retry-After"), body, status, CodeTooManyStreams, flag)
	}
}

// readIDs reads an event stream's body, sending the id of each event on ids; it closes ids
// when the stream ends.
func readIDs(body io.Reader, ids chan<- string) {
	defer close(ids)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids <- id
		}
	}
}

// publishUntil publishes ev to hub in waves of 16, each numbered on from *seq, each wave once the
// well-behaved reader (ids) has had every event before it, until done reports true; it fails the
// test if the reader misses or reorders an event, or after 2,000 waves or a minute.
func publishUntil(t *testing.T, hub *Hub, ev schemas.KeypointEvent, seq *int64, ids <-chan string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for wave := 0; !done(); wave++ {
		if wave == 2000 || time.Now().After(deadline) {
			t.Fatalf("still not done after %d waves (seq %d)", wave, *seq)
		}
		for range 16 {
			*seq++
			ev.Seq = *seq
			hub.PublishKeypoints(ev)
		}
		for want := *seq - 15; want <= *seq; want++ {
			select {
			case id, ok := <-ids:
				if !ok {
					t.Fatalf("the well-behaved stream ended at seq %d", want)
				}
				if id != strconv.FormatInt(want, 10) {
					t.Fatalf("the well-behaved stream got event %s, want %d: it lost events", id, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the well-behaved stream did not get event %d within 10 s", want)
			}
		}
	}
}

// waitFor polls cond every 10 ms until it holds or 10 s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("waiting for %s: 10 s passed", what)
		}
	}
}

// drainToEOF reads st until the server closes it; it fails the test if that takes over 30 s.
func (st *stream) drainToEOF(t *testing.T, who string) string {
	t.Helper()
	st.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := io.ReadAll(st.resp.Body)
	// The server closing a connection with unread bytes of the client's request (none here, but
	// the kernel decides) resets it instead: closed too.
	if err != nil && !strings.Contains(err.Error(), "unexpected EOF") && !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("%s: the server did not close the stream: %v", who, err)
	}
	return string(b)
}

// TestEventStreamsHostileClient: one client opens 20 streams it never reads, others open streams
// for made-up cameras, and a well-behaved client still gets its stream and every event; the
// non-reading streams are closed once they fall behind.
func TestEventStreamsHostileClient(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	table := newTableCameras("cam-good")
	s := newServer(t, Config{Events: hub, Cameras: table}) // the default limits: 256, 16 a client, 64 a camera, 32 waiting
	addr := streamServer(t, s)

	// The hostile client: 20 streams of a busy camera that it never reads, then made-up cameras.
	var hostile []*stream
	for i := range 20 {
		st := openStream(t, addr, "127.0.0.2", "cam-good")
		if i < 16 {
			if st.resp.StatusCode != http.StatusOK {
				t.Fatalf("hostile stream %d: %d", i, st.resp.StatusCode)
			}
			hostile = append(hostile, st)
			continue
		}
		st.refused(t, i, http.StatusTooManyRequests, "--max-streams-per-client")
	}
	openStream(t, addr, "127.0.0.2", "made-up-0").refused(t, 20, http.StatusTooManyRequests, "--max-streams-per-client")
	// Made-up camera ids from three more addresses: 32 wait for a first frame, the rest are refused.
	waiting := 0
	for i := range 48 {
		st := openStream(t, addr, fmt.Sprintf("127.0.0.%d", 3+i/16), fmt.Sprintf("made-up-%d", i))
		if st.resp.StatusCode == http.StatusOK {
			waiting++
			continue
		}
		st.refused(t, i, http.StatusServiceUnavailable, "--max-waiting-streams")
	}
	if waiting != 32 {
		t.Errorf("%d streams for made-up cameras admitted, want 32 (--max-waiting-streams)", waiting)
	}

	// The well-behaved client gets its stream of a camera the table knows.
	good := openStream(t, addr, "127.0.0.1", "cam-good")
	if good.resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(good.resp.Body)
		t.Fatalf("the well-behaved client's stream: %d %s", good.resp.StatusCode, body)
	}
	ids := make(chan string, 64)
	go readIDs(good.resp.Body, ids)
	// A camera that is not in the table yet waits among the made-up ones: refused while they
	// are full, admitted once the processors have written its row (the UI retries every 3 s).
	openStream(t, addr, "127.0.0.1", "cam-new").refused(t, 48, http.StatusServiceUnavailable, "no frame of camera")
	table.add("cam-new")
	if st := openStream(t, addr, "127.0.0.1", "cam-new"); st.resp.StatusCode != http.StatusOK {
		t.Errorf("cam-new once in the table: %d", st.resp.StatusCode)
	}

	// Events flow; the good client reads each wave before the next, the hostile one never reads.
	var seq int64
	ev := photoEvent(t, "cam-good")
	slow := func() bool { return testutil.ToFloat64(s.metrics.streamsSlow) >= 16 }
	publishUntil(t, hub, ev, &seq, ids, slow)
	t.Logf("the 16 non-reading streams were closed after %d events (%d lost)", seq, int(testutil.ToFloat64(s.metrics.dropped)))
	if n := testutil.ToFloat64(s.metrics.streamsSlow); n != 16 {
		t.Errorf("%v streams closed for falling behind, want the hostile 16", n)
	}
	for i, st := range hostile {
		st.drainToEOF(t, fmt.Sprintf("hostile stream %d", i))
	}
	// The good client's stream is still open and still gets events.
	more := seq + 64
	publishUntil(t, hub, ev, &seq, ids, func() bool { return seq >= more })
	if n := hub.Subscribers(); n != 1+32+1 {
		t.Errorf("%d subscribers left, want the good client's 2 and the 32 waiting", n)
	}
	for reason, want := range map[string]float64{"client": 5, "waiting": 17} {
		if got := testutil.ToFloat64(s.metrics.streamsRefused.WithLabelValues(reason)); got != want {
			t.Errorf("holostream_sse_refused_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
}

// TestEventStreamSlowReaderClosed: a client that reads, but slower than the events come, is
// closed once it has lost a queue's worth of them; a client keeping up loses none.
func TestEventStreamSlowReaderClosed(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	s := newServer(t, Config{Events: hub, Cameras: newTableCameras("cam-1")})
	addr := streamServer(t, s)
	good := openStream(t, addr, "127.0.0.1", "cam-1")
	slowReader := openStream(t, addr, "127.0.0.2", "cam-1")
	if good.resp.StatusCode != http.StatusOK || slowReader.resp.StatusCode != http.StatusOK {
		t.Fatalf("streams: %d, %d", good.resp.StatusCode, slowReader.resp.StatusCode)
	}
	ids := make(chan string, 64)
	go readIDs(good.resp.Body, ids)
	// The slow reader takes 1 KiB every 10 ms (100 KiB/s), under the events' pace, until it has
	// been dropped; then it reads what is left at full speed (hurry), to see the stream end.
	var hurry atomic.Bool
	type end struct {
		n   int
		err error
	}
	slowEnd := make(chan end, 1)
	go func() {
		buf := make([]byte, 64<<10)
		n := 0
		for {
			size := 1024
			if hurry.Load() {
				size = len(buf)
			}
			k, err := slowReader.resp.Body.Read(buf[:size])
			n += k
			if err != nil {
				slowEnd <- end{n, err}
				return
			}
			if !hurry.Load() {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	var seq int64
	publishUntil(t, hub, photoEvent(t, "cam-1"), &seq, ids, func() bool { return testutil.ToFloat64(s.metrics.streamsSlow) >= 1 })
	hurry.Store(true)
	select {
	case r := <-slowEnd:
		t.Logf("the slow reader read %d bytes before its stream ended (%v); %d events published", r.n, r.err, seq)
		if !strings.Contains(r.err.Error(), "EOF") && !strings.Contains(r.err.Error(), "connection reset") {
			t.Errorf("the slow reader's stream ended with %v, want the server closing it", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the slow reader's stream still open 30 s after it was dropped")
	}
	if n := hub.Subscribers(); n != 1 {
		t.Errorf("%d subscribers, want only the one keeping up", n)
	}
	if lost := testutil.ToFloat64(s.metrics.dropped); lost < lagLimit {
		t.Errorf("%v events counted lost, want >= %d", lost, lagLimit)
	}
}

// TestEventStreamLimits: each limit refuses with its status, and a freed place is taken again.
func TestEventStreamLimits(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	s := newServer(t, Config{Events: hub, Cameras: newTableCameras("cam-a", "cam-b", "cam-c"),
		MaxSubscribers: 8, MaxSubscribersPerClient: 3, MaxSubscribersPerCamera: 4, MaxWaitingSubscribers: 2})
	addr := streamServer(t, s)
	open := map[int]*stream{}
	for i, tc := range []struct {
		from, camera string
		status       int
		flag         string // named by the refusal
	}{
		{"127.0.0.2", "cam-a", 200, ""},
		{"127.0.0.2", "cam-a", 200, ""},
		{"127.0.0.2", "cam-a", 200, ""},
		{"127.0.0.2", "cam-b", 429, "--max-streams-per-client"}, // 3: the client's limit
		{"127.0.0.3", "cam-a", 200, ""},
		{"127.0.0.4", "cam-a", 503, "--max-streams-per-camera"}, // 5: cam-a has 4
		{"127.0.0.4", "new-1", 200, ""},
		{"127.0.0.4", "new-2", 200, ""},
		{"127.0.0.5", "new-3", 503, "--max-waiting-streams"}, // 8: two wait already
		{"127.0.0.5", "cam-b", 200, ""},
		{"127.0.0.6", "cam-b", 200, ""},
		{"127.0.0.6", "cam-c", 503, "--max-streams"}, // 11: 8 open
	} {
		st := openStream(t, addr, tc.from, tc.camera)
		if tc.status == http.StatusOK {
			if st.resp.StatusCode != http.StatusOK {
				t.Fatalf("case %d: %s from %s: %d, want 200", i, tc.camera, tc.from, st.resp.StatusCode)
			}
			open[i] = st
			continue
		}
		st.refused(t, i, tc.status, tc.flag)
	}
	closeStream := func(i int) {
		t.Helper()
		n := hub.Subscribers()
		open[i].conn.Close()
		waitFor(t, "the server to notice a stream closed", func() bool { return hub.Subscribers() < n })
	}
	// A closed stream frees its place in all, its client's and its camera's.
	closeStream(10)
	closeStream(0)
	for i, tc := range []struct{ from, camera string }{{"127.0.0.2", "cam-a"}, {"127.0.0.6", "cam-c"}} {
		if st := openStream(t, addr, tc.from, tc.camera); st.resp.StatusCode != http.StatusOK {
			t.Errorf("after closing, case %d: %s from %s: %d", i, tc.camera, tc.from, st.resp.StatusCode)
		}
	}
	// A waiting camera's first event makes it known: its stream stops counting as waiting.
	closeStream(9)
	hub.PublishKeypoints(schemas.KeypointEvent{CameraID: "new-1", Seq: 1})
	if st := openStream(t, addr, "127.0.0.5", "new-3"); st.resp.StatusCode != http.StatusOK {
		t.Errorf("new-3 once new-1 had an event: %d", st.resp.StatusCode)
	}
}
