package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// Foreign producers against the real broker and registry: cameras that write their frames with
// Kafka's Java client or Confluent's Python client, each at its default partitioner. A camera's
// state must live on one partition, its murmur2 one, and survive a processor restart whoever
// wrote its frames: re-sent frames are duplicates, the counters go on.

// foreignAck is one record a foreign producer had acknowledged.
type foreignAck struct {
	key       string
	partition int32
	offset    int64
}

// TestRealKafkaJavaProducer: Kafka's own Java producer places keys with murmur2, as holostream
// does: every frame is processed where it lands, nothing is forwarded.
func TestRealKafkaJavaProducer(t *testing.T) {
	brokers, registryURL := realCluster(t)
	java, err := exec.LookPath("java")
	lib := filepath.Join(depsRoot(), "kafka", "lib")
	if jars, _ := filepath.Glob(filepath.Join(lib, "kafka-clients-*.jar")); err != nil || len(jars) == 0 {
		t.Fatalf("no java (%v) or no kafka-clients jar in %s: scripts/integration.sh fetches it (scripts/kafka/fetch.sh)", err, lib)
	}
	send := func(t *testing.T, topo stream.Topology, w *stream.Wire, frames []schemas.Frame) []foreignAck {
		t.Helper()
		var in bytes.Buffer
		for _, f := range frames {
			v, err := w.Frames.Encode(f) // the registry's wire format, as a Java Avro serializer writes it
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&in, "%s %s\n", f.CameraID, base64.StdEncoding.EncodeToString(v))
		}
		return runForeign(t, java, []string{"-cp", filepath.Join(lib, "*"), "testdata/foreign/Producer.java", strings.Join(brokers, ","), string(topo.Frames)}, &in)
	}
	testForeignProducer(t, brokers, registryURL, "java", []string{"java-cam-1", "java-cam-2", "java-cam-3", "java-cam-4"},
		func(key string, n int32) int32 { return kafka.Murmur2.Partition([]byte(key), n) }, send)
}

// TestRealKafkaPythonProducer: confluent-kafka places keys by CRC32 (librdkafka's
// consistent_random), so most cameras land on another partition than their murmur2 one; their
// frames are forwarded through the repartition topic and processed there.
func TestRealKafkaPythonProducer(t *testing.T) {
	brokers, registryURL := realCluster(t)
	python := os.Getenv("HOLOSTREAM_TEST_PYTHON")
	if python == "" {
		t.Fatal("HOLOSTREAM_TEST_PYTHON not set: scripts/integration.sh sets it to the venv that scripts/pyclients.sh makes (confluent-kafka from PyPI)")
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("HOLOSTREAM_TEST_PYTHON: %v (scripts/pyclients.sh makes it)", err)
	}
	send := func(t *testing.T, topo stream.Topology, w *stream.Wire, frames []schemas.Frame) []foreignAck {
		t.Helper()
		var in bytes.Buffer
		enc := json.NewEncoder(&in)
		for _, f := range frames {
			if err := enc.Encode(map[string]any{"camera_id": f.CameraID, "user_id": f.UserID, "seq": f.Seq,
				"captured_at_us": f.CapturedAt.UnixMicro(), "content_type": f.ContentType, "width": f.Width, "height": f.Height,
				"image_b64": base64.StdEncoding.EncodeToString(f.Image)}); err != nil {
				t.Fatal(err)
			}
		}
		return runForeign(t, python, []string{"testdata/foreign/producer.py", strings.Join(brokers, ","), registryURL,
			string(topo.Frames), "schemas/Frame.avsc"}, &in)
	}
	testForeignProducer(t, brokers, registryURL, "python", []string{"py-cam-1", "py-cam-2", "py-cam-3", "py-cam-4"},
		func(key string, n int32) int32 { return int32(crc32.ChecksumIEEE([]byte(key)) % uint32(n)) }, send)
}

