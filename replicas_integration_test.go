package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/stream"
)

// lockedBuffer is a log sink that several goroutines write and the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRealReplicasStartTogether starts replicas on a fresh prefix at the same moment, as a
// deployment scaled out does, on a 3-node cluster and the registry: they race to register the
// schemas, to set the subjects' compatibility (Apicurio answers 409 to all but the first) and
// to create the topics and tables. None may fail.
func TestRealReplicasStartTogether(t *testing.T) {
	_, registryURL := realCluster(t)
	// Three brokers: each learns of a new topic on its own, a moment apart, which is when
	// replicas racing to create the topics trip over each other.
	_, brokers := ownCluster(t, 3)
	t.Run("set-up", func(t *testing.T) { testSetUpRaces(t, brokers) })
	t.Run("run", func(t *testing.T) { testReplicasRun(t, brokers, registryURL) })
}

// testSetUpRaces builds the processors of three instances at once, on fresh prefixes, round
// after round: the topic set-up alone, where a race is a matter of milliseconds.
func testSetUpRaces(t *testing.T, brokers []string) {
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "it-setup", Partitions: 3, Replication: 3, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	var pf processorFlags
	pf.register(flag.NewFlagSet("run", flag.ContinueOnError)) // the defaults of `holostream run`
	lm, err := model.Open(model.PoseLite, model.WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	const rounds, n = 12, 3
	for round := range rounds {
		topo := stream.NewTopology(uniquePrefix(fmt.Sprintf("setup%d", round)))
		w, err := stream.NewWire(context.Background(), topo, "")
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				cfg, err := pf.config(topo, nil, slog.LevelInfo)
				if err != nil {
					errs[i] = err
					return
				}
				cfg.Landmarker = lm
				_, errs[i] = stream.NewPipeline(cfg, clients, w, prometheus.NewRegistry())
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, instance %d: %v", round, i, err)
			}
		}
	}
}

// testReplicasRun starts three `holostream run` at once; all three must come up ready.
func testReplicasRun(t *testing.T, brokers []string, registryURL string) {
	prefix := uniquePrefix("replicas")
	const n = 3
	type replica struct {
		metrics string
		log     lockedBuffer
		code    int           // the exit status, once done is closed
		done    chan struct{} // closed when the replica's run returns
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := make(chan struct{})
	var ready sync.WaitGroup
	rs := make([]*replica, n)
	for i := range rs {
		r := &replica{metrics: freeAddr(t), done: make(chan struct{})}
		rs[i] = r
		args := []string{"run", "--brokers", strings.Join(brokers, ","), "--schema-registry", registryURL,
			"--prefix", prefix, "--kafka-version", "4.1.0", "--partitions", "3", "--replication", "3", "--model", "pose-lite",
			"--workers", "1", "--max-age", "0", "--metrics-addr", r.metrics}
		ready.Add(1)
		go func() {
			ready.Done()
			<-start // the barrier: every replica is parked here before any goes on
			r.code = dispatch(ctx, args, &r.log, &r.log)
			close(r.done)
		}()
	}
	ready.Wait()
	close(start)
	// stop ends every replica and waits for them, also when the test fails half-way, so none
	// outlives it.
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		limit := time.After(time.Minute)
		for i, r := range rs {
			select {
			case <-r.done:
			case <-limit:
				t.Errorf("replica %d did not stop within a minute", i)
			}
		}
	}
	defer func() {
		stop()
		if t.Failed() {
			for i, r := range rs {
				t.Logf("--- replica %d log ---\n%s", i, r.log.String())
			}
		}
	}()

	// Each replica answers /readyz once its processors have joined their groups and recovered
	// their tables; one that exited during set-up never will.
	deadline := time.Now().Add(3 * time.Minute)
	for i, r := range rs {
		for !readyz(r.metrics) {
			select {
			case <-r.done:
				t.Fatalf("replica %d exited with %d during set-up", i, r.code)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d not ready within 3 minutes", i)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	for i, r := range rs {
		select {
		case <-r.done:
			t.Errorf("replica %d exited with %d after being ready", i, r.code)
		default:
		}
	}
	stop()
	for i, r := range rs {
		select {
		case <-r.done:
			if r.code != 0 {
				t.Errorf("replica %d: exit %d on shutdown", i, r.code)
			}
		default: // stop has reported it
		}
	}
}

// readyz tells whether the ops server at addr says the processors are ready.
func readyz(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/readyz", addr), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
