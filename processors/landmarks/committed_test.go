package landmarks

import "testing"

// TestCommitted: an observation passes on when its own record is committed, not before, not
// for another record's commit; a session's end drops what was never committed (it is read and
// observed again).
func TestCommitted(t *testing.T) {
	t.Parallel()
	var got []int64
	c := NewCommitted(func(o Observation) { got = append(got, o.Offset) })
	for _, off := range []int64{10, 11, 12} {
		c.Observe(Observation{Topic: "frames", Partition: 1, Offset: off, Outcome: OutcomeEmitted})
	}
	c.Observe(Observation{Topic: "frames-repartition", Partition: 1, Offset: 11})
	steps := []struct {
		topic     string
		partition int32
		next      int64
		want      []int64 // passed on so far
	}{
		{"frames", 1, 12, []int64{11}},             // goka commits each record as its writes land: 11 first
		{"frames", 2, 11, []int64{11}},             // another partition's offset 10
		{"frames-repartition", 1, 13, []int64{11}}, // the other topic's 12: none held
		{"frames", 1, 11, []int64{11, 10}},         // then 10
		{"frames-repartition", 1, 12, []int64{11, 10, 11}},
	}
	for i, s := range steps {
		c.Marked(s.topic, s.partition, s.next)
		if len(got) != len(s.want) {
			t.Fatalf("step %d: passed %v, want %v", i, got, s.want)
		}
		for j := range got {
			if got[j] != s.want[j] {
				t.Fatalf("step %d: passed %v, want %v", i, got, s.want)
			}
		}
	}
	if c.Passed() != 3 || c.Held() != 1 {
		t.Errorf("passed %d, held %d; want 3 and 1 (offset 12, whose write never landed)", c.Passed(), c.Held())
	}
	c.Reset()
	c.Marked("frames", 1, 13)
	if c.Held() != 0 || len(got) != 3 {
		t.Errorf("after the session ended: held %d, passed %v", c.Held(), got)
	}
}
