package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// Scale-out and failure tests against clusters of their own: `holostream run` processes (the
// real binary) on a 3-node Apache Kafka cluster, one process SIGKILLed mid-stream, then one
// broker; and a single-node broker restarted under a running processor. They need the Kafka jars
// that scripts/integration.sh fetches and HOLOSTREAM_TEST_KAFKA_DIR, which it sets.

// ownCluster starts a fresh cluster of n nodes in a directory of the test's own and stops it
// when the test ends.
func ownCluster(t *testing.T, nodes int) (dir string, brokers []string) {
	t.Helper()
	if os.Getenv("HOLOSTREAM_TEST_KAFKA_DIR") == "" {
		t.Skip("no Kafka installation: `make test` fetches it and sets HOLOSTREAM_TEST_KAFKA_DIR (scripts/integration.sh)")
	}
	dir = t.TempDir()
	t.Cleanup(func() { kafkaSh(t, 2*time.Minute, "stop", "--dir", dir) })
	out := kafkaSh(t, 3*time.Minute, "start", "--nodes", fmt.Sprint(nodes), "--dir", dir)
	if out == "" {
		t.Fatalf("kafka.sh start --nodes %d failed (logs in %s/logs)", nodes, dir)
	}
	return dir, strings.Split(out, ",")
}

// kafkaSh runs scripts/kafka/kafka.sh and returns its trimmed stdout ("" on failure, which it
// reports as a test error).
func kafkaSh(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "scripts/kafka/kafka.sh", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("kafka.sh %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		return ""
	}
	return strings.TrimSpace(stdout.String())
}

// buildBinary builds holostream once per test into the test's temporary directory, with the
// cgo settings of the environment (scripts/env.sh).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "holostream")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runProc is one `holostream run` process.
type runProc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error // valid once exited is closed
}

func startRun(t *testing.T, bin, name string, brokers []string, prefix string, replication int) *runProc {
	t.Helper()
	args := []string{"run", "--brokers", strings.Join(brokers, ","), "--prefix", prefix,
		"--kafka-version", "4.1.0", "--model", "pose-lite", "--workers", "1", "--max-age", "0",
		"--metrics-addr", "127.0.0.1:0", "--replication", fmt.Sprint(replication), "--partitions", "6"}
	if r := os.Getenv("HOLOSTREAM_TEST_REGISTRY"); r != "" {
		args = append(args, "--schema-registry", r)
	}
	p := &runProc{name: name, log: filepath.Join(t.TempDir(), name+".log"), exited: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); f.Close(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s log (tail) ---\n%s", p.name, p.tail(4000))
		}
	})
	return p
}

