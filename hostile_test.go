package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// The hostile-record suite: records that once stopped the pipeline or vanished from its account,
// sent by a plain producer while a control camera streams. The control camera's keypoints keep
// flowing, every hostile record is accounted for, and the processors never stop. It runs on the
// embedded cluster here and on Apache Kafka in TestRealKafkaHostileRecords.

func TestHostileRecords(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() }) // after the processors stop: cleanups run last-in first-out
	testHostileRecords(t, cluster.Brokers(), cluster.RegistryURL(), stream.NewTopology("hostile."))
}

func TestUnwritableDeadLetterIsSkipped(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() }) // after the processors stop: cleanups run last-in first-out
	testUnwritableDeadLetter(t, cluster.Brokers(), cluster.RegistryURL(), stream.NewTopology("unwritable."))
}

func TestRealKafkaHostileRecords(t *testing.T) {
	brokers, registry := realCluster(t)
	testHostileRecords(t, brokers, registry, stream.NewTopology(uniquePrefix("hostile")))
}

func TestRealKafkaUnwritableDeadLetterIsSkipped(t *testing.T) {
	brokers, registry := realCluster(t)
	testUnwritableDeadLetter(t, brokers, registry, stream.NewTopology(uniquePrefix("unwritable")))
}

// hostileImageBytes is the suite's --max-image-bytes: small, so records at the limits stay small.
const hostileImageBytes = 256 << 10

// hostileRig is a pipeline under test with what the suite sends and reads.
type hostileRig struct {
	topo    stream.Topology
	clients *kafka.Clients
	w       *stream.Wire
	raw     sarama.SyncProducer
	reg     *prometheus.Registry
	photo   []byte // a real JPEG of people
	*instance
}

// newHostileRig creates the topics that the test's admin makes (before holostream starts:
// existing topics are left as they are), starts one instance of the processors, and a plain
// producer whose own size limit is far above every topic's, so the brokers' limits are what
// is tested.
func newHostileRig(t *testing.T, brokers []string, registryURL string, topo stream.Topology, precreate map[string]int) *hostileRig {
	t.Helper()
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "hostile-test", Partitions: 3, MaxImageBytes: hostileImageBytes})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdmin(brokers, clients.Sarama)
	if err != nil {
		t.Fatal(err)
	}
	for topic, maxBytes := range precreate {
		limit := strconv.Itoa(maxBytes)
		err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
			ConfigEntries: map[string]*string{"max.message.bytes": &limit}}, false)
		if err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
	}
	admin.Close()
	w, lm, src := pipelineParts(t, topo, registryURL)
	rig := &hostileRig{topo: topo, clients: clients, w: w, reg: prometheus.NewRegistry(), photo: src[0].Data}
	cfg := stream.Config{Topology: topo, Landmarker: lm, MaxImageBytes: hostileImageBytes, MaxMegapixels: 50,
		MaxAge: time.Minute, Window: time.Second, Grace: 100 * time.Millisecond, Log: quietLog()}
	rig.instance = runInstance(t, cfg, clients, w, rig.reg)
	pc := *clients.Sarama
	pc.Producer.Return.Successes = true
	pc.Producer.MaxMessageBytes = 8 << 20
	pc.Producer.Retry.Max = 0
	// A foreign producer that puts every keyed record on the partition after its camera's
	// (send chooses), so hostile records take the repartition path too.
	pc.Producer.Partitioner = sarama.NewManualPartitioner
	if rig.raw, err = sarama.NewSyncProducer(brokers, &pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rig.raw.Close()
		rig.stop(t)
	})
	return rig
}

// send writes one record as any producer could: key nil for no key, value nil for a tombstone.
func (r *hostileRig) send(t *testing.T, key, value []byte) error {
	t.Helper()
	msg := &sarama.ProducerMessage{Topic: string(r.topo.Frames)}
	if key != nil {
		msg.Key = sarama.ByteEncoder(key)
		msg.Partition = (kafka.Murmur2.Partition(key, 3) + 1) % 3
	}
	if value != nil {
		msg.Value = sarama.ByteEncoder(value)
	}
	_, _, err := r.raw.SendMessage(msg)
	return err
}

