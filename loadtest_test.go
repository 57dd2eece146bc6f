package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/loadtest"
)

// TestLoadtestEmbedded runs `holostream loadtest` at a small bounded scale on the embedded
// cluster and checks the invariants of its report, not its speed: every acknowledged frame
// accounted for, people detected in the real footage, percentiles ordered, a second of series
// per second of step, CPU and memory measured, and an HTML page with a chart per step.
func TestLoadtestEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline for about 20 s")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	code := dispatch(ctx, []string{"loadtest", "--ramp", "1x4,2x4", "--duration", "4s", "--warmup", "1s",
		"--model", "pose-lite", "--workers", "1", "--partitions", "3", "--report", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("loadtest: exit %d after %v\nstdout:\n%s\nstderr:\n%s", code, time.Since(start), out.String(), errb.String())
	}
	t.Logf("%v\n%s", time.Since(start).Round(time.Second), out.String())
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "step 1 1x4") || !strings.HasPrefix(lines[1], "step 2 2x4") || !strings.Contains(lines[2], "loadtest.html") {
		t.Errorf("stdout: want a line per step and the report's paths:\n%s", out.String())
	}

	rep := readReport(t, dir)
	if rep.Run.Mode != "kafka" || rep.Run.Target != "embedded" || rep.Run.Model != "pose-lite" || rep.Run.Host.Cores < 1 ||
		!strings.Contains(rep.Run.Command, "--ramp 1x4,2x4") || rep.Run.SourceFrames == 0 {
		t.Errorf("run %+v", rep.Run)
	}
	if len(rep.Steps) != 2 {
		t.Fatalf("%d steps, want 2", len(rep.Steps))
	}
	for i, s := range rep.Steps {
		if !s.Balanced() || s.Unaccounted != 0 {
			t.Errorf("step %d: acknowledged %d != emitted %d + dlq %d + stale %d + dup %d + unaccounted %d",
				s.Index, s.Acknowledged, s.Emitted, s.DeadLettered, s.Stale, s.Duplicate, s.Unaccounted)
		}
		// Each camera sends about 4 a second for 4 s; a loaded machine may send fewer, never more.
		if want := int64(s.Cameras * 4 * 4); s.Sent < want/2 || s.Sent > want || s.Acknowledged != s.Sent {
			t.Errorf("step %d: sent %d, acknowledged %d; want %d", s.Index, s.Sent, s.Acknowledged, want)
		}
		if s.Emitted == 0 || s.Detected == 0 || s.ThroughputFPS <= 0 || len(s.Errors) != 0 {
			t.Errorf("step %d: emitted %d, detected %d, throughput %v, errors %v", s.Index, s.Emitted, s.Detected, s.ThroughputFPS, s.Errors)
		}
		l := s.LatencyMs
		if l.Count == 0 || !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("step %d: latency %+v: want 0 < p50 <= p95 <= p99 <= max", s.Index, l)
		}
		if len(s.Series) != 4 || !s.Series[0].Warmup || s.Series[1].Warmup {
			t.Errorf("step %d: %d seconds of series (want 4, the first the warmup)", s.Index, len(s.Series))
		}
		sent, processed := 0, 0
		for _, sec := range s.Series {
			sent += sec.Sent
			processed += sec.Processed
			if sec.P50 != nil && !(*sec.P50 <= *sec.P95 && *sec.P95 <= *sec.P99) {
				t.Errorf("step %d second %d: percentiles not ordered", s.Index, sec.T)
			}
		}
		if int64(sent) != s.Sent || processed == 0 {
			t.Errorf("step %d: series sum to %d sent (step %d), %d processed", s.Index, sent, s.Sent, processed)
		}
		if s.CPU == nil || !(s.CPU.Mean > 0) || s.CPU.Max < s.CPU.Mean || s.RSSMBMax == nil || !(*s.RSSMBMax > 0) || s.Lag == nil || s.HostCPU == nil {
			t.Errorf("step %d: cpu %+v, rss %v, lag %+v, host cpu %+v: want measured", s.Index, s.CPU, s.RSSMBMax, s.Lag, s.HostCPU)
		}
		if math.Abs(s.OfferedFPS-float64(s.Cameras)*4) > 1e-9 || i+1 != s.Index {
			t.Errorf("step %d: offered %v", s.Index, s.OfferedFPS)
		}
	}
	tot := rep.Totals
	if !tot.Accounted || len(tot.Problems) != 0 || tot.Acknowledged != rep.Steps[0].Acknowledged+rep.Steps[1].Acknowledged {
		t.Errorf("totals %+v", tot)
	}

	page, err := os.ReadFile(filepath.Join(dir, "loadtest.html"))
	if err != nil {
		t.Fatal(err)
	}
	svgs := svgsPerSection(t, page)
	if len(svgs) != 2 || svgs[0] < 1 || svgs[1] < 1 {
		t.Errorf("HTML report: charts per step section %v, want 2 sections with charts", svgs)
	}
}

