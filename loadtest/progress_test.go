package loadtest

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressPlainLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := NewProgress(&buf, false)
	l := Live{Step: 1, Steps: 2, Spec: StepSpec{2, 5}, Elapsed: 5 * time.Second, Length: 10 * time.Second, Sent: 50, Processed: 48, P95: 120, Lag: ptr(int64(3))}
	p.Update(at(0), l, false) // first: drawn
	p.Update(at(1), l, false) // within Every: not drawn
	p.Update(at(4.9), l, false)
	p.Update(at(5), l, false) // Every later: drawn
	l.Step = 2
	p.Update(at(5.5), l, false) // a new step: drawn at once
	p.Update(at(6), Live{Pending: 7}, true)
	p.Done()
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 || strings.ContainsAny(out, "\r\x1b") {
		t.Fatalf("%d lines, want 4 plain ones:\n%q", len(lines), out)
	}
	want := "step 1/2 2x5    [############............]   5s/10s  sent 50  processed 48  p95 120 ms  lag 3"
	if lines[0] != want {
		t.Errorf("line\n got %q\nwant %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[2], "step 2/2") || lines[3] != "draining: 7 frames without an outcome yet" {
		t.Errorf("lines %q", lines)
	}
}

func TestProgressTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := NewProgress(&buf, true)
	l := Live{Step: 1, Steps: 1, Spec: StepSpec{1, 5}, Length: 4 * time.Second}
	for i := range 3 {
		l.Elapsed = time.Duration(i) * time.Second
		p.Update(at(float64(i)*0.1), l, false)
	}
	p.Done()
	out := buf.String()
	if strings.Count(out, "\r") != 3 || strings.Count(out, "\x1b[K") != 3 || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("want 3 redraws in place and one newline at the end: %q", out)
	}
	if IsTerminal(&buf) {
		t.Error("a buffer is a terminal")
	}
}
