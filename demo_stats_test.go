package main

import (
	"fmt"
	"testing"
)

// TestDemoLatencyWindow: a demo left running keeps the last latencies only; with --frames, all.
func TestDemoLatencyWindow(t *testing.T) {
	cases := []struct {
		keep, add int
		want      string
	}{
		{0, 5, "[1 2 3 4 5]"},
		{3, 2, "[1 2]"},
		{3, 3, "[1 2 3]"},
		{3, 5, "[4 5 3]"}, // 4 and 5 took the places of 1 and 2
		{3, 7, "[7 5 6]"},
	}
	for i, tc := range cases {
		s := &demoStats{keep: tc.keep}
		for v := 1; v <= tc.add; v++ {
			s.addLatency(float64(v))
		}
		if got := fmt.Sprint(s.latencies); got != tc.want {
			t.Errorf("%d: keep %d, %d added: %s, want %s", i, tc.keep, tc.add, got, tc.want)
		}
	}
}
