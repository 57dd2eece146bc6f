package codecs_test

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// keypointsV1 is the KeypointEvent schema before people (testdata/KeypointEvent-v1.avsc, as
// released) and a contract that behaves as a holostream of that version: it writes no people and
// ignores the field when it reads (a tolerant reader ignores fields it does not know).
func keypointsV1(t testing.TB) schemas.Contract[schemas.KeypointEvent] {
	t.Helper()
	text, err := os.ReadFile("testdata/KeypointEvent-v1.avsc")
	if err != nil {
		t.Fatal(err)
	}
	s, err := schemas.Parse(string(text))
	if err != nil {
		t.Fatal(err)
	}
	cur := schemas.KeypointEventContract()
	return schemas.Contract[schemas.KeypointEvent]{Schema: s,
		ToNative: func(e schemas.KeypointEvent) map[string]any {
			m := cur.ToNative(e)
			delete(m, "people")
			return m
		},
		FromNative: func(m map[string]any) (schemas.KeypointEvent, error) {
			delete(m, "people")
			return cur.FromNative(m)
		},
	}
}

// withPeople is ev with n people, the first its top-level landmarks (as the processor emits).
func withPeople(ev schemas.KeypointEvent, n int) schemas.KeypointEvent {
	ev.People = nil
	for i := range n {
		p := schemas.Person{ID: int64(i), Landmarks: keypoints(i%2 == 1).Landmarks}
		if i == 0 {
			p.Landmarks = ev.Landmarks
		}
		ev.People = append(ev.People, p)
	}
	return ev
}

// TestPeopleEvolution: KeypointEvent with people is BACKWARD compatible with the schema before
// it, in both directions: the registries accept it after v1, v1 codecs (one that registered v1,
// one that never saw the new schema) read new events (without their people), and the new codec
// reads v1 events (people empty).
func TestPeopleEvolution(t *testing.T) {
	t.Parallel()
	v1c, cur := keypointsV1(t), schemas.KeypointEventContract()
	if p := backwardProblems(cur.Schema.Text(), v1c.Schema.Text()); p != nil {
		t.Errorf("new reading v1: %v", p)
	}
	if p := backwardProblems(v1c.Schema.Text(), cur.Schema.Text()); p != nil {
		t.Errorf("v1 reading new: %v", p)
	}
	fake, fakeURL := newFakeRegistry(t, "")
	sf := srfake.New()
	t.Cleanup(sf.Close)
	for i, u := range []string{fakeURL, sf.URL()} {
		ctx := context.Background()
		reg := mustRegistry(t, u)
		v1, err := codecs.NewAvro(ctx, "keypoints", v1c, reg)
		if err != nil {
			t.Fatalf("%d: v1: %v", i, err)
		}
		if err := reg.CheckCompatibility(ctx, "keypoints-value", cur.Schema.Text()); err != nil {
			t.Fatalf("%d: CheckCompatibility of the schema with people after v1: %v", i, err)
		}
		now, err := codecs.NewAvro(ctx, "keypoints", cur, reg)
		if err != nil {
			t.Fatalf("%d: the schema with people after v1: %v", i, err)
		}
		if now.ID() == v1.ID() {
			t.Fatalf("%d: v1 and the new schema share id %d", i, v1.ID())
		}
		freshV1, err := codecs.NewAvro(ctx, "keypoints", v1c, mustRegistry(t, u))
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []schemas.KeypointEvent{noPerson(), keypoints(false), withPeople(keypoints(false), 1), withPeople(keypoints(true), 3)} {
			data, err := now.Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := now.Decode(data); err != nil || !reflect.DeepEqual(got, ev) {
				t.Errorf("%d: new reading new, %d people: %v", i, len(ev.People), err)
			}
			old := ev
			old.People = nil
			for j, reader := range []*codecs.Avro[schemas.KeypointEvent]{v1, freshV1} {
				if got, err := reader.Decode(data); err != nil || !reflect.DeepEqual(got, old) {
					t.Errorf("%d: v1 reader %d on an event with %d people: %v (equal %v)", i, j, len(ev.People), err, reflect.DeepEqual(got, old))
				}
			}
			v1data, err := v1.Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := now.Decode(v1data); err != nil || !reflect.DeepEqual(got, old) {
				t.Errorf("%d: new reading v1 data: %v (equal %v)", i, err, reflect.DeepEqual(got, old))
			}
		}
		if i == 0 && fake.compatOf("keypoints-value") != "BACKWARD" {
			t.Errorf("fake registry: compatibility %q, want BACKWARD", fake.compatOf("keypoints-value"))
		}
	}
}

// TestPeopleEvolutionSingleObject: without a registry, a v1 reader given the new schema reads
// its events, and the new reader given v1 reads v1's.
func TestPeopleEvolutionSingleObject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v1c, cur := keypointsV1(t), schemas.KeypointEventContract()
	v1, err := codecs.NewAvro(ctx, "", v1c, nil, codecs.WithWriterSchemas(cur.Schema))
	if err != nil {
		t.Fatal(err)
	}
	now, err := codecs.NewAvro(ctx, "", cur, nil, codecs.WithWriterSchemas(v1c.Schema))
	if err != nil {
		t.Fatal(err)
	}
	ev := withPeople(keypoints(true), 3)
	old := ev
	old.People = nil
	data, _ := now.Encode(ev)
	if got, err := v1.Decode(data); err != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("v1 reading new: %v", err)
	}
	data, _ = v1.Encode(ev)
	if got, err := now.Decode(data); err != nil || !reflect.DeepEqual(got, old) {
		t.Errorf("new reading v1: %v", err)
	}
}
