package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/linkedin/goavro/v2"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// Integration tests against a real Apache Kafka broker and a real Schema Registry (Apicurio
// Registry, Confluent-compatible API). `make test` starts both (scripts/integration.sh) and sets
// HOLOSTREAM_TEST_BROKERS and HOLOSTREAM_TEST_REGISTRY; without them these tests skip, saying so.
// Each test uses its own topic prefix, so they share the broker without seeing each other.

func realCluster(t *testing.T) (brokers []string, registryURL string) {
	t.Helper()
	b, r := os.Getenv("HOLOSTREAM_TEST_BROKERS"), os.Getenv("HOLOSTREAM_TEST_REGISTRY")
	if b == "" || r == "" {
		t.Skip("no real Kafka and registry: `make test` starts them (scripts/integration.sh)")
	}
	return strings.Split(b, ","), r
}

func uniquePrefix(name string) string {
	return fmt.Sprintf("it-%s-%d.", strings.ToLower(name), time.Now().UnixNano()%1e9)
}

// collectGroup reads topics with a plain consumer group (what a downstream service would run)
// until done says it has enough or the timeout passes.
func collectGroup(t *testing.T, brokers []string, group string, topics []string, timeout time.Duration, done func(topic string, value []byte) bool) {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V3_6_0_0
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cg, err := sarama.NewConsumerGroup(brokers, group, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h := &groupHandler{done: done, cancel: cancel}
	for ctx.Err() == nil {
		if err := cg.Consume(ctx, topics, h); err != nil && ctx.Err() == nil {
			t.Fatalf("consumer group: %v", err)
		}
	}
	if !h.finished {
		t.Fatalf("consumer group %s: not everything arrived within %v", group, timeout)
	}
}

type groupHandler struct {
	mu       sync.Mutex
	done     func(topic string, value []byte) bool
	cancel   context.CancelFunc
	finished bool
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		if !h.finished && h.done(m.Topic, m.Value) {
			h.finished = true
			h.cancel()
		}
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

// TestRealKafkaEndToEnd: frames produced as registry-framed Avro through the real broker come out
// as keypoints, dead letters, actions and window stats, read by a plain consumer group whose
// codecs resolve every writer schema from the registry by id.
func TestRealKafkaEndToEnd(t *testing.T) {
	brokers, registryURL := realCluster(t)
	topo := stream.NewTopology(uniquePrefix("e2e"))
	clients, err := kafka.New(kafka.Config{Brokers: brokers, ClientID: "it-e2e", Partitions: 3, Version: "4.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w, lm, src := pipelineParts(t, topo, registryURL)
	in := startInstance(t, topo, clients, w, lm)
	defer in.stop(t)

	// 20 frames, the 10th and 20th truncated: 18 keypoint events and 2 dead letters.
	cam := camera.Camera{ID: "door-1", User: "alice", Now: steppingClock(time.Now())}
	if n, err := stream.Produce(ctx, clients, topo, w, corruptEvery(src[:20], 10), []camera.Camera{cam}, 20); err != nil || n != 20 {
		t.Fatalf("produced %d: %v", n, err)
	}

	// The reader's codecs are new: every schema id in the messages is looked up in the registry.
	reg, err := codecs.NewRegistry(registryURL)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := codecs.NewAvro(ctx, string(topo.Keypoints), schemas.KeypointEventContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := codecs.NewAvro(ctx, string(topo.DLQ), schemas.DeadLetterContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	ac, err := codecs.NewAvro(ctx, string(topo.Actions), schemas.ActionEventContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := codecs.NewAvro(ctx, string(topo.Stats), schemas.PoseStatsContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[int64]bool{}
	var dead []schemas.DeadLetter
	var actions []schemas.ActionEvent
	var stats []schemas.PoseStats
	collectGroup(t, brokers, string(topo.Keypoints)+"-reader", []string{string(topo.Keypoints), string(topo.DLQ), string(topo.Actions), string(topo.Stats)},
		2*time.Minute, func(topic string, v []byte) bool {
			switch topic {
			case string(topo.Keypoints):
				ev, err := kp.Decode(v)
				if err != nil {
					t.Errorf("keypoint: %v", err)
					break
				}
				if ev.CameraID != "door-1" || ev.UserID != "alice" || ev.Pose == nil || len(ev.Pose.Landmarks) != 33 {
					t.Errorf("keypoint seq %d: %s/%s pose %v", ev.Seq, ev.CameraID, ev.UserID, ev.Pose != nil)
				}
				seqs[ev.Seq] = true
			case string(topo.DLQ):
				d, err := dl.Decode(v)
				if err != nil {
					t.Errorf("dead letter: %v", err)
					break
				}
				dead = append(dead, d)
			case string(topo.Actions):
				a, err := ac.Decode(v)
				if err != nil {
					t.Errorf("action: %v", err)
					break
				}
				actions = append(actions, a)
			case string(topo.Stats):
				s, err := st.Decode(v)
				if err != nil {
					t.Errorf("stats: %v", err)
					break
				}
				stats = append(stats, s)
			}
			return len(seqs) == 18 && len(dead) == 2 && len(actions) > 0 && len(stats) > 0
		})
	for _, d := range dead {
		if d.Code != "CORRUPT_IMAGE" || (d.Seq != 10 && d.Seq != 20) || len(d.Original) == 0 {
			t.Errorf("dead letter: seq %d code %s (%s), %d original bytes", d.Seq, d.Code, d.Reason, len(d.Original))
		}
	}
	if a := actions[0]; a.UserID != "alice" || a.Kind != schemas.ActionPostureChanged {
		t.Errorf("first action %+v: want alice's first posture", a)
	}
	if s := stats[0]; s.UserID != "alice" || s.Frames == 0 || !s.WindowEnd.After(s.WindowStart) {
		t.Errorf("first window %+v", s)
	}
	t.Logf("18 keypoint events, 2 dead letters, %d actions (first: %s %s), %d windows", len(actions), actions[0].Kind, actions[0].Posture, len(stats))
}

// TestRealRegistrySchemaEvolution: a v2 KeypointEvent with an added optional field is accepted as
// BACKWARD compatible and a v1 reader reads v2 data; an incompatible change is refused, and
// holostream says so at start.
func TestRealRegistrySchemaEvolution(t *testing.T) {
	_, registryURL := realCluster(t)
	ctx := context.Background()
	reg, err := codecs.NewRegistry(registryURL)
	if err != nil {
		t.Fatal(err)
	}
	topic := uniquePrefix("evolution") + "keypoints"
	v1, err := codecs.NewAvro(ctx, topic, schemas.KeypointEventContract(), reg)
	if err != nil {
		t.Fatal(err)
	}

	// v2: v1 plus an optional field, registered under the same subject.
	var doc map[string]any
	if err := json.Unmarshal([]byte(schemas.KeypointEventSchema().Text()), &doc); err != nil {
		t.Fatal(err)
	}
	doc["fields"] = append(doc["fields"].([]any), map[string]any{"name": "lens", "type": []any{"null", "string"}, "default": nil})
	v2text, _ := json.Marshal(doc)
	id2, err := reg.Register(ctx, codecs.Subject(topic), string(v2text))
	if err != nil {
		t.Fatalf("register v2 (an added optional field): %v", err)
	}
	if id2 == v1.ID() {
		t.Fatalf("v2 got v1's id %d", id2)
	}
	// A v2 writer: the v1 record plus the new field, Confluent-framed with v2's id.
	v2codec, err := goavro.NewCodec(string(v2text))
	if err != nil {
		t.Fatal(err)
	}
	ev := schemas.KeypointEvent{CameraID: "cam-9", UserID: "bob", Seq: 42, CapturedAt: time.UnixMicro(1_700_000_000_000_000).UTC(),
		ProcessedAt: time.UnixMicro(1_700_000_000_050_000).UTC(), Status: schemas.StatusNoPerson, Model: "pose-full", Width: 640, Height: 480}
	native := schemas.KeypointEventContract().ToNative(ev)
	native["lens"] = goavro.Union("string", "wide")
	body, err := v2codec.BinaryFromNative(nil, native)
	if err != nil {
		t.Fatal(err)
	}
	msg := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(id2)), body...)
	got, err := v1.Decode(msg)
	if err != nil {
		t.Fatalf("v1 reader on v2 data: %v", err)
	}
	if got.CameraID != ev.CameraID || got.Seq != ev.Seq || got.Status != ev.Status || !got.CapturedAt.Equal(ev.CapturedAt) {
		t.Errorf("v1 reader got %+v, want %+v", got, ev)
	}

	// v3 changes seq from long to string: BACKWARD refuses it.
	changed := false
	for _, f := range doc["fields"].([]any) {
		if f := f.(map[string]any); f["name"] == "seq" {
			f["type"], changed = "string", true
		}
	}
	if !changed {
		t.Fatal("test setup: no seq field in the schema")
	}
	v3bytes, _ := json.Marshal(doc)
	v3 := string(v3bytes)
	if _, err := reg.Register(ctx, codecs.Subject(topic), v3); !errors.Is(err, codecs.ErrIncompatible) {
		t.Errorf("incompatible v3: err = %v, want ErrIncompatible", err)
	}

	// A deployment whose registry holds an incompatible keypoints schema fails at start, naming it.
	prefix := uniquePrefix("clash")
	if _, err := reg.Register(ctx, codecs.Subject(prefix+"keypoints"), v3); err != nil {
		t.Fatalf("seed a clashing schema: %v", err)
	}
	_, err = stream.NewWire(ctx, stream.NewTopology(prefix), registryURL)
	if !errors.Is(err, codecs.ErrIncompatible) || !strings.Contains(err.Error(), prefix+"keypoints") {
		t.Errorf("start against an incompatible registry: err = %v, want ErrIncompatible naming the topic", err)
	}
	t.Logf("v1 id %d, v2 id %d; start refused with: %v", v1.ID(), id2, err)
}

// TestRealRegistryPeopleEvolution: the KeypointEvent schema with people is registered after the
// one before it (codecs/testdata/KeypointEvent-v1.avsc) under FULL compatibility, which the
// registry checks both ways (the new schema reads v1 data, v1 reads the new data); a v1 reader
// reads events with people, and the new reader reads v1 events.
func TestRealRegistryPeopleEvolution(t *testing.T) {
	_, registryURL := realCluster(t)
	ctx := context.Background()
	reg, err := codecs.NewRegistry(registryURL)
	if err != nil {
		t.Fatal(err)
	}
	v1text, err := os.ReadFile("codecs/testdata/KeypointEvent-v1.avsc")
	if err != nil {
		t.Fatal(err)
	}
	topic := uniquePrefix("people") + "keypoints"
	id1, err := reg.Register(ctx, codecs.Subject(topic), string(v1text))
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.SetCompatibility(ctx, codecs.Subject(topic), codecs.CompatFull); err != nil {
		t.Fatal(err)
	}
	cur := schemas.KeypointEventContract()
	if err := reg.CheckCompatibility(ctx, codecs.Subject(topic), cur.Schema.Text()); err != nil {
		t.Fatalf("FULL compatibility of the schema with people after v1: %v", err)
	}
	id2, err := reg.Register(ctx, codecs.Subject(topic), cur.Schema.Text())
	if err != nil || id2 == id1 {
		t.Fatalf("register the schema with people after v1: id %d (v1 %d), %v", id2, id1, err)
	}
	v1schema, err := schemas.Parse(string(v1text))
	if err != nil {
		t.Fatal(err)
	}
	// v1 as a holostream of that version: no people written, the field ignored when read.
	v1c := schemas.Contract[schemas.KeypointEvent]{Schema: v1schema,
		ToNative:   func(e schemas.KeypointEvent) map[string]any { m := cur.ToNative(e); delete(m, "people"); return m },
		FromNative: func(m map[string]any) (schemas.KeypointEvent, error) { delete(m, "people"); return cur.FromNative(m) }}
	fresh := func(c schemas.Contract[schemas.KeypointEvent]) *codecs.Avro[schemas.KeypointEvent] {
		r, err := codecs.NewRegistry(registryURL)
		if err != nil {
			t.Fatal(err)
		}
		a, err := codecs.NewAvro(ctx, topic, c, r)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	now, v1 := fresh(cur), fresh(v1c)
	lms := schemas.Landmarks{Pose: &schemas.Pose{Landmarks: make([]schemas.Landmark, 33), WorldLandmarks: make([]schemas.Point, 33)}}
	ev := schemas.KeypointEvent{CameraID: "cam-9", Seq: 1, CapturedAt: time.UnixMicro(1_700_000_000_000_000).UTC(),
		ProcessedAt: time.UnixMicro(1_700_000_000_050_000).UTC(), Status: schemas.StatusDetected, Model: "pose-full", Width: 640, Height: 480,
		Landmarks: lms, People: []schemas.Person{{ID: 0, Landmarks: lms}, {ID: 1, Landmarks: lms}, {ID: 2}}}
	old := ev
	old.People = nil
	data, err := now.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v1.Decode(data); err != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("v1 reading an event with people: %+v, %v", got, err)
	}
	if data, err = v1.Encode(ev); err != nil {
		t.Fatal(err)
	}
	if got, err := now.Decode(data); err != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("the new reader on a v1 event: %+v, %v", got, err)
	}
}

// TestRealKafkaFailover is TestFailoverKeepsTracking on the real broker: two instances, one stops,
// the other carries on tracking its cameras from the table.
func TestRealKafkaFailover(t *testing.T) {
	brokers, registryURL := realCluster(t)
	testFailover(t, brokers, registryURL, stream.NewTopology(uniquePrefix("failover")))
}
