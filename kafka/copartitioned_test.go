package kafka

import (
	"strings"
	"testing"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/embedded"
)

// TestEnsureCopartitioned: a missing topic is made with the existing one's partition count,
// whatever Config.Partitions says; one that exists with another count is refused, naming both.
func TestEnsureCopartitioned(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	three, err := New(Config{Brokers: cluster.Brokers(), Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := three.EnsureStreams("frames"); err != nil {
		t.Fatal(err)
	}
	six, err := New(Config{Brokers: cluster.Brokers(), Partitions: 6})
	if err != nil {
		t.Fatal(err)
	}
	n, err := six.EnsureCopartitioned("frames", "frames-repartition")
	if err != nil || n != 3 {
		t.Fatalf("EnsureCopartitioned: %d, %v; want 3", n, err)
	}
	if got, err := six.Partitions("frames-repartition"); err != nil || got != 3 {
		t.Errorf("frames-repartition made with %d partitions (%v), want the frames topic's 3", got, err)
	}
	if err := six.EnsureStreams("wide"); err != nil {
		t.Fatal(err)
	}
	_, err = three.EnsureCopartitioned("frames", goka.Stream("wide"))
	if err == nil || !strings.Contains(err.Error(), "wide has 6 partitions and frames 3") {
		t.Errorf("a co-partitioned topic with 6 partitions against 3: %v", err)
	}
}
