package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/gateway"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// TestServeEventStreamLimits runs `holostream serve` on the embedded cluster with small stream
// limits and checks them against what serve really reads: a camera is known once the landmarks
// table (serve's view of it) has its row, and a camera nobody knew stops waiting at its first
// keypoint event from the keypoints topic.
func TestServeEventStreamLimits(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	defer background(t, ctx, time.Minute, "serve", "--brokers", strings.Join(cluster.Brokers(), ","), "--schema-registry", cluster.RegistryURL(),
		"--partitions", "1", "--addr", addr, "--model", "none", "--max-streams-per-client", "2", "--max-waiting-streams", "1")()
	base := "http://" + addr
	waitHTTP(t, base+"/readyz", 90*time.Second)

	open := func(camera string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/cameras/"+camera+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	refused := func(resp *http.Response, status int, says string) {
		t.Helper()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != status || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), says) ||
			!strings.Contains(string(body), gateway.CodeTooManyStreams) {
			t.Errorf("%d %s (Retry-After %q): want %d %s saying %q", resp.StatusCode, body, resp.Header.Get("Retry-After"), status, gateway.CodeTooManyStreams, says)
		}
	}

	waiting := open("door-1") // no frame of it yet: it waits, and takes --max-waiting-streams' one place
	if waiting.StatusCode != http.StatusOK {
		t.Fatalf("door-1: %d", waiting.StatusCode)
	}
	refused(open("door-2"), http.StatusServiceUnavailable, "--max-waiting-streams")

	// The processors write door-2's row into the landmarks table: serve's view reads it, and a
	// stream of door-2 no longer waits.
	clients, err := kafka.New(kafka.Config{Brokers: cluster.Brokers(), ClientID: "streams-test", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	topo := stream.NewTopology("")
	rows, err := goka.NewEmitter(cluster.Brokers(), goka.Stream(goka.GroupTable(topo.Landmarks)), landmarks.StateCodec{}, clients.EmitterOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Finish()
	if err := rows.EmitSync("door-2", &landmarks.CameraState{HasSeq: true, LastSeq: 1}); err != nil {
		t.Fatal(err)
	}
	waitHTTP(t, base+"/v1/cameras/door-2", 30*time.Second)
	known := open("door-2")
	if known.StatusCode != http.StatusOK {
		t.Fatalf("door-2 once in the table: %d", known.StatusCode)
	}
	refused(open("door-3"), http.StatusTooManyRequests, "--max-streams-per-client") // this client's 2 are open

	// door-1's first keypoint event, through the keypoints topic: its stream gets it and stops
	// waiting. serve follows the topic from its newest offset, so send until one arrives.
	w, err := stream.NewWire(ctx, topo, cluster.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := goka.NewEmitter(cluster.Brokers(), topo.Keypoints, w.Keypoints.Codec(), clients.EmitterOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer kp.Finish()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(waiting.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				got <- data
				return
			}
		}
		close(got)
	}()
	ev := schemas.KeypointEvent{CameraID: "door-1", UserID: "alice", CapturedAt: time.Now().UTC().Truncate(time.Millisecond),
		ProcessedAt: time.Now().UTC().Truncate(time.Millisecond), Status: schemas.StatusNoPerson, Model: "pose-lite"}
	var data string
	for i := 0; data == ""; i++ {
		if i == 60 {
			t.Fatal("door-1's stream got no keypoint event in 30 s")
		}
		ev.Seq = int64(i + 1)
		if err := kp.EmitSync("door-1", ev); err != nil {
			t.Fatal(err)
		}
		select {
		case data = <-got:
		case <-time.After(500 * time.Millisecond):
		}
	}
	var first schemas.KeypointEvent
	if err := json.Unmarshal([]byte(data), &first); err != nil || first.CameraID != "door-1" {
		t.Fatalf("door-1's stream: %q: %v", data, err)
	}
	// door-1 is known now: the waiting place is free for another camera nobody knows yet.
	known.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := open("door-4")
		if resp.StatusCode == http.StatusOK {
			break
		}
		body, _ := io.ReadAll(resp.Body)
		if time.Now().After(deadline) {
			t.Fatalf("door-4 after door-1's first event and door-2's stream closed: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond) // the server notices door-2's stream closing
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{`holostream_sse_refused_total{reason="waiting"} 1`, `holostream_sse_refused_total{reason="client"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestServeMaxMegapixels: serve's --max-megapixels bounds POST /v1/infer's images, as the README's
// 413 row says: messi5.jpg (548x342, 0.19 MP) passes the default and is refused at 0.1.
func TestServeMaxMegapixels(t *testing.T) {
	jpg, err := os.ReadFile("testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, tc := range []struct {
		args   []string
		status int
	}{{nil, http.StatusOK}, {[]string{"--max-megapixels", "0.1"}, http.StatusRequestEntityTooLarge}} {
		addr := freeAddr(t)
		stop := background(t, ctx, time.Minute, append([]string{"serve", "--no-kafka", "--model", "pose-lite", "--infer-workers", "1", "--addr", addr}, tc.args...)...)
		waitHTTP(t, "http://"+addr+"/readyz", 30*time.Second)
		resp, err := http.Post("http://"+addr+"/v1/infer", "image/jpeg", bytes.NewReader(jpg))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || (tc.status != http.StatusOK && !strings.Contains(string(body), gateway.CodeTooLarge)) {
			t.Errorf("case %d: serve %v: %d %s, want %d", i, tc.args, resp.StatusCode, body, tc.status)
		}
		stop()
	}
}
