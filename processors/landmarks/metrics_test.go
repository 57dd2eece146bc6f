package landmarks

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(Observation{Outcome: OutcomeEmitted, Detected: true, DetectorRan: true, Decode: time.Millisecond, Total: 12 * time.Millisecond})
	m.Observe(Observation{Outcome: OutcomeEmitted})
	m.Observe(Observation{Outcome: OutcomeDeadLettered, Code: CodeCorrupt})
	m.Observe(Observation{Outcome: OutcomeDuplicate, Gap: true})
	if got := testutil.ToFloat64(m.frames.WithLabelValues("emitted", "")); got != 2 {
		t.Errorf("emitted %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.frames.WithLabelValues("dead_lettered", CodeCorrupt)); got != 1 {
		t.Errorf("dead-lettered %v, want 1", got)
	}
	if testutil.ToFloat64(m.detected) != 1 || testutil.ToFloat64(m.detector) != 1 || testutil.ToFloat64(m.gaps) != 1 {
		t.Error("detected, detector runs or gaps miscounted")
	}
	want := `
# HELP holostream_landmarks_sequence_gaps_total Gaps in a camera's sequence numbers (tracking was reset).
# TYPE holostream_landmarks_sequence_gaps_total counter
holostream_landmarks_sequence_gaps_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "holostream_landmarks_sequence_gaps_total"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "holostream_landmarks_stage_seconds"); n != 4 {
		t.Errorf("%d stage series, want 4 (decode, detect, landmarks, total)", n)
	}
}
