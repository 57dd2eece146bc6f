package loadtest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleReport is a two-step report with a gap in the latency series and an HTML-ish command
// line, built through a Recorder.
func sampleReport() *Report {
	r := NewRecorder()
	for i, spec := range []StepSpec{{1, 2}, {2, 2}} {
		start := at(float64(i) * 5)
		cams := []string{"s" + spec.String() + "-a", "s" + spec.String() + "-b"}[:spec.Cameras]
		r.BeginStep(spec, cams, start, 5*time.Second, time.Second)
		for s := int64(1); s <= 10; s++ {
			for _, c := range cams {
				id := FrameID{c, s}
				sent := start.Add(time.Duration(s-1) * 500 * time.Millisecond)
				r.Sent(id, sent)
				r.Acked(id)
				if s == 5 || s == 6 {
					// Second 2 has no keypoints: a gap in the latency lines.
					r.Outcome(id, DeadLettered, sent.Add(80*time.Millisecond), 0, false)
					continue
				}
				r.Outcome(id, Emitted, sent.Add(80*time.Millisecond), time.Duration(40+s*5)*time.Millisecond, s%3 != 0)
			}
			r.Sample(Sample{At: start.Add(time.Duration(s) * 450 * time.Millisecond), Lag: ptr(s), CPUCores: ptr(0.5), RSSMB: ptr(200.0)})
		}
	}
	return r.Report(Run{ID: "abc123", Mode: "kafka", Target: "embedded", Model: "pose-lite",
		Command: `holostream loadtest --ramp "1x2,2x2" </script><b>`, Started: t0, Finished: at(12), DurationS: 5, WarmupS: 1, DrainS: 30,
		Host: ThisHost()})
}

// TestHTMLReport renders a report and checks its structure: well-formed markup (the page is
// also well-formed XML, so a strict XML decoder reads it), one section per step with two SVG
// charts, a path per series, no script or outside resource, text escaped.
func TestHTMLReport(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	var buf bytes.Buffer
	if err := rep.HTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = true
	var (
		stack    []string
		sections []int // svgs per step section
		paths    []string
		stepIDs  []string
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			switch e.Name.Local {
			case "script", "link", "img", "iframe":
				t.Errorf("page has a <%s>", e.Name.Local)
			case "section":
				sections = append(sections, 0)
				for _, a := range e.Attr {
					if a.Name.Local == "id" {
						stepIDs = append(stepIDs, a.Value)
					}
				}
			case "svg":
				if len(sections) == 0 {
					t.Error("an svg outside a step section")
				} else {
					sections[len(sections)-1]++
				}
			case "path":
				for _, a := range e.Attr {
					if a.Name.Local == "d" {
						paths = append(paths, a.Value)
					}
				}
			}
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != e.Name.Local {
				t.Fatalf("</%s> closes %v", e.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements %v", stack)
	}
	if len(sections) != 2 || sections[0] != 2 || sections[1] != 2 || strings.Join(stepIDs, ",") != "step-1,step-2" {
		t.Errorf("sections %v (svgs each), ids %v: want 2 steps with 2 charts", sections, stepIDs)
	}
	// Per step: p50, p95, p99, sent, processed.
	if len(paths) != 10 {
		t.Fatalf("%d series paths, want 10", len(paths))
	}
	for i, p := range paths {
		if !strings.HasPrefix(p, "M") {
			t.Errorf("path %d is empty or malformed: %q", i, p)
		}
	}
	// The latency lines break at second 2, which has no keypoints: two subpaths.
	if n := strings.Count(paths[0], "M"); n != 2 {
		t.Errorf("p50 path has %d subpaths, want 2: %q", n, paths[0])
	}
	if strings.Contains(page, "</script><b>") || !strings.Contains(page, "&lt;/script&gt;&lt;b&gt;") {
		t.Error("command line not escaped")
	}
	if strings.Contains(page, "https://") || strings.Contains(page, "src=") {
		t.Error("page refers to an outside resource")
	}
}

func TestReportWrite(t *testing.T) {
	t.Parallel()
	rep := sampleReport()
	dir := filepath.Join(t.TempDir(), "out")
	jp, hp, err := rep.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Run.ID != "abc123" || len(back.Steps) != 2 || back.Steps[1].Emitted != 16 || back.Steps[1].DeadLettered != 4 || len(back.Steps[0].Series) != 5 || !back.Totals.Accounted {
		t.Errorf("read back %+v", back.Totals)
	}
	// A second without keypoints is null in the JSON, not 0.
	if !bytes.Contains(b, []byte(`"p50": null`)) {
		t.Error("no null p50 in the series")
	}
	if st, err := os.Stat(hp); err != nil || st.Size() == 0 {
		t.Errorf("html: %v", err)
	}
}

func TestNiceScale(t *testing.T) {
	t.Parallel()
	for i, c := range []struct{ top, max, step float64 }{
		{0, 1, 0.25},
		{4, 4, 0.5},
		{9, 10, 2},
		{20, 20, 5},
		{167, 200, 50},
		{1234, 1400, 200},
	} {
		m, s := niceScale(c.top)
		if m != c.max || s != c.step {
			t.Errorf("%d: niceScale(%v) = %v, %v; want %v, %v", i, c.top, m, s, c.max, c.step)
		}
	}
}
