package main

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestLoadtestHTTPAgainstServe runs `holostream loadtest --mode http` against a real
// `holostream serve --no-kafka` (pose-lite on one worker) and checks the report's invariants:
// every request answered and counted once, 200s carry landmarks of the real footage, the only
// errors are load shedding (503 with Retry-After, counted), percentiles ordered.
func TestLoadtestHTTPAgainstServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the gateway under load for about 10 s")
	}
	addr := freeAddr(t)
	defer background(t, context.Background(), 30*time.Second, "serve", "--no-kafka", "--model", "pose-lite", "--infer-workers", "1", "--addr", addr)()
	base := "http://" + addr
	waitHTTP(t, base+"/readyz", 30*time.Second)

	dir := t.TempDir()
	var out, errb bytes.Buffer
	lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer lcancel()
	code := dispatch(lctx, []string{"loadtest", "--mode", "http", "--url", base, "--ramp", "1x5,3x10", "--duration", "4s",
		"--warmup", "1s", "--report", dir, "--quiet"}, &out, &errb)
	if code != 0 {
		t.Fatalf("loadtest: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	t.Log(out.String())
	rep := readReport(t, dir)
	if rep.Run.Mode != "http" || rep.Run.Model != "pose-lite" || len(rep.Steps) != 2 || !rep.Totals.Accounted {
		t.Fatalf("run %+v, %d steps, accounted %v, problems %v", rep.Run, len(rep.Steps), rep.Totals.Accounted, rep.Totals.Problems)
	}
	for _, s := range rep.Steps {
		if !s.Balanced() || s.Unaccounted != 0 {
			t.Errorf("step %d: acknowledged %d != ok %d + rejected %d + unaccounted %d", s.Index, s.Acknowledged, s.Emitted, s.Rejected, s.Unaccounted)
		}
		if s.Emitted == 0 || s.Detected == 0 || s.ThroughputFPS <= 0 {
			t.Errorf("step %d: %d answered 200, %d with a person, throughput %v", s.Index, s.Emitted, s.Detected, s.ThroughputFPS)
		}
		var shed int64
		for kind, n := range s.Errors {
			switch kind {
			case "http_503", "dropped_by_client":
				shed += n
			default:
				t.Errorf("step %d: %d errors of kind %s: the gateway should only shed load", s.Index, n, kind)
			}
		}
		if s.Rejected > shed {
			t.Errorf("step %d: %d rejected, only %d of them shed load", s.Index, s.Rejected, shed)
		}
		l := s.LatencyMs
		if l.Count == 0 || !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("step %d: latency %+v", s.Index, l)
		}
	}
}
