package kafka

import (
	"strings"
	"testing"

	"github.com/IBM/sarama"
)

func TestSaramaConfig(t *testing.T) {
	t.Parallel()
	sc, err := Config{Brokers: []string{"127.0.0.1:9092"}}.Sarama()
	if err != nil {
		t.Fatal(err)
	}
	if sc.Producer.Idempotent || sc.Producer.RequiredAcks != sarama.WaitForAll || sc.Net.MaxOpenRequests != 1 || sc.Producer.Retry.Max < 20 {
		t.Error("producer: want acks=all, ordered retries for ~15 s, not idempotent unless asked")
	}
	if sc, err := (Config{Brokers: []string{"127.0.0.1:9092"}, Idempotent: true}).Sarama(); err != nil || !sc.Producer.Idempotent {
		t.Errorf("Idempotent: true gives an idempotent producer: %v", err)
	}
	if sc.Consumer.Offsets.Initial != sarama.OffsetOldest {
		t.Error("a new group would skip the frames written before it joined")
	}
	if sc.Version != sarama.V3_6_0_0 || sc.Producer.Compression != sarama.CompressionLZ4 || sc.Producer.Flush.Frequency.Milliseconds() != 5 {
		t.Errorf("defaults: version %v, compression %v, linger %v", sc.Version, sc.Producer.Compression, sc.Producer.Flush.Frequency)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		c    Config
		want string
	}{
		{Config{}, "no brokers"},
		{Config{Brokers: []string{"b:9092"}, Version: "banana"}, "version"},
		{Config{Brokers: []string{"b:9092"}, Compression: "brotli"}, "compression"},
	} {
		if _, err := tc.c.Sarama(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: err = %v, want it to mention %q", i, err, tc.want)
		}
	}
}

// TestBuildersDoNotShareConfig guards against goka's *WithConfig builders writing into one shared
// sarama config from several processors (a data race the failover test once found).
func TestBuildersDoNotShareConfig(t *testing.T) {
	t.Parallel()
	k, err := New(Config{Brokers: []string{"127.0.0.1:9092"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.fresh(), k.fresh()
	a.ClientID = "changed"
	if b.ClientID == "changed" || k.Sarama.ClientID == "changed" {
		t.Error("fresh configs share state")
	}
}

func TestMinInsyncReplicas(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct{ repl, min, want int }{{1, 0, 1}, {3, 0, 2}, {3, 3, 3}, {2, 1, 1}} {
		c := Config{Brokers: []string{"b:9092"}, Replication: tc.repl, MinInsyncReplicas: tc.min}.Defaults()
		if c.MinInsyncReplicas != tc.want {
			t.Errorf("%d: replication %d: min.insync.replicas %d, want %d", i, tc.repl, c.MinInsyncReplicas, tc.want)
		}
	}
	if _, err := New(Config{Brokers: []string{"b:9092"}, Replication: 2, MinInsyncReplicas: 3}); err == nil {
		t.Error("min.insync.replicas above the replication: no error")
	}
}