// frame encodes a Frame as the frames topic carries it.
func (r *hostileRig) frame(t *testing.T, cam string, seq int64, at time.Time, img []byte) []byte {
	t.Helper()
	b, err := r.w.Frames.Encode(schemas.Frame{CameraID: cam, UserID: cam, Seq: seq, CapturedAt: at, ContentType: "image/jpeg", Image: img})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// control streams frames of a camera at 10 fps in the background; wait returns the count sent.
func (r *hostileRig) control(ctx context.Context, t *testing.T, cam string, frames int) (wait func() int64) {
	t.Helper()
	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n, err = stream.Produce(ctx, r.clients, r.topo, r.w, src, []camera.Camera{{ID: cam, User: cam, FPS: 10}}, frames)
	}()
	return func() int64 {
		wg.Wait()
		if err != nil {
			t.Errorf("control camera: %v", err)
		}
		return n
	}
}

// deadLetters reads the dead-letter topic until want records have come or a minute passed.
func (r *hostileRig) deadLetters(t *testing.T, want int) []schemas.DeadLetter {
	t.Helper()
	var out []schemas.DeadLetter
	collectGroup(t, r.clients.Config.Brokers, string(r.topo.DLQ)+"-reader", []string{string(r.topo.DLQ)}, time.Minute, func(_ string, v []byte) bool {
		d, err := r.w.DLQ.Decode(v)
		if err != nil {
			t.Errorf("dead letter: %v", err)
		}
		out = append(out, d)
		return len(out) >= want
	})
	return out
}

