package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/stream"
)

// The ACL integration test starts its own one-node broker with the authorizer on
// (scripts/kafka/kafka.sh start --sasl-ssl --acl: StandardAuthorizer, nothing allowed without an
// ACL) and three SCRAM-SHA-512 principals: holostream (the processors), camera and reader. An
// admin (the PLAINTEXT listener's super user) creates the topics and grants each principal what
// README's "Running on a secured cluster" lists (stream.ProcessorAccess, ProducerAccess, ReaderAccess),
// and nothing else: no Create, no DescribeConfigs, no cluster grant.

// aclPrefix is the deployment's --prefix: the broker is the test's own.
const aclPrefix = "acl."

// aclRig is the broker, its admin and the principals' settings.
type aclRig struct {
	dir         string
	pki         testPKI
	sasl, plain []string
	admin       sarama.ClusterAdmin
	topo        stream.Topology
}

var aclUsers = []scramUser{{"holostream", "holostream-s3cret"}, {"camera", "camera-s3cret"}, {"reader", "reader-s3cret"}, {"gateway", "gateway-s3cret"}}

func newACLRig(t *testing.T) *aclRig {
	t.Helper()
	r := &aclRig{dir: t.TempDir(), topo: stream.NewTopology(aclPrefix)}
	r.pki = newTestPKI(t, r.dir)
	r.sasl, r.plain = startBroker(t, r.dir, r.pki, aclUsers, "--acl")
	for _, u := range aclUsers {
		if err := os.WriteFile(r.passwordFile(u.name), []byte(u.password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ac := sarama.NewConfig()
	ac.Version = sarama.V4_1_0_0
	admin, err := sarama.NewClusterAdmin(r.plain, ac)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	r.admin = admin
	return r
}

func (r *aclRig) passwordFile(user string) string { return filepath.Join(r.dir, user+".password") }

// config is user's connection: SASL_SSL, the test's CA and client certificate, SCRAM-SHA-512.
func (r *aclRig) config(user string) kafka.Config {
	for _, u := range aclUsers {
		if u.name == user {
			return kafka.Config{Brokers: r.sasl, ClientID: "it-acl-" + user, Partitions: 3, Version: "4.1.0",
				TLS:  kafka.TLS{Enabled: true, CAFile: r.pki.caFile, CertFile: r.pki.clientCert, KeyFile: r.pki.clientKey},
				SASL: kafka.SASL{Mechanism: kafka.SCRAMSHA512, User: u.name, Password: u.password}}
		}
	}
	panic("no user " + user)
}

func (r *aclRig) clients(t *testing.T, user string) *kafka.Clients {
	t.Helper()
	k, err := kafka.New(r.config(user))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// runArgs are the flags of `holostream run` as the holostream principal.
func (r *aclRig) runArgs(metricsAddr string) []string {
	return append(r.connArgs("run", "holostream"), "--partitions", "3", "--model", "pose-lite", "--workers", "1", "--max-age", "0",
		"--window", "1s", "--grace", "0s", "--metrics-addr", metricsAddr)
}

// connArgs are command's flags that reach the cluster as user, over SASL_SSL.
func (r *aclRig) connArgs(command, user string) []string {
	return []string{command, "--brokers", strings.Join(r.sasl, ","), "--schema-registry", "", "--prefix", aclPrefix,
		"--kafka-version", "4.1.0", "--tls", "--tls-ca", r.pki.caFile, "--tls-cert", r.pki.clientCert,
		"--tls-key", r.pki.clientKey, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", user,
		"--sasl-password-file", r.passwordFile(user)}
}

// aclBinding is one grant: an operation on a literal topic or group.
type aclBinding struct {
	resource sarama.AclResourceType
	name     string
	op       kafka.Operation
}

func (b aclBinding) String() string {
	kind := "topic"
	if b.resource == sarama.AclResourceGroup {
		kind = "group"
	}
	return fmt.Sprintf("%s on %s %s", b.op, kind, b.name)
}

// bindings are the grants that give a exactly: each operation on each topic and group.
func bindings(a kafka.Access) []aclBinding {
	var out []aclBinding
	for _, t := range a.Topics {
		for _, op := range t.Ops {
			out = append(out, aclBinding{sarama.AclResourceTopic, t.Topic, op})
		}
	}
	for _, g := range a.Groups {
		for _, op := range g.Ops {
			out = append(out, aclBinding{sarama.AclResourceGroup, g.Group, op})
		}
	}
	return out
}

var aclOps = map[kafka.Operation]sarama.AclOperation{kafka.Describe: sarama.AclOperationDescribe, kafka.Read: sarama.AclOperationRead,
	kafka.Write: sarama.AclOperationWrite, kafka.Create: sarama.AclOperationCreate}

func (r *aclRig) grant(t *testing.T, principal string, bs ...aclBinding) {
	t.Helper()
	for _, b := range bs {
		err := r.admin.CreateACL(sarama.Resource{ResourceType: b.resource, ResourceName: b.name, ResourcePatternType: sarama.AclPatternLiteral},
			sarama.Acl{Principal: principal, Host: "*", Operation: aclOps[b.op], PermissionType: sarama.AclPermissionAllow})
		if err != nil {
			t.Fatalf("grant %s to %s: %v", b, principal, err)
		}
	}
}

func (r *aclRig) revoke(t *testing.T, principal string, b aclBinding) {
	t.Helper()
	name, op, perm, host := b.name, aclOps[b.op], sarama.AclPermissionAllow, "*"
	_, err := r.admin.DeleteACL(sarama.AclFilter{ResourceType: b.resource, ResourceName: &name, ResourcePatternTypeFilter: sarama.AclPatternLiteral,
		Principal: &principal, Host: &host, Operation: op, PermissionType: perm}, false)
	if err != nil {
		t.Fatalf("revoke %s from %s: %v", b, principal, err)
	}
}

// settle waits until the processors' check, as holostream, sees want (a binding missing;
// none: all granted): the broker applies ACL changes a moment after it acknowledges them.
func (r *aclRig) settle(t *testing.T, k *kafka.Clients, want *aclBinding) {
	t.Helper()
	r.settleAccess(t, k, stream.ProcessorAccess(r.topo), want)
}

func (r *aclRig) settleAccess(t *testing.T, k *kafka.Clients, a kafka.Access, want *aclBinding) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := k.CheckAccess(a)
		var ae *kafka.AccessError
		switch {
		case want == nil && err == nil:
			return
		case want != nil && errors.As(err, &ae) && strings.Contains(err.Error(), fmt.Sprintf("lacks %s", *want)):
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the check does not see the change (want missing: %v) after 15 s: %v", want, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outputs reads keypoints and pose-stats as the reader principal, counting keypoint events by
// seq and windows.
type outputs struct {
	mu        sync.Mutex
	keypoints map[int64]bool
	windows   int
	actions   int
}

func (o *outputs) counts() (keypoints, windows, actions int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.keypoints), o.windows, o.actions
}

func (o *outputs) waitFor(t *testing.T, keypoints int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		k, w, _ := o.counts()
		if k >= keypoints && w > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d keypoint events and %d windows in %v, want %d and some", k, w, timeout, keypoints)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runningCommand is `holostream run` in a goroutine.
type runningCommand struct {
	log    lockedBuffer
	code   int
	done   chan struct{}
	cancel context.CancelFunc
}

func startACLRun(args []string) *runningCommand {
	ctx, cancel := context.WithCancel(context.Background())
	c := &runningCommand{done: make(chan struct{}), cancel: cancel}
	go func() {
		c.code = dispatch(ctx, args, &c.log, &c.log)
		close(c.done)
	}()
	return c
}

// waitReady waits until the command's /readyz at addr answers 200; it fails if the command
// exits first.
func (c *runningCommand) waitReady(t *testing.T, addr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !readyz(addr) {
		select {
		case <-c.done:
			t.Fatalf("holostream run exited %d before it was ready", c.code)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("holostream run not ready after %v", timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the command and waits for it, a minute at most.
func (c *runningCommand) stop(t *testing.T) {
	t.Helper()
	c.cancel()
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		t.Errorf("holostream run did not stop within a minute")
	}
}

// probe is one look at the ops server: /readyz's status and body, two series of /metrics.
type probe struct {
	ready         int
	reason        string
	emitted       float64
	writesRefused float64
}

func probeOps(addr, topic string) (probe, error) {
	var p probe
	get := func(path string) (int, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			return 0, "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	// The metrics first: a refusal they show happened before /readyz is asked.
	_, metrics, err := get("/metrics")
	if err != nil {
		return p, err
	}
	code, body, err := get("/readyz")
	if err != nil {
		return p, err
	}
	p.ready, p.reason = code, body
	p.emitted = series(metrics, "holostream_landmarks_frames_total", `outcome="emitted"`)
	p.writesRefused = series(metrics, "holostream_kafka_writes_failed_total", `code="TOPIC_AUTHORIZATION_FAILED"`, fmt.Sprintf("topic=%q", topic))
	return p, nil
}

// series is the value of the first sample of name whose labels include each of labels.
func series(text, name string, labels ...string) float64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(line, l)
		}
		if i := strings.LastIndexByte(line, ' '); all && i > 0 {
			v, _ := strconv.ParseFloat(line[i+1:], 64)
			return v
		}
	}
	return 0
}

// TestRealKafkaACLs: with only the grants README lists, the processors, a camera and a reader
// work end to end over SASL_SSL; revoking each of the processors' grants in turn, `holostream
// run` exits at start naming exactly that grant with the command that gives it back; revoking
// Write on keypoints while it runs, /readyz says not ready, naming it, from the first refused
// write on and never ready again, the refused writes are counted and no frame as emitted, and
// run exits non-zero within a bound; granted again, it takes up the frames it could not finish.
func TestRealKafkaACLs(t *testing.T) {
	if os.Getenv("HOLOSTREAM_TEST_KAFKA_DIR") == "" {
		t.Skip("no Kafka jars fetched: `make test` fetches them (scripts/integration.sh)")
	}
	r := newACLRig(t)
	topo := r.topo
	// The admin creates every topic as holostream would (kafka-topics lines in README).
	admin, err := kafka.New(kafka.Config{Brokers: r.plain, Partitions: 3, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureStreams(append(topo.Streams(), topo.Loop())...); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureTables(topo.Landmarks, topo.Analytics); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.EnsureCopartitioned(topo.Frames, topo.Repartition); err != nil {
		t.Fatal(err)
	}
	processor := bindings(stream.ProcessorAccess(topo))
	r.grant(t, "User:holostream", processor...)
	r.grant(t, "User:camera", bindings(stream.ProducerAccess(topo))...)
	r.grant(t, "User:reader", bindings(stream.ReaderAccess(topo))...)
	r.grant(t, "User:gateway", bindings(stream.GatewayAccess(topo))...)
	hs := r.clients(t, "holostream")
	r.settle(t, hs, nil)

	w, err := stream.NewWire(context.Background(), topo, "")
	if err != nil {
		t.Fatal(err)
	}
	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	out := &outputs{keypoints: map[int64]bool{}}
	tctx, stopTail := context.WithCancel(context.Background())
	defer stopTail()
	go stream.Tail(tctx, r.clients(t, "reader"), []string{string(topo.Keypoints), string(topo.Stats), string(topo.Actions)}, true, func(rec stream.Record) error {
		out.mu.Lock()
		defer out.mu.Unlock()
		switch rec.Topic {
		case string(topo.Keypoints):
			if ev, err := w.Keypoints.Decode(rec.Value); err == nil {
				out.keypoints[ev.Seq] = true
			}
		case string(topo.Stats):
			out.windows++
		case string(topo.Actions):
			out.actions++
		}
		return nil
	})
	cam := camera.Camera{ID: "acl-cam-1", User: "acl-user", Now: steppingClock(time.Now())}
	produce := func(first, n int) {
		t.Helper()
		c := cam
		c.FirstSeq = int64(first)
		if got, err := stream.Produce(context.Background(), r.clients(t, "camera"), topo, w, src, []camera.Camera{c}, n); err != nil || got != int64(n) {
			t.Fatalf("camera produced %d of %d frames: %v", got, n, err)
		}
	}

	// Least privilege, end to end.
	const n, more = 40, 5
	ops := freeAddr(t)
	var runs []*runningCommand
	start := func() *runningCommand {
		c := startACLRun(r.runArgs(ops))
		runs = append(runs, c)
		return c
	}
	defer func() {
		for i, c := range runs {
			c.stop(t)
			if t.Failed() {
				t.Logf("--- holostream run %d log ---\n%s", i, c.log.String())
			}
		}
	}()
	run := start()
	run.waitReady(t, ops, 2*time.Minute)
	produce(1, n)
	out.waitFor(t, n, 2*time.Minute)
	before, err := probeOps(ops, string(topo.Keypoints))
	if err != nil || before.emitted != n {
		t.Fatalf("before the revocation: %+v, %v; want %d frames emitted", before, err, n)
	}
	_, windows, actions := out.counts()
	t.Logf("least privilege: %d frames in, %d keypoint events, %d windows, %d actions out", n, n, windows, actions)

	// Write on keypoints revoked while it runs.
	keypointsWrite := aclBinding{sarama.AclResourceTopic, string(topo.Keypoints), kafka.Write}
	r.revoke(t, "User:holostream", keypointsWrite)
	r.settle(t, hs, &keypointsWrite)
	revoked := time.Now()
	produce(n+1, more)
	var last probe
	var refusedReady []probe
	sawNotReady, sawNamed := false, false
	deadline := time.After(3 * time.Minute)
watch:
	for {
		select {
		case <-run.done:
			break watch
		case <-deadline:
			t.Fatal("holostream run still running 3 minutes after Write on keypoints was revoked")
		case <-time.After(100 * time.Millisecond):
		}
		p, err := probeOps(ops, string(topo.Keypoints))
		if err != nil {
			continue // shutting down
		}
		last = p
		switch {
		case p.ready != http.StatusOK:
			if !sawNotReady {
				t.Logf("revoked: /readyz 503 %v after the revocation: %s", time.Since(revoked).Round(100*time.Millisecond), strings.TrimSpace(p.reason))
			}
			sawNotReady = true
			sawNamed = sawNamed || strings.Contains(p.reason, "lacks Write on topic acl.keypoints")
		case sawNotReady || p.writesRefused > 0:
			refusedReady = append(refusedReady, p)
		}
	}
	t.Logf("revoked: run exited %d after %v", run.code, time.Since(revoked).Round(100*time.Millisecond))
	if run.code == 0 || !strings.Contains(run.log.String(), "giving up") || !strings.Contains(run.log.String(), "lacks Write on topic acl.keypoints") {
		t.Errorf("run exited %d; want non-zero, giving up and naming the grant", run.code)
	}
	if !sawNamed {
		t.Error("/readyz never said not ready naming the missing grant while writes were refused")
	}
	if len(refusedReady) > 0 {
		t.Errorf("/readyz answered ready %d times after a write was refused: %+v", len(refusedReady), refusedReady[0])
	}
	if last.writesRefused < 1 || last.emitted != n {
		t.Errorf("metrics: %v refused writes to keypoints, %v frames emitted; want some, and still %d", last.writesRefused, last.emitted, n)
	}

	// Granted again: the frames it could not finish come out.
	r.grant(t, "User:holostream", keypointsWrite)
	r.settle(t, hs, nil)
	run = start()
	out.waitFor(t, n+more, 2*time.Minute)
	run.stop(t)
	if run.code != 0 {
		t.Errorf("run exited %d on shutdown", run.code)
	}

	// Each grant revoked in turn: run exits at start naming exactly it, and never says to create
	// a topic that exists.
	var fastest, slowest time.Duration
	for i, b := range processor {
		r.revoke(t, "User:holostream", b)
		r.settle(t, hs, &b)
		var log lockedBuffer
		t0 := time.Now()
		code := dispatch(context.Background(), r.runArgs(""), &log, &log)
		if el := time.Since(t0); fastest == 0 || el < fastest {
			fastest = el
		} else if el > slowest {
			slowest = el
		}
		text := log.String()
		named := strings.Count(text, "msg=\"missing grant\"")
		cmd := fmt.Sprintf("--operation %s --%s %s", b.op, map[sarama.AclResourceType]string{sarama.AclResourceTopic: "topic", sarama.AclResourceGroup: "group"}[b.resource], b.name)
		if code != 1 || named != 1 || !strings.Contains(text, "lacks "+b.String()) || !strings.Contains(text, cmd) || strings.Contains(text, "create topic") {
			t.Errorf("case %d (%s revoked): exit %d, %d grants named; want 1, naming it with %q:\n%s", i, b, code, named, cmd, text)
		}
		r.grant(t, "User:holostream", b)
		r.settle(t, hs, nil)
	}
	t.Logf("%d grants revoked in turn: run exited naming each in %v to %v", len(processor), fastest.Round(time.Millisecond), max(slowest, fastest).Round(time.Millisecond))

	// The camera without Write: produce exits at start, naming it.
	framesWrite := aclBinding{sarama.AclResourceTopic, string(topo.Frames), kafka.Write}
	r.revoke(t, "User:camera", framesWrite)
	r.settleAccess(t, r.clients(t, "camera"), stream.ProducerAccess(topo), &framesWrite)
	var log lockedBuffer
	code := dispatch(context.Background(), append(r.connArgs("produce", "camera"), "--count", "1"), &log, &log)
	if text := log.String(); code != 1 || !strings.Contains(text, "principal User:camera lacks Write on topic acl.frames") {
		t.Errorf("produce without Write on frames: exit %d:\n%s", code, text)
	}

	// The reader: consume of a topic it may not read, and state without Read on the table, exit
	// at start naming the grant; with the grant README lists for state, it prints the camera.
	log = lockedBuffer{}
	code = dispatch(context.Background(), append(r.connArgs("consume", "reader"), "--n", "1", string(topo.Frames)), &log, &log)
	if text := log.String(); code != 1 || !strings.Contains(text, "principal User:reader lacks Read on topic acl.frames") || !strings.Contains(text, "kafka-acls") {
		t.Errorf("consume of frames without Read: exit %d:\n%s", code, text)
	}
	stateArgs := append(r.connArgs("state", "reader"), cam.ID)
	log = lockedBuffer{}
	code = dispatch(context.Background(), stateArgs, &log, &log)
	if text := log.String(); code != 1 || !strings.Contains(text, "principal User:reader lacks Read on topic acl.landmarks-table") {
		t.Errorf("state without Read on the landmarks table: exit %d:\n%s", code, text)
	}
	r.grant(t, "User:reader", bindings(stream.StateAccess(topo))...)
	r.settleAccess(t, r.clients(t, "reader"), stream.StateAccess(topo), nil)
	var stateOut, stateErr lockedBuffer
	code = dispatch(context.Background(), stateArgs, &stateOut, &stateErr)
	if code != 0 || !strings.Contains(stateOut.String(), `"camera":"acl-cam-1"`) {
		t.Errorf("state with Read on the landmarks table: exit %d: %s %s", code, stateOut.String(), stateErr.String())
	}

	// The gateway with what README lists is ready (its view of the table read, the outputs
	// followed); without Read on the table, serve exits at start naming it.
	serveArgs := append(r.connArgs("serve", "gateway"), "--model", "none", "--addr", freeAddr(t))
	gw := startACLRun(serveArgs)
	runs = append(runs, gw)
	gw.waitReady(t, serveArgs[len(serveArgs)-1], time.Minute)
	gw.stop(t)
	tableRead := aclBinding{sarama.AclResourceTopic, string(goka.GroupTable(topo.Landmarks)), kafka.Read}
	r.revoke(t, "User:gateway", tableRead)
	r.settleAccess(t, r.clients(t, "gateway"), stream.GatewayAccess(topo), &tableRead)
	log = lockedBuffer{}
	code = dispatch(context.Background(), serveArgs, &log, &log)
	if text := log.String(); code != 1 || !strings.Contains(text, "principal User:gateway lacks Read on topic acl.landmarks-table") {
		t.Errorf("serve without Read on the landmarks table: exit %d:\n%s", code, text)
	}
}