// testForeignProducer sends 5 frames of each camera through send (whose producer places keys as
// placed says), checks that keypoint events come out, restarts the processor, sends the same
// frames again and checks that they are counted as duplicates on the camera's one table row.
func testForeignProducer(t *testing.T, brokers []string, registryURL, name string, cams []string,
	placed func(key string, n int32) int32, send func(*testing.T, stream.Topology, *stream.Wire, []schemas.Frame) []foreignAck) {
	t.Helper()
	const partitions, perCamera = 4, 5
	topo := stream.NewTopology(uniquePrefix("foreign-" + name))
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "it-foreign-" + name, Partitions: partitions, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	w, lm, _ := pipelineParts(t, topo, registryURL)
	frames := foreignFrames(t, cams, perCamera)
	forwarded := map[string]bool{}
	for _, c := range cams {
		forwarded[c] = placed(c, partitions) != kafka.Murmur2.Partition([]byte(c), partitions)
	}
	t.Logf("%s: cameras placed off their murmur2 partition: %v", name, forwarded)

	in := startInstance(t, topo, clients, w, lm)
	defer func() { in.stop(t) }()
	checkAcks(t, send(t, topo, w, frames), frames, placed, partitions)
	for i, s := range waitAccounted(t, topo, clients, cams, perCamera) {
		if c := s.Counters; c.Received != perCamera || c.Emitted != perCamera || !c.Balanced() {
			t.Errorf("%s after the first send: counters %+v, want %d received and emitted", cams[i], c, perCamera)
		}
	}
	seen := map[string]bool{}
	collectGroup(t, brokers, string(topo.Keypoints)+"-reader", []string{string(topo.Keypoints)}, 2*time.Minute, func(_ string, v []byte) bool {
		ev, err := w.Keypoints.Decode(v)
		if err != nil {
			t.Errorf("keypoint event: %v", err)
			return false
		}
		seen[fmt.Sprintf("%s/%d", ev.CameraID, ev.Seq)] = true
		return len(seen) == len(frames)
	})

	// A new processor reads the cameras' state from the table: the same frames again are
	// duplicates of the ones it holds, not the first frames of new cameras.
	in.stop(t)
	in = startInstance(t, topo, clients, w, lm)
	checkAcks(t, send(t, topo, w, frames), frames, placed, partitions)
	for i, s := range waitAccounted(t, topo, clients, cams, 2*perCamera) {
		c := s.Counters
		if c.Received != 2*perCamera || c.Emitted != perCamera || c.Duplicate != perCamera || !c.Balanced() || s.LastSeq != perCamera {
			t.Errorf("%s after the restart and the same frames again: counters %+v, last seq %d; want %d received, %d emitted, %d duplicates",
				cams[i], c, s.LastSeq, 2*perCamera, perCamera, perCamera)
		}
	}

	// One table row per camera, on its murmur2 partition; the forwards went there too.
	table := readTopic(t, brokers, string(goka.GroupTable(topo.Landmarks)))
	rep := readTopic(t, brokers, string(topo.Repartition))
	for _, c := range cams {
		want := kafka.Murmur2.Partition([]byte(c), partitions)
		if ps := table[c]; len(ps) != 1 || ps[want] == 0 {
			t.Errorf("%s: table records on partitions %v, want all on its murmur2 partition %d", c, ps, want)
		}
		n := rep[c][want]
		switch {
		case len(rep[c]) > 1:
			t.Errorf("%s: forwarded to partitions %v, want only %d", c, rep[c], want)
		case forwarded[c] && n != 2*perCamera:
			t.Errorf("%s: %d frames forwarded, want %d (both sends)", c, n, 2*perCamera)
		case !forwarded[c] && n != 0:
			t.Errorf("%s: on its murmur2 partition, yet %d frames forwarded", c, n)
		}
	}
	t.Logf("%s: %d cameras x %d frames, twice across a restart: keypoints for all, the second time all duplicates; forwarded: %v",
		name, len(cams), perCamera, forwarded)
}

