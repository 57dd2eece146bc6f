package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/schemas"
)

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// background runs `holostream args...` in a goroutine until its context ends; a non-zero exit
// fails t. The returned func ends the context and waits up to limit for the command to stop.
func background(t *testing.T, ctx context.Context, limit time.Duration, args ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		var out, errb bytes.Buffer
		if code := dispatch(ctx, args, &out, &errb); code != 0 {
			t.Errorf("%s: exit %d: %s", args[0], code, errb.String())
		}
	}()
	return func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(limit):
			t.Errorf("%s did not stop within %v of its context ending", args[0], limit)
		}
	}
}

// TestServeEndToEnd sends frames of real footage over HTTP to `holostream serve`, which produces
// them to the embedded cluster where `holostream run` processes them; the camera's live events
// come back over Server-Sent Events and its counters through GET /v1/cameras/{id}.
func TestServeEndToEnd(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	common := []string{"--brokers", strings.Join(cluster.Brokers(), ","), "--schema-registry", cluster.RegistryURL(), "--partitions", "2"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := func(args ...string) (stop func()) {
		return background(t, ctx, time.Minute, append(args[:1:1], append(common, args[1:]...)...)...)
	}
	addr := freeAddr(t)
	defer start("run", "--model", "pose-lite", "--workers", "1", "--metrics-addr", "", "--max-age", "0")()
	defer start("serve", "--addr", addr, "--model", "pose-lite", "--infer-workers", "1")()
	base := "http://" + addr
	waitHTTP(t, base+"/readyz", 90*time.Second)

	// Subscribe first, so the stream sees every event.
	sctx, scancel := context.WithTimeout(ctx, 3*time.Minute)
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", base+"/v1/cameras/http-cam/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	const good = 12
	for i := 0; i < good; i++ {
		postFrame(t, base, src[i].Data, i+1, http.StatusAccepted)
	}
	postFrame(t, base, src[good].Data[:len(src[good].Data)/2], good+1, http.StatusAccepted) // truncated: a dead letter
	postFrame(t, base, []byte("not an image"), good+2, http.StatusUnsupportedMediaType)     // refused at the door

	seen := map[int64]bool{}
	sc := bufio.NewScanner(stream.Body)
	sc.Buffer(nil, 1<<20)
	event := ""
	for len(seen) < good && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "keypoints":
			var ev struct {
				CameraID string `json:"camera_id"`
				Seq      int64  `json:"seq"`
				Status   string `json:"status"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err != nil || ev.CameraID != "http-cam" {
				t.Fatalf("bad keypoint event %q: %v", line, err)
			}
			seen[ev.Seq] = true
		}
	}
	if len(seen) < good {
		t.Fatalf("the event stream carried %d of %d keypoint events (%v)", len(seen), good, sc.Err())
	}

	deadline := time.Now().Add(time.Minute)
	var cam schemas.CameraView
	for {
		if code, body := get(t, base+"/v1/cameras/http-cam"); code == http.StatusOK {
			json.Unmarshal(body, &cam)
			if cam.Counters.Received == good+1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera counters never reached %d frames: %+v", good+1, cam)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if c := cam.Counters; c.Emitted != good || c.DeadLettered != 1 || !cam.Balanced || c.Detected == 0 || cam.LastSeq != good+1 {
		t.Errorf("camera after %d good frames and 1 truncated: %+v", good, cam)
	}
	// The live page's picture of the last good frame: the bytes that were posted.
	if code, body := get(t, fmt.Sprintf("%s/v1/cameras/http-cam/frames/%d", base, good)); code != http.StatusOK || !bytes.Equal(body, src[good-1].Data) {
		t.Errorf("GET /v1/cameras/http-cam/frames/%d: %d, %d bytes, want the %d posted", good, code, len(body), len(src[good-1].Data))
	}
	code, body := get(t, base+"/v1/cameras")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"camera_id":"http-cam"`)) {
		t.Errorf("GET /v1/cameras: %d %s", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{`holostream_http_requests_total{code="Accepted",route="POST /v1/frames"} 13`, "process_resident_memory_bytes"} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func postFrame(t *testing.T, base string, data []byte, seq, want int) {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("%s/v1/frames?camera=http-cam&user=walker&seq=%d", base, seq), "image/jpeg", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("POST frame %d: status %d, want %d: %s", seq, resp.StatusCode, want, body)
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body := get(t, url)
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: %d %s", url, timeout, code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeRefusesClearly checks that serve's start-up errors name the flag to change.
func TestServeRefusesClearly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--no-kafka", "--model", "none", "--addr", busy.Addr().String()}, "pass another --addr"},
		{[]string{"serve", "--no-kafka", "--model", "pose-medium"}, "unknown model"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--addr", ""}, "--addr: empty"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--token-file", "/nonexistent/token"}, "--token-file"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--infer-timeout", "0s"}, "--infer-timeout"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--infer-memory-bytes", "0"}, "--infer-memory-bytes"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--max-megapixels", "-1"}, "--max-megapixels -1: must be > 0"},
		{[]string{"serve", "--no-kafka", "--model", "none", "--max-streams-per-client", "-2"}, "--max-streams-per-client -2: must be > 0"},
		{[]string{"serve", "--no-kafka", "--model", "pose-lite", "--max-people", "0"}, "--max-people 0: must be in 1..64"},
		{[]string{"serve", "--no-kafka", "--model", "pose-lite", "--person-detector", "yolo"}, "--person-detector: unknown person detector"},
	} {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code := dispatch(ctx, tc.args, &out, &errb)
		cancel()
		if code != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 1 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
