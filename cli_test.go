package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/embedded"
)

// TestCLIAgainstEmbeddedCluster drives the commands a user types: run, produce, state and
// consume, against the embedded cluster and registry.
func TestCLIAgainstEmbeddedCluster(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	// The connection's flags, which every command takes; --partitions only those that create topics.
	common := []string{"--brokers", strings.Join(cluster.Brokers(), ","), "--schema-registry", cluster.RegistryURL()}
	cmd := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, append(args[:1:1], append(common, args[1:]...)...), &out, &errb)
		return code, out.String(), errb.String()
	}
	// As users type them, flags may follow the positional arguments (the README's examples).
	cmdFlagsLast := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, append(append([]string{}, args...), common...), &out, &errb)
		return code, out.String(), errb.String()
	}

	defer background(t, context.Background(), time.Minute, append(append([]string{"run"}, common...),
		"--partitions", "3", "--model", "pose-lite", "--workers", "1", "--metrics-addr", "127.0.0.1:0", "--max-age", "0")...)()

	code, out, stderr := cmd(context.Background(), "produce", "--partitions", "3", "--camera", "cli-cam", "--count", "5", "--fps", "20")
	if code != 0 || strings.TrimSpace(out) != `{"frames_acknowledged":5}` {
		t.Fatalf("produce: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	// The same footage as a camera pipeline sends it: raw BGR24 pixels, 900 KiB a frame.
	code, out, stderr = cmd(context.Background(), "produce", "--camera", "cli-raw", "--raw", "bgr24", "--count", "3", "--fps", "20")
	if code != 0 || strings.TrimSpace(out) != `{"frames_acknowledged":3}` {
		t.Fatalf("produce --raw bgr24: exit %d, stdout %q, stderr %s", code, out, stderr)
	}
	if code, _, stderr := cmd(context.Background(), "produce", "--raw", "yuy2", "--count", "1"); code == 0 || !strings.Contains(stderr, "unknown raw pixel format") {
		t.Errorf("produce --raw yuy2: exit %d, %s", code, stderr)
	}

	waitEmitted(t, cmdFlagsLast, "cli-raw", 3)
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, out, stderr = cmdFlagsLast(context.Background(), "state", "cli-cam", "--timeout", "20s")
		var got struct {
			State struct {
				Counters struct{ Received, Emitted int64 }
			}
		}
		if code == 0 && json.Unmarshal([]byte(out), &got) == nil && got.State.Counters.Emitted == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state never showed 5 frames emitted: exit %d, counters %+v, %s", code, got.State.Counters, stderr)
		}
		time.Sleep(time.Second)
	}

	code, out, stderr = cmd(context.Background(), "consume", "keypoints", "-n", "5")
	if code != 0 {
		t.Fatalf("consume: exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var rec struct {
			Key   string
			Value struct {
				CameraID string `json:"camera_id"`
				Seq      int64
				Status   string
				Pose     *struct{ Landmarks []json.RawMessage }
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("consume line %q: %v", sc.Text(), err)
		}
		if rec.Key != "cli-cam" || rec.Value.CameraID != "cli-cam" || rec.Value.Status != "DETECTED" || rec.Value.Pose == nil || len(rec.Value.Pose.Landmarks) != 33 ||
			!strings.Contains(sc.Text(), `"people":[]`) { // one person per frame: the list is empty
			t.Errorf("consume line %d: %.200s", lines, sc.Text())
		}
		lines++
	}
	if lines != 5 {
		t.Errorf("consume printed %d records, want 5", lines)
	}

	if code, _, stderr := cmd(context.Background(), "consume", "no-such-topic"); code != 2 || !strings.Contains(stderr, "unknown topic") {
		t.Errorf("consume of an unknown topic: exit %d, %s", code, stderr)
	}
	// A command without positional arguments refuses a stray one instead of ignoring it and
	// every flag after it.
	if code, _, stderr := cmd(context.Background(), "produce", "cli-cam", "--count", "1"); code != 2 || !strings.Contains(stderr, "takes no arguments") {
		t.Errorf("produce with a stray argument: exit %d, %s", code, stderr)
	}
}

// TestModelLoadKeepsStderrClean: a command that loads a model writes nothing to stderr on
// success; TFLite's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." goes to the
// process's fd 2 from C, past any Go writer, so the test runs the command in a child process.
func TestModelLoadKeepsStderrClean(t *testing.T) {
	if os.Getenv("HOLOSTREAM_TEST_CHILD") == "infer" {
		os.Exit(dispatch(context.Background(), []string{"infer", "--model", "pose-lite", "testdata/images/messi5.jpg"}, io.Discard, os.Stderr))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestModelLoadKeepsStderrClean$")
	cmd.Env = append(os.Environ(), "HOLOSTREAM_TEST_CHILD=infer")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("infer: %v: %s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("infer wrote to stderr: %q", stderr.String())
	}
}

// waitEmitted waits for the state command to show n frames of camera emitted.
func waitEmitted(t *testing.T, cmd func(context.Context, ...string) (int, string, string), camera string, n int64) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, out, stderr := cmd(context.Background(), "state", camera, "--timeout", "20s")
		var got struct {
			State struct {
				Counters struct{ Received, Emitted, DeadLettered int64 }
			}
		}
		if code == 0 && json.Unmarshal([]byte(out), &got) == nil && got.State.Counters.Emitted == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state never showed %d frames of %s emitted: exit %d, counters %+v, %s", n, camera, code, got.State.Counters, stderr)
		}
		time.Sleep(time.Second)
	}
}