// noise is n random bytes: no compression brings them under a size limit.
func noise(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// paddedJPEG is img grown to exactly size bytes with comment segments of random bytes after its
// SOI marker: a valid JPEG of the same picture.
func paddedJPEG(t *testing.T, img []byte, size int) []byte {
	t.Helper()
	if len(img) < 2 || img[0] != 0xFF || img[1] != 0xD8 || size < len(img) {
		t.Fatalf("cannot pad a %d-byte image to %d", len(img), size)
	}
	out := append([]byte{}, img[:2]...)
	for pad := size - len(img); pad > 0; {
		n := min(pad, 65535+2) // a segment: marker (2) + length (2, counts itself) + data
		if n < 4 {
			// Too small for a segment of its own: take it from the previous one's size.
			t.Fatalf("padding %d: choose another size", n)
		}
		if pad-n > 0 && pad-n < 4 {
			n -= 4
		}
		seg := noise(t, n) // compression must not shrink the record under a limit
		seg[0], seg[1] = 0xFF, 0xFE
		seg[2], seg[3] = byte((n-2)>>8), byte(n-2)
		out = append(out, seg...)
		pad -= n
	}
	return append(out, img[2:]...)
}

// rawFrame encodes a Frame of raw pixels.
func (r *hostileRig) rawFrame(t *testing.T, cam string, seq int64, at time.Time, contentType string, w, h int32, pix []byte) []byte {
	t.Helper()
	b, err := r.w.Frames.Encode(schemas.Frame{CameraID: cam, UserID: cam, Seq: seq, CapturedAt: at,
		ContentType: contentType, Width: w, Height: h, Image: pix})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// halfBGR is the photo at half size (every other pixel of every other row) as raw BGR24, small
// enough for the suite's --max-image-bytes.
func halfBGR(t *testing.T, photo []byte) (pix []byte, w, h int32) {
	t.Helper()
	img, _, err := pixels.DecodeImage(photo, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, h = int32(img.Width/2), int32(img.Height/2)
	for y := 0; y < int(h); y++ {
		for x := 0; x < int(w); x++ {
			p := img.Pix[3*(2*y*img.Width+2*x):]
			pix = append(pix, p[2], p[1], p[0])
		}
	}
	return pix, w, h
}

func testHostileRecords(t *testing.T, brokers []string, registryURL string, topo stream.Topology) {
	// The admin made the frames topic take records of up to 1 MiB, more than holostream's own
	// record limit: a dead letter of such a record must be cut to fit.
	rig := newHostileRig(t, brokers, registryURL, topo, map[string]int{string(topo.Frames): 1 << 20})
	limit := rig.clients.Config.MaxRecordBytes()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waitControl := rig.control(ctx, t, "cam-control", 40)

	const cam = "cam-hostile"
	key := []byte(cam)
	now := time.Now().UTC().Truncate(time.Microsecond)
	at := func(i int) time.Time { return now.Add(time.Duration(i) * 100 * time.Millisecond) }
	garbage := bytes.Repeat([]byte("not a frame "), 600<<10/12) // 600 KiB, over holostream's record limit
	atLimit := paddedJPEG(t, rig.photo, hostileImageBytes)
	bgr, bw, bh := halfBGR(t, rig.photo)
	bgrType := pixels.RawBGR24.ContentType()
	nv12Size, err := pixels.RawLayout{Format: pixels.RawNV12, Width: int(bw), Height: int(bh)}.RawSize(0)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		key, value []byte
	}{
		{"seq 1", key, rig.frame(t, cam, 1, at(1), rig.photo)},
		{"tombstone", key, nil},
		{"no key", nil, rig.frame(t, cam, 2, at(2), rig.photo)},
		{"600 KiB of garbage", key, garbage},
		{"a few bytes of garbage", key, []byte("not a frame")},
		{"image at the limit", key, rig.frame(t, cam, 2, at(2), atLimit)},
		{"image one byte over", key, rig.frame(t, cam, 3, at(3), append(atLimit[:len(atLimit):len(atLimit)], 0))},
		{"negative seq", key, rig.frame(t, cam, -1, at(4), rig.photo)},
		{"seq two million ahead", key, rig.frame(t, cam, 2_000_003, at(4), rig.photo)},
		{"captured in 9999", key, rig.frame(t, cam, 4, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), rig.photo)},
		{"captured in 1970", key, rig.frame(t, cam, 4, time.Unix(0, 0), rig.photo)},
		{"seq 4", key, rig.frame(t, cam, 4, at(4), rig.photo)},
		{"seq 2 sent again", key, rig.frame(t, cam, 2, at(2), atLimit)},
		{"producer restarts at seq 1", key, rig.frame(t, cam, 1, at(10), rig.photo)},
		{"seq 2 after the restart", key, rig.frame(t, cam, 2, at(11), rig.photo)},
		// A new camera whose first frame claims the last seq there is: the camera is not dead,
		// its next frames (captured later) start a new count.
		{"poison: seq MaxInt64", []byte("cam-poisoned"), rig.frame(t, "cam-poisoned", math.MaxInt64, at(1), rig.photo)},
		{"poisoned camera's seq 1", []byte("cam-poisoned"), rig.frame(t, "cam-poisoned", 1, at(2), rig.photo)},
		{"poisoned camera's seq 2", []byte("cam-poisoned"), rig.frame(t, "cam-poisoned", 2, at(3), rig.photo)},
		// Raw pixels: a good BGR24 and NV12 frame, and three that do not match their layout.
		{"raw bgr24", []byte("cam-raw"), rig.rawFrame(t, "cam-raw", 1, at(1), bgrType, bw, bh, bgr)},
		{"raw short buffer", []byte("cam-raw"), rig.rawFrame(t, "cam-raw", 2, at(2), bgrType, bw, bh, bgr[:len(bgr)-3])},
		{"raw huge declared size", []byte("cam-raw"), rig.rawFrame(t, "cam-raw", 3, at(3), "video/x-raw; format=RGBA", 1<<30, 1<<30, bgr[:64])},
		{"raw unknown layout", []byte("cam-raw"), rig.rawFrame(t, "cam-raw", 4, at(4), "video/x-raw; format=YUY2", bw, bh, bgr)},
		{"raw nv12", []byte("cam-raw"), rig.rawFrame(t, "cam-raw", 5, at(5), "video/x-raw; format=NV12", bw, bh, bgr[:nv12Size])},
	}
	for _, s := range steps {
		if err := rig.send(t, s.key, s.value); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	// A record over the frames topic's own limit never arrives: the broker refuses it.
	if err := rig.send(t, key, noise(t, 1<<20+4096)); !errors.Is(err, sarama.ErrMessageSizeTooLarge) {
		t.Errorf("a record over the topic's max.message.bytes: %v, want MESSAGE_TOO_LARGE", err)
	}

	dls := rig.deadLetters(t, 12)
	codes := map[string]int{}
	for _, d := range dls {
		t.Logf("dead letter %s: %s (%d of %d bytes)", d.Code, d.Reason, len(d.Original), d.OriginalSize)
		codes[d.Code]++
		if d.OriginalSize >= 0 {
			sum := sha256.Sum256(d.Original)
			if int64(len(d.Original)) == d.OriginalSize && hex.EncodeToString(sum[:]) != d.OriginalSHA256 {
				t.Errorf("%s: sha256 does not match the original", d.Code)
			}
		}
		if d.OriginalSize == int64(len(garbage)) {
			// Read on the partition after its camera's, it could not be forwarded whole: the
			// forward carried its first bytes, and the dead letter says it was too large.
			if d.Code != landmarks.CodeTooLarge || len(d.Original) >= limit || !bytes.HasPrefix(garbage, d.Original) || len(d.Original) < limit/2 {
				t.Errorf("the 600 KiB record's dead letter (%s) keeps %d bytes of %d (limit %d): want TOO_LARGE and a prefix that fits", d.Code, len(d.Original), d.OriginalSize, limit)
			}
			sum := sha256.Sum256(garbage)
			if d.OriginalSHA256 != hex.EncodeToString(sum[:]) {
				t.Error("the cut dead letter's sha256 is not the whole original's")
			}
		}
	}
	want := map[string]int{landmarks.CodeNullValue: 1, landmarks.CodeNoKey: 1, landmarks.CodeBadEnvelope: 1,
		landmarks.CodeTooLarge: 3, landmarks.CodeBadSeq: 2, landmarks.CodeBadTime: 2,
		landmarks.CodeBadRaw: 1, landmarks.CodeRawFormat: 1}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("dead letters by code %v, want %v", codes, want)
	}

	sent := waitControl()
	waitAccounted(t, topo, rig.clients, []string{cam}, 14)
	waitAccounted(t, topo, rig.clients, []string{"cam-poisoned"}, 3)
	waitAccounted(t, topo, rig.clients, []string{"cam-raw"}, 5)
	waitAccounted(t, topo, rig.clients, []string{"cam-control"}, sent)
	states, err := stream.CameraStates(context.Background(), rig.clients, topo, []string{cam, "cam-control", "cam-poisoned", "cam-raw"})
	if err != nil {
		t.Fatal(err)
	}
	h, c, p := states[0].Counters, states[1].Counters, states[2].Counters
	if p.Received != 3 || p.Emitted != 3 || p.Restarts != 1 || states[2].LastSeq != 2 {
		t.Errorf("poisoned camera: %+v, last seq %d: want its frames after the poison emitted", p, states[2].LastSeq)
	}
	if r := states[3].Counters; r.Received != 5 || r.Emitted != 2 || r.DeadLettered != 3 || !r.Balanced() {
		t.Errorf("raw camera: %+v, want the BGR24 and NV12 frames emitted, 3 dead-lettered", r)
	}
	wantH := schemas.CameraCounters{Received: 14, Emitted: 5, DeadLettered: 8, Duplicate: 1, Detected: h.Detected, Restarts: 1}
	if h != wantH || !h.Balanced() || h.Detected < 4 {
		t.Errorf("hostile camera: %+v, want %+v with a person in at least 4 of 5", h, wantH)
	}
	if c.Received != sent || c.Emitted != sent || !c.Balanced() {
		t.Errorf("control camera: %+v, want all %d frames emitted", c, sent)
	}
	rig.running(t)
	t.Logf("hostile camera %+v; control camera %d of %d emitted; dead letters %v", h, c.Emitted, sent, codes)
}

func testUnwritableDeadLetter(t *testing.T, brokers []string, registryURL string, topo stream.Topology) {
	// The admin made the dead-letter topic with a 64 KiB limit: the dead letter of a 100 KiB
	// record can never be written. It costs that dead letter, not the stream.
	rig := newHostileRig(t, brokers, registryURL, topo, map[string]int{string(topo.DLQ): 64 << 10})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waitControl := rig.control(ctx, t, "cam-control", 30)
	now := time.Now().UTC()
	for i, v := range [][]byte{noise(t, 100<<10), rig.frame(t, "cam-big", 1, now, rig.photo)} {
		if err := rig.send(t, []byte("cam-big"), v); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	sent := waitControl()
	states := waitAccounted(t, topo, rig.clients, []string{"cam-big"}, 2)
	waitAccounted(t, topo, rig.clients, []string{"cam-control"}, sent)
	if c := states[0].Counters; c.Received != 2 || c.DeadLettered != 1 || c.Emitted != 1 {
		t.Errorf("cam-big: %+v, want the bad record dead-lettered (in the account) and the next frame emitted", c)
	}
	if failed := rig.writeFailures(t, string(topo.DLQ), kafka.FailTooLarge); failed != 1 {
		t.Errorf("holostream_kafka_writes_failed_total{topic=%q,code=RECORD_TOO_LARGE} = %v, want 1", topo.DLQ, failed)
	}
	rig.running(t)
}

// writeFailures reads holostream_kafka_writes_failed_total{topic, code} from the rig's registry.
func (r *hostileRig) writeFailures(t *testing.T, topic, code string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "holostream_kafka_writes_failed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["topic"] == topic && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestServeFramesAtTheSizeLimits: a valid 3 MB photo travels through POST /v1/frames (the
// topics holostream creates take frames up to --max-image-bytes); a frames topic an admin made
// with Kafka's default 1 MiB limit answers 413 saying what to change, not 502 "retry"; an image
// over --max-image-bytes is 413 before it reaches Kafka.
func TestServeFramesAtTheSizeLimits(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Close() })
	small := stream.NewTopology("small.")
	admin, err := sarama.NewClusterAdmin(cluster.Brokers(), sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	mib := strconv.Itoa(1 << 20)
	if err := admin.CreateTopic(string(small.Frames), &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"max.message.bytes": &mib}}, false); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, err := defaultFootage()
	if err != nil {
		t.Fatal(err)
	}
	big := paddedJPEG(t, src[0].Data, 3_000_000)
	over := paddedJPEG(t, src[0].Data, kafka.DefaultMaxImageBytes+1)
	for _, tc := range []struct {
		prefix string
		body   []byte
		status int
		say    string
	}{
		{"big.", big, http.StatusAccepted, ""},
		{"small.", big, http.StatusRequestEntityTooLarge, "max.message.bytes"},
		{"big.", over, http.StatusRequestEntityTooLarge, "--max-image-bytes"},
	} {
		addr := freeAddr(t)
		stop := background(t, ctx, time.Minute, "serve", "--brokers", strings.Join(cluster.Brokers(), ","), "--schema-registry", cluster.RegistryURL(),
			"--prefix", tc.prefix, "--partitions", "2", "--addr", addr, "--model", "none")
		waitHTTP(t, "http://"+addr+"/readyz", time.Minute)
		resp, err := http.Post("http://"+addr+"/v1/frames?camera=cam-big&seq=1", "image/jpeg", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.say) {
			t.Errorf("%s, %d bytes: %d %s, want %d saying %q", tc.prefix, len(tc.body), resp.StatusCode, body, tc.status, tc.say)
		}
		stop()
	}
}