// foreignFrames are n frames of each camera, the repository's photos of people in turn (JPEG,
// PNG, WebP, and raw BGR24 pixels with their width and height), captured 100 ms apart.
func foreignFrames(t *testing.T, cams []string, n int) []schemas.Frame {
	t.Helper()
	type photo struct {
		path, contentType string
		raw               bool // sent as raw BGR24 pixels, as OpenCV's frame.tobytes()
	}
	photos := []photo{{"images/messi5.jpg", "image/jpeg", false}, {"images/basketball1.png", "image/png", false},
		{"images/basketball2.png", "image/png", false}, {"webp/messi5.q90.webp", "image/webp", false},
		{"images/basketball1.png", pixels.RawBGR24.ContentType(), true}}
	images := make([][]byte, len(photos))
	sizes := make([][2]int32, len(photos))
	for i, p := range photos {
		b, err := os.ReadFile(filepath.Join("testdata", p.path))
		if err != nil {
			t.Fatal(err)
		}
		images[i] = b
		if p.raw {
			img, _, err := pixels.DecodeImage(b, 0)
			if err != nil {
				t.Fatal(err)
			}
			if images[i], err = pixels.EncodeRaw(img, pixels.RawBGR24); err != nil {
				t.Fatal(err)
			}
			sizes[i] = [2]int32{int32(img.Width), int32(img.Height)}
		}
	}
	start := time.Now().UTC().Truncate(time.Microsecond)
	var out []schemas.Frame
	for seq := 1; seq <= n; seq++ {
		for i, c := range cams {
			p := (seq + i) % len(photos)
			out = append(out, schemas.Frame{CameraID: c, UserID: "user-" + c, Seq: int64(seq),
				CapturedAt: start.Add(time.Duration(seq) * 100 * time.Millisecond), ContentType: photos[p].contentType,
				Width: sizes[p][0], Height: sizes[p][1], Image: images[p]})
		}
	}
	return out
}

// runForeign runs a foreign producer (bin args...) with stdin and returns the acknowledgements
// it prints.
func runForeign(t *testing.T, bin string, args []string, stdin *bytes.Buffer) []foreignAck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Stdin = stdin
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	var acks []foreignAck
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "ack" {
			continue // the client's own logging
		}
		p, err1 := strconv.ParseInt(f[2], 10, 32)
		o, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("producer printed %q", sc.Text())
		}
		acks = append(acks, foreignAck{key: f[1], partition: int32(p), offset: o})
	}
	return acks
}

// checkAcks: every frame was acknowledged, on the partition its producer's default partitioner
// picks (so the test does exercise that producer's placement).
func checkAcks(t *testing.T, acks []foreignAck, frames []schemas.Frame, placed func(string, int32) int32, n int32) {
	t.Helper()
	if len(acks) != len(frames) {
		t.Fatalf("%d of %d frames acknowledged", len(acks), len(frames))
	}
	for _, a := range acks {
		if want := placed(a.key, n); a.partition != want {
			t.Errorf("%s acknowledged on partition %d; its producer's default partitioner picks %d", a.key, a.partition, want)
		}
	}
}

// readTopic reads every record of topic, oldest to newest, and counts them by key and partition.
func readTopic(t *testing.T, brokers []string, topic string) map[string]map[int32]int {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatalf("%s: %v", topic, err)
	}
	out := map[string]map[int32]int{}
	for _, p := range parts {
		newest, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		oldest, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		if newest <= oldest {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, oldest)
		if err != nil {
			t.Fatal(err)
		}
		for next := oldest; next < newest; {
			select {
			case m := <-pc.Messages():
				if out[string(m.Key)] == nil {
					out[string(m.Key)] = map[int32]int{}
				}
				out[string(m.Key)][p]++
				next = m.Offset + 1
			case <-time.After(30 * time.Second):
				pc.Close()
				t.Fatalf("%s/%d: nothing read at offset %d of %d within 30s", topic, p, next, newest)
			}
		}
		pc.Close()
	}
	return out
}

// depsRoot is the repository's .deps, or $HOLOSTREAM_DEPS.
func depsRoot() string {
	if d := os.Getenv("HOLOSTREAM_DEPS"); d != "" {
		return d
	}
	return ".deps"
}