// TestLoadtestAgainstRunningPipeline is the external mode: `holostream run` processes on a
// cluster the load test did not start (the embedded one, through --brokers), and the load test
// reads outcomes from the newest offsets, so it must not produce before its readers have them;
// it measures the processors' CPU and memory through --metrics-url.
func TestLoadtestAgainstRunningPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline for about 15 s")
	}
	cluster, err := embedded.Start(embedded.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	common := []string{"--brokers", strings.Join(cluster.Brokers(), ","), "--schema-registry", cluster.RegistryURL(), "--partitions", "2"}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	metricsAddr := freeAddr(t)
	defer background(t, ctx, time.Minute, append(append([]string{"run"}, common...), "--model", "pose-lite", "--workers", "1",
		"--metrics-addr", metricsAddr, "--max-age", "0")...)()
	waitHTTP(t, "http://"+metricsAddr+"/metrics", 90*time.Second)

	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := dispatch(ctx, append([]string{"loadtest"}, append(common, "--ramp", "2x4", "--duration", "4s", "--warmup", "1s",
		"--metrics-url", "http://"+metricsAddr+"/metrics", "--report", dir)...), &out, &errb)
	if code != 0 {
		t.Fatalf("loadtest: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	rep := readReport(t, dir)
	if rep.Run.Target == "embedded" || len(rep.Steps) != 1 {
		t.Fatalf("run %+v, %d steps: want an external target and one step", rep.Run, len(rep.Steps))
	}
	s := rep.Steps[0]
	if !rep.Totals.Accounted || s.Unaccounted != 0 || s.Acknowledged == 0 || s.Emitted == 0 || s.Detected == 0 {
		t.Errorf("step: %+v; totals %+v", s.Counts, rep.Totals)
	}
	if s.CPU == nil || !(s.CPU.Mean > 0) || s.RSSMBMax == nil || !(*s.RSSMBMax > 0) {
		t.Errorf("processors' cpu %+v, rss %v: want measured through --metrics-url", s.CPU, s.RSSMBMax)
	}
}

// readReport reads the JSON report a load test wrote into dir.
func readReport(t *testing.T, dir string) loadtest.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "loadtest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep loadtest.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// svgsPerSection parses the page (well-formed markup, which encoding/xml reads strictly) and
// counts the <svg> charts of each <section>.
func svgsPerSection(t *testing.T, page []byte) []int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	var out []int
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("HTML report does not parse: %v", err)
		}
		if e, ok := tok.(xml.StartElement); ok {
			switch e.Name.Local {
			case "section":
				out = append(out, 0)
			case "svg":
				if len(out) > 0 {
					out[len(out)-1]++
				}
			}
		}
	}
}

// TestLoadtestFlags: bad settings exit 2 before anything starts.
func TestLoadtestFlags(t *testing.T) {
	t.Parallel()
	for i, args := range [][]string{
		{"--mode", "grpc"},
		{"--ramp", "4"},
		{"--cameras", "0"},
		{"--duration", "2s", "--warmup", "2s"},
		{"--drain", "-1s"},
		{"--report", ""},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), append([]string{"loadtest"}, args...), &out, &errb); code != 2 {
			t.Errorf("%d: %v: exit %d, want 2: %s", i, args, code, errb.String())
		}
	}
	if got := commandLine("holostream loadtest", []string{"--ramp", "1x5", "--dir", "my frames"}); got != `holostream loadtest --ramp 1x5 --dir "my frames"` {
		t.Errorf("commandLine = %s", got)
	}
}
