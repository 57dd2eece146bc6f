package main

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/holostream/holostream/model"
)

// TestServeWorkersFollowTheMachine: `serve` with its defaults infers on as many workers as the
// process may use CPUs, in the model and in the gateway's pool alike, and says so in /v1/info and
// /metrics (it used to give the model one worker whatever the machine).
func TestServeWorkersFollowTheMachine(t *testing.T) {
	addr := freeAddr(t)
	defer background(t, context.Background(), 30*time.Second, "serve", "--no-kafka", "--model", "pose-lite", "--addr", addr)()
	base := "http://" + addr
	waitHTTP(t, base+"/readyz", 30*time.Second)
	want := model.CPUs()

	var info struct {
		InferWorkers   int    `json:"infer_workers"`
		PersonDetector string `json:"person_detector"`
	}
	if err := json.Unmarshal(getOK(t, base+"/v1/info"), &info); err != nil {
		t.Fatal(err)
	}
	if info.InferWorkers != want || info.PersonDetector != string(model.PoseDetector) {
		t.Errorf("/v1/info infer_workers %d, person_detector %q; want %d, %q", info.InferWorkers, info.PersonDetector, want, model.PoseDetector)
	}
	metrics := getOK(t, base+"/metrics")
	m := regexp.MustCompile(`(?m)^holostream_model_workers\{model="pose-lite"\} (\d+)$`).FindSubmatch(metrics)
	if m == nil {
		t.Fatalf("no holostream_model_workers in /metrics")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != want {
		t.Errorf("the model has %d workers, want %d", n, want)
	}
}

// TestRunWorkersDefault: run's --workers defaults to the CPUs the process may use, and 0 means
// the same.
func TestRunWorkersDefault(t *testing.T) {
	var pf processorFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	pf.register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if pf.workers != model.CPUs() {
		t.Errorf("--workers defaults to %d, want %d", pf.workers, model.CPUs())
	}
	pf.model, pf.workers = string(model.PoseLite), 0
	lm, err := pf.open()
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	if lm.Workers() != model.CPUs() {
		t.Errorf("--workers 0 opened %d workers, want %d", lm.Workers(), model.CPUs())
	}
}

func getOK(t *testing.T, url string) []byte {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	return body
}