func (p *runProc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *runProc) kill() {
	if p.alive() {
		p.cmd.Process.Signal(syscall.SIGKILL)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

func (p *runProc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ackProducer sends frames of several cameras through a goka Emitter (acks=all, idempotent) and
// records which (camera, seq) Kafka acknowledged.
type ackProducer struct {
	em    *goka.Emitter
	src   camera.Source
	cams  []string
	mu    sync.Mutex
	next  map[string]int64
	acked map[string]map[int64]bool
	sent  int
	fails int
	err   error          // the first send error
	errs  map[string]int // send errors by message
}

func newAckProducer(t *testing.T, clients *kafka.Clients, topo stream.Topology, w *stream.Wire, cams []string) *ackProducer {
	t.Helper()
	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	em, err := goka.NewEmitter(clients.Config.Brokers, topo.Frames, w.Frames.Codec(), clients.EmitterOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	p := &ackProducer{em: em, src: src, cams: cams, next: map[string]int64{}, acked: map[string]map[int64]bool{}}
	for _, c := range cams {
		p.acked[c] = map[int64]bool{}
	}
	return p
}

// round sends one frame of every camera.
func (p *ackProducer) round() {
	for _, c := range p.cams {
		p.mu.Lock()
		p.next[c]++
		seq := p.next[c]
		p.sent++
		p.mu.Unlock()
		img := p.src[int(seq)%len(p.src)]
		f := schemas.Frame{CameraID: c, UserID: "user-" + c, Seq: seq, CapturedAt: time.Now(),
			ContentType: img.ContentType, Image: img.Data}
		prom, err := p.em.Emit(c, f)
		if err != nil {
			p.failed(err)
			continue
		}
		prom.Then(func(err error) {
			if err != nil {
				p.failed(err)
				return
			}
			p.mu.Lock()
			p.acked[c][seq] = true
			p.mu.Unlock()
		})
	}
}

func (p *ackProducer) failed(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails++
	if p.errs == nil {
		p.errs = map[string]int{}
	}
	p.errs[err.Error()]++
	if p.err == nil {
		p.err = err
	}
}

// run sends rounds at fps until ctx ends.
func (p *ackProducer) run(ctx context.Context, fps float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / fps))
	defer tick.Stop()
	for {
		p.round()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// background runs the producer at fps until the returned stop is called; stop waits for it.
func (p *ackProducer) background(fps float64) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.run(ctx, fps) }()
	return func() { cancel(); <-done }
}

// counts returns, per camera, the number of acknowledged frames and the highest acknowledged seq.
func (p *ackProducer) counts() (n, maxSeq map[string]int64, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, maxSeq = map[string]int64{}, map[string]int64{}
	for c, seqs := range p.acked {
		for s := range seqs {
			n[c]++
			maxSeq[c] = max(maxSeq[c], s)
		}
		total += n[c]
	}
	return n, maxSeq, total
}

// waitTaken polls the landmarks table until every camera has taken up (received, less
// redeliveries recognised as duplicates) at least want[c] frames and seen seq maxSeq[c].
func waitTaken(t *testing.T, topo stream.Topology, clients *kafka.Clients, cams []string, want, maxSeq map[string]int64, timeout time.Duration) ([]*landmarks.CameraState, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var states []*landmarks.CameraState
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s, err := stream.CameraStates(ctx, clients, topo, cams)
		cancel()
		if err == nil {
			states = s
			done := true
			for i, st := range s {
				done = done && st != nil && st.Counters.Received-st.Counters.Duplicate >= want[cams[i]] && st.LastSeq >= maxSeq[cams[i]]
			}
			if done {
				return states, true
			}
		}
		if time.Now().After(deadline) {
			return states, false
		}
		time.Sleep(time.Second)
	}
}

// groupState describes a consumer group: its state, and each member's partitions of topic.
func groupState(admin sarama.ClusterAdmin, group, topic string) (state string, members map[string][]int32, err error) {
	ds, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil || len(ds) == 0 {
		return "", nil, fmt.Errorf("describe %s: %v", group, err)
	}
	members = map[string][]int32{}
	for id, m := range ds[0].Members {
		a, err := m.GetMemberAssignment()
		if err != nil || a == nil {
			members[id] = nil
			continue
		}
		members[id] = a.Topics[topic]
	}
	return ds[0].State, members, nil
}

// waitGroup waits until the group is stable with n members that share all `partitions`.
func waitGroup(t *testing.T, admin sarama.ClusterAdmin, group, topic string, n, partitions int, timeout time.Duration) (map[string][]int32, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var members map[string][]int32
	for time.Now().Before(deadline) {
		state, m, err := groupState(admin, group, topic)
		members = m
		if err == nil && state == "Stable" && len(m) == n {
			seen := map[int32]bool{}
			for _, ps := range m {
				for _, p := range ps {
					seen[p] = true
				}
			}
			if len(seen) == partitions {
				return m, true
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return members, false
}

// keypointRecord is one record of the keypoints topic.
type keypointRecord struct {
	camera    string
	seq       int64
	partition int32
}

// readKeypoints reads the whole keypoints topic (up to its current end).
func readKeypoints(t *testing.T, clients *kafka.Clients, topo stream.Topology, w *stream.Wire) []keypointRecord {
	t.Helper()
	client, err := sarama.NewClient(clients.Config.Brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	topic := string(topo.Keypoints)
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []keypointRecord
	for _, p := range parts {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		timeout := time.After(time.Minute)
	read:
		for {
			select {
			case m := <-pc.Messages():
				ev, err := w.Keypoints.Decode(m.Value)
				if err != nil {
					t.Errorf("keypoints %d/%d: %v", p, m.Offset, err)
				} else {
					out = append(out, keypointRecord{ev.CameraID, ev.Seq, p})
				}
				if m.Offset >= end-1 {
					break read
				}
			case <-timeout:
				t.Errorf("keypoints partition %d: not read to offset %d within a minute", p, end)
				break read
			}
		}
		pc.Close()
	}
	return out
}

// checkMinISR checks that every topic of the deployment, as holostream's kafka.Clients created it,
// has min.insync.replicas isr and 6 partitions of 3 replicas.
func checkMinISR(t *testing.T, admin sarama.ClusterAdmin, topics []string, isr string) {
	t.Helper()
	for _, topic := range topics {
		entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"min.insync.replicas"}})
		if err != nil || len(entries) != 1 || entries[0].Value != isr {
			t.Fatalf("%s: min.insync.replicas %+v (%v), want %s", topic, entries, err, isr)
		}
		md, err := admin.DescribeTopics([]string{topic})
		if err != nil || len(md) != 1 || len(md[0].Partitions) != 6 || len(md[0].Partitions[0].Replicas) != 3 {
			t.Fatalf("%s: metadata %+v (%v), want 6 partitions of 3 replicas", topic, md, err)
		}
	}
}

// deploymentTopics creates every topic of the deployment (streams, tables, the analytics loop)
// the way `holostream run` does, with the clients' partitions, replication and
// min.insync.replicas (replication-1), and returns their names.
func deploymentTopics(t *testing.T, clients *kafka.Clients, topo stream.Topology) []string {
	t.Helper()
	streams := append(topo.Streams(), topo.Loop())
	if err := clients.EnsureStreams(streams...); err != nil {
		t.Fatal(err)
	}
	if err := clients.EnsureTables(topo.Landmarks, topo.Analytics); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range streams {
		names = append(names, string(s))
	}
	return append(names, string(goka.GroupTable(topo.Landmarks)), string(goka.GroupTable(topo.Analytics)))
}

// TestScaleOutAndProcessFailover: three `holostream run` processes share 6 partitions of a
// 3-node cluster (replication 3, min ISR 2); one process is SIGKILLed mid-stream, the other two
// take its partitions over; then a broker is SIGKILLed. No acknowledged frame is lost.
//
// What holds under at-least-once. goka commits a frame's offset only after its keypoint event
// and its table write are acknowledged, but the commit itself is periodic, so the process that
// is killed leaves a tail of frames read again by the new owner. For each such frame:
//   - if its table write had landed, the table's LastSeq already covers it: it counts as
//     Received and Duplicate again (no second keypoint event);
//   - if its table write had not landed (nor any later one of that camera), it is processed
//     again from the state before it: Received once in the table, and a second keypoint event
//     if the first one had landed.
//
// So per camera the table holds Received - Duplicate == frames acknowledged (each taken up
// exactly once), Emitted == frames acknowledged (no frame is stale or bad here), Balanced(), and
// LastSeq == the last seq; the keypoints topic holds every acknowledged (camera, seq) at least
// once, and a (camera, seq) twice only in a partition the killed process owned.
func TestScaleOutAndProcessFailover(t *testing.T) {
	t0 := time.Now()
	dir, brokers := ownCluster(t, 3)
	bin := buildBinary(t)
	t.Logf("cluster %v and binary ready in %v", brokers, time.Since(t0).Round(time.Second))

	prefix := uniquePrefix("scale")
	topo := stream.NewTopology(prefix)
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "it-scale", Partitions: 6, Replication: 3, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdmin(brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	checkMinISR(t, admin, deploymentTopics(t, clients, topo), "2")
	w, err := stream.NewWire(context.Background(), topo, os.Getenv("HOLOSTREAM_TEST_REGISTRY"))
	if err != nil {
		t.Fatal(err)
	}

	var procs []*runProc
	for i := range 3 {
		procs = append(procs, startRun(t, bin, fmt.Sprintf("run-%d", i+1), brokers, prefix, 3))
	}
	group, frames := string(topo.Landmarks), string(topo.Frames)
	before, ok := waitGroup(t, admin, group, frames, 3, 6, 2*time.Minute)
	if !ok {
		t.Fatalf("the three processes did not share the 6 partitions within 2 minutes: %v", before)
	}
	t.Logf("3 processes joined, partitions %v (%v since start)", before, time.Since(t0).Round(time.Second))

	var cams []string
	for i := range 9 {
		cams = append(cams, fmt.Sprintf("cam-%d", i+1))
	}
	prod := newAckProducer(t, clients, topo, w, cams)
	const fps = 2 // per camera: 18 frames/s in all
	stop := prod.background(fps)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	time.Sleep(8 * time.Second) // every process has frames in flight

	// SIGKILL the first process.
	victim := procs[0]
	killedAt := time.Now()
	victim.kill()
	ackedAtKill, maxAtKill, totalAtKill := prod.counts()
	after, ok := waitGroup(t, admin, group, frames, 2, 6, 90*time.Second)
	takeover := time.Since(killedAt)
	if !ok {
		t.Fatalf("the two remaining processes did not take the 6 partitions over within 90 s: %v", after)
	}
	var killedParts []int32
	for id, ps := range before {
		if _, still := after[id]; !still {
			killedParts = append(killedParts, ps...)
		}
	}
	if len(killedParts) == 0 {
		t.Logf("could not tell the killed member from the group's member ids: before %v after %v", before, after)
	}
	if _, ok := waitTaken(t, topo, clients, cams, ackedAtKill, maxAtKill, 2*time.Minute); !ok {
		t.Fatalf("frames acknowledged before the kill not accounted for within 2 minutes after it")
	}
	recovered := time.Since(killedAt)
	t.Logf("process killed with %d frames acknowledged; group rebalanced to 2 members in %v (killed member had partitions %v); all of them in the table %v after the kill",
		totalAtKill, takeover.Round(100*time.Millisecond), killedParts, recovered.Round(100*time.Millisecond))
	time.Sleep(5 * time.Second)
	stop()
	stopped = true
	if err := prod.em.Finish(); err != nil {
		t.Errorf("emitter: %v", err)
	}
	if prod.fails > 0 {
		t.Fatalf("%d of %d frames not acknowledged by a healthy cluster: %v", prod.fails, prod.sent, prod.err)
	}
	acked, maxSeq, total := prod.counts()
	states, ok := waitTaken(t, topo, clients, cams, acked, maxSeq, 2*time.Minute)
	if !ok {
		t.Fatalf("not every acknowledged frame accounted for within 2 minutes")
	}
	tableDup := checkTable(t, cams, states, acked, maxSeq)
	kpDup := checkKeypoints(t, readKeypoints(t, clients, topo, w), acked, killedParts)
	for _, p := range procs[1:] {
		if !p.alive() {
			t.Errorf("%s exited: %v", p.name, p.err)
		}
	}
	t.Logf("process failover: %d frames of %d cameras acknowledged and accounted for; %d frames read again (redelivered or duplicate) in the table, %d duplicate keypoint events (all in the killed process's partitions)",
		total, len(cams), tableDup, kpDup)

	// The broker-kill phase. It failed 1 run in 4, then 1 in 3, while the producers were
	// sarama's idempotent ones (out-of-order sequence errors when leadership moved, and goka
	// committing past the failed record); with ordered plain retries it passed 5 runs of 5.
	// HOLOSTREAM_TEST_BROKER_KILL=0 leaves it out (a minute less).
	if os.Getenv("HOLOSTREAM_TEST_BROKER_KILL") == "0" {
		t.Log("broker-kill phase left out: HOLOSTREAM_TEST_BROKER_KILL=0")
		return
	}

	// SIGKILL broker 2 and carry on producing.
	prod2 := newAckProducer(t, clients, topo, w, cams)
	prod2.next = maps(maxSeq)
	stop2 := prod2.background(fps)
	time.Sleep(3 * time.Second)
	brokerKilled := time.Now()
	kafkaSh(t, time.Minute, "kill-node", "2", "--dir", dir)
	time.Sleep(15 * time.Second)
	stop2()
	if err := prod2.em.Finish(); err != nil {
		t.Logf("emitter after the broker kill: %v", err)
	}
	acked2, maxSeq2, total2 := prod2.counts()
	for c := range acked2 {
		acked2[c] += acked[c]
	}
	// Frames whose send failed may be missing (never written) or present (written, the
	// acknowledgement lost): the table is checked for the acknowledged ones at least.
	states, ok = waitTaken(t, topo, clients, cams, acked2, maxSeq2, 3*time.Minute)
	accounted := time.Since(brokerKilled)
	for _, p := range procs[1:] {
		if !p.alive() {
			t.Errorf("%s exited after broker 2 was killed: %v\n%s", p.name, p.err, p.tail(3000))
		}
	}
	if !ok {
		for i, s := range states {
			if s != nil {
				t.Logf("%s: counters %+v last seq %d; %d acknowledged up to seq %d", cams[i], s.Counters, s.LastSeq, acked2[cams[i]], maxSeq2[cams[i]])
			}
		}
		t.Fatalf("after broker 2 was killed, acknowledged frames not accounted for within 3 minutes (send failures %d of %d: %v)", prod2.fails, prod2.sent, prod2.errs)
	}
	for i, s := range states {
		c := s.Counters
		if !c.Balanced() || c.Emitted < acked2[cams[i]] {
			t.Errorf("%s after the broker kill: counters %+v, %d acknowledged", cams[i], c, acked2[cams[i]])
		}
	}
	kps := readKeypoints(t, clients, topo, w)
	have := map[string]map[int64]bool{}
	for _, k := range kps {
		if have[k.camera] == nil {
			have[k.camera] = map[int64]bool{}
		}
		have[k.camera][k.seq] = true
	}
	lost := 0
	prod2.mu.Lock()
	for c, seqs := range prod2.acked {
		for s := range seqs {
			if !have[c][s] {
				lost++
			}
		}
	}
	prod2.mu.Unlock()
	if lost > 0 {
		t.Errorf("%d acknowledged frames sent around the broker kill have no keypoint event", lost)
	}
	t.Logf("broker 2 SIGKILLed: %d more frames acknowledged, %d sends failed (%v); all acknowledged frames accounted for %v after the kill; both processes still running",
		total2, prod2.fails, prod2.errs, accounted.Round(100*time.Millisecond))
	restart := time.Now()
	kafkaSh(t, 2*time.Minute, "start-node", "2", "--dir", dir)
	t.Logf("broker 2 back in %v; test took %v", time.Since(restart).Round(100*time.Millisecond), time.Since(t0).Round(time.Second))
}

func maps(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkTable asserts the table invariant (see TestScaleOutAndProcessFailover) and returns the
// number of redelivered frames the table recognised as duplicates.
func checkTable(t *testing.T, cams []string, states []*landmarks.CameraState, acked, maxSeq map[string]int64) int64 {
	t.Helper()
	var dup int64
	for i, s := range states {
		c, id := s.Counters, cams[i]
		if c.Received-c.Duplicate != acked[id] || c.Emitted != acked[id] || !c.Balanced() || s.LastSeq != maxSeq[id] || maxSeq[id] != acked[id] {
			t.Errorf("%s: counters %+v, last seq %d; want %d acknowledged frames (seqs 1..%d) taken up once each and emitted",
				id, c, s.LastSeq, acked[id], maxSeq[id])
		}
		dup += c.Duplicate + c.Redelivered
	}
	return dup
}

// checkKeypoints asserts that every acknowledged (camera, seq) has a keypoint event and that
// repeated ones lie in the killed process's partitions; it returns the number of repeats.
func checkKeypoints(t *testing.T, kps []keypointRecord, acked map[string]int64, killedParts []int32) int {
	t.Helper()
	count := map[keypointRecord]int{}
	for _, k := range kps {
		count[k]++
	}
	have := map[string]map[int64]bool{}
	dups := 0
	var where []string
	for k, n := range count {
		if have[k.camera] == nil {
			have[k.camera] = map[int64]bool{}
		}
		have[k.camera][k.seq] = true
		if n > 1 {
			dups += n - 1
			if len(killedParts) > 0 && !slices.Contains(killedParts, k.partition) {
				t.Errorf("%s seq %d: %d keypoint events in partition %d, which the killed process did not own (%v)", k.camera, k.seq, n, k.partition, killedParts)
			}
			where = append(where, fmt.Sprintf("%s/%d", k.camera, k.seq))
		}
	}
	for c, n := range acked {
		for s := int64(1); s <= n; s++ {
			if !have[c][s] {
				t.Errorf("%s seq %d: acknowledged, no keypoint event", c, s)
			}
		}
	}
	sort.Strings(where)
	if len(where) > 0 {
		t.Logf("duplicate keypoint events (camera/seq): %v", where)
	}
	return dups
}

// TestBrokerRestartSingleNode: a `holostream run` process on a one-node cluster outlives a
// broker SIGKILL and restart (with its data) without being restarted itself, and accounts for
// every frame acknowledged before and after.
func TestBrokerRestartSingleNode(t *testing.T) {
	t0 := time.Now()
	dir, brokers := ownCluster(t, 1)
	bin := buildBinary(t)
	prefix := uniquePrefix("restart")
	topo := stream.NewTopology(prefix)
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "it-restart", Partitions: 6, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdmin(brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	deploymentTopics(t, clients, topo)
	w, err := stream.NewWire(context.Background(), topo, os.Getenv("HOLOSTREAM_TEST_REGISTRY"))
	if err != nil {
		t.Fatal(err)
	}
	proc := startRun(t, bin, "run", brokers, prefix, 1)
	if m, ok := waitGroup(t, admin, string(topo.Landmarks), string(topo.Frames), 1, 6, 2*time.Minute); !ok {
		t.Fatalf("the process did not join within 2 minutes: %v", m)
	}
	cams := []string{"cam-1", "cam-2", "cam-3"}
	prod := newAckProducer(t, clients, topo, w, cams)
	for range 10 {
		prod.round()
		time.Sleep(200 * time.Millisecond)
	}
	if err := prod.em.Finish(); err != nil || prod.fails > 0 {
		t.Fatalf("produce: %d failed: %v %v", prod.fails, err, prod.err)
	}
	acked, maxSeq, total := prod.counts()
	if _, ok := waitTaken(t, topo, clients, cams, acked, maxSeq, 2*time.Minute); !ok {
		t.Fatal("frames before the restart not accounted for")
	}

	killed := time.Now()
	kafkaSh(t, time.Minute, "kill-node", "1", "--dir", dir)
	time.Sleep(3 * time.Second)
	kafkaSh(t, 2*time.Minute, "start-node", "1", "--dir", dir)
	t.Logf("broker down and back in %v; process alive: %v", time.Since(killed).Round(100*time.Millisecond), proc.alive())

	prod2 := newAckProducer(t, clients, topo, w, cams)
	prod2.next = maps(maxSeq)
	for range 10 {
		prod2.round()
		time.Sleep(200 * time.Millisecond)
	}
	if err := prod2.em.Finish(); err != nil || prod2.fails > 0 {
		t.Fatalf("produce after the restart: %d failed: %v %v", prod2.fails, err, prod2.err)
	}
	acked2, maxSeq2, total2 := prod2.counts()
	for c := range acked2 {
		acked2[c] += acked[c]
	}
	states, ok := waitTaken(t, topo, clients, cams, acked2, maxSeq2, 2*time.Minute)
	if !proc.alive() {
		t.Fatalf("holostream run exited after the broker restart: %v\n%s", proc.err, proc.tail(4000))
	}
	if !ok {
		t.Fatalf("frames after the broker restart not accounted for within 2 minutes (process alive)")
	}
	checkTable(t, cams, states, acked2, maxSeq2)
	t.Logf("%d + %d frames accounted for across a broker restart, recovered %v after the kill; the process was not restarted; test took %v",
		total, total2, time.Since(killed).Round(100*time.Millisecond), time.Since(t0).Round(time.Second))
}
