package gateway

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// BenchmarkIdleEventStreams measures what an open, idle event stream costs the server: Go heap
// and goroutine stacks per stream, over 256 streams (the default --max-streams) on loopback. The
// clients are bare connections that send the request and read nothing, so nearly all the memory
// counted is the server's. (The kernel's socket buffers come on top: little while idle.)
//
//	go test -run '^$' -bench IdleEventStreams -benchtime 5x ./gateway/
func BenchmarkIdleEventStreams(b *testing.B) {
	const streams = 256
	hub := NewHub()
	s, err := New(Config{Events: hub, Cameras: newTableCameras("cam-1"), MaxSubscribersPerClient: streams, MaxSubscribersPerCamera: streams})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addr := benchServer(b, s)
	var perStream float64
	for b.Loop() {
		before := inUse()
		conns := make([]net.Conn, streams)
		for i := range conns {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(c, "GET /v1/cameras/cam-1/events HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			conns[i] = c
		}
		waitSubscribers(b, hub, streams)
		perStream += float64(inUse()-before) / streams
		for _, c := range conns {
			c.Close()
		}
		waitSubscribers(b, hub, 0)
	}
	b.ReportMetric(perStream/float64(b.N), "B/stream")
}

// BenchmarkPublishToStreams measures one keypoint event (pose-lite's landmarks of a real photo)
// sent to 64 open streams over loopback, each read by its client: the time per event, from
// publishing to every client having it.
//
//	go test -run '^$' -bench PublishToStreams -benchtime 2000x ./gateway/
func BenchmarkPublishToStreams(b *testing.B) {
	const streams = 64
	hub := NewHub()
	s, err := New(Config{Events: hub, Cameras: newTableCameras("cam-1"), MaxSubscribersPerClient: streams})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addr := benchServer(b, s)
	ev := photoEvent(b, "cam-1")
	got := make(chan string, streams*streamQueue)
	for range streams {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /v1/cameras/cam-1/events HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		go countEvents(c, got)
	}
	waitSubscribers(b, hub, streams)
	var seq int64
	for b.Loop() {
		seq++
		ev.Seq = seq
		hub.PublishKeypoints(ev)
		for range streams {
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				b.Fatalf("event %d not at every stream within 10 s", seq)
			}
		}
	}
	if n := testutil.ToFloat64(s.metrics.dropped); n > 0 {
		b.Fatalf("%v events lost", n)
	}
}

func benchServer(b *testing.B, s *Server) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go (&http.Server{Handler: s}).Serve(ln)
	b.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// inUse is the Go heap and goroutine stacks in use, after a collection.
func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

func waitSubscribers(b *testing.B, hub *Hub, n int) {
	b.Helper()
	for end := time.Now().Add(10 * time.Second); hub.Subscribers() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			b.Fatalf("%d subscribers after 10 s, want %d", hub.Subscribers(), n)
		}
	}
}

// countEvents sends on got for each event read from c (each comes in one chunk, so its lines
// are whole) until c is closed.
func countEvents(c net.Conn, got chan<- string) {
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			got <- id
		}
	}
}
