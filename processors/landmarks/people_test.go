package landmarks

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// TestProcessorEmitsPeople: a landmarker that looks for several people makes the processor's
// events carry them (ids = index), the first being the top-level landmarks; with one, none.
func TestProcessorEmitsPeople(t *testing.T) {
	for _, maxPeople := range []int{1, 3} {
		h := newHarness(t, 0)
		h.fake.maxPeople = maxPeople
		h.send(t, "cam-a", 1, 0, mustJPEG(t, 20, 40)) // nobody
		h.send(t, "cam-a", 2, 0, photo)
		evs := h.drainKeypoints()
		if len(evs) != 2 {
			t.Fatalf("max people %d: %d events", maxPeople, len(evs))
		}
		if maxPeople == 1 {
			if evs[0].People != nil || evs[1].People != nil {
				t.Errorf("max people 1: people %v, %v; want none", evs[0].People, evs[1].People)
			}
			continue
		}
		if len(evs[0].People) != 0 || evs[0].Status != schemas.StatusNoPerson {
			t.Errorf("nobody: %s with %d people", evs[0].Status, len(evs[0].People))
		}
		ps := evs[1].People
		if len(ps) != 2 || ps[0].ID != 0 || ps[1].ID != 1 || !reflect.DeepEqual(ps[0].Landmarks, evs[1].Landmarks) ||
			ps[1].Pose == nil || ps[1].Pose.Landmarks[0].X != 0.9 || ps[1].Face != nil {
			t.Errorf("two people: %+v", ps)
		}
	}
}

// TestKeypointEventPeopleRealResult: on pose-lite's results for basketball2.png (two people),
// max people 1 gives today's event, byte for byte (the schema before people, plus the empty
// array's one byte), although the result has its one person in People; max people 4 gives both
// people, ids 0 and 1, the first being the top-level landmarks.
func TestKeypointEventPeopleRealResult(t *testing.T) {
	data, err := os.ReadFile("../../testdata/images/basketball2.png")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := pixels.DecodeImage(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	v1text, err := os.ReadFile("../../codecs/testdata/KeypointEvent-v1.avsc")
	if err != nil {
		t.Fatal(err)
	}
	v1, err := goavro.NewCodec(string(v1text))
	if err != nil {
		t.Fatal(err)
	}
	c := schemas.KeypointEventContract()
	f := schemas.Frame{CameraID: "cam", UserID: "u", Seq: 9, CapturedAt: schemas.MinCapturedAt}
	for _, n := range []int{1, 4} {
		lm, err := model.Open(model.PoseLite, model.WithMaxPeople(n))
		if err != nil {
			t.Fatalf("open pose-lite: %v (run `make setup`)", err)
		}
		res, err := lm.Detect(img)
		lm.Close()
		if err != nil {
			t.Fatal(err)
		}
		ev := KeypointEvent(f, img, model.PoseLite, lm.MaxPeople(), res)
		got, err := c.AppendBinary(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			if len(res.People) != 1 || ev.People != nil || ev.Pose == nil {
				t.Fatalf("max people 1: result with %d people, event people %v, pose %v", len(res.People), ev.People, ev.Pose != nil)
			}
			native := c.ToNative(ev)
			delete(native, "people")
			today, err := v1.BinaryFromNative(nil, native)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append(today, 0)) {
				t.Errorf("max people 1: % .40x...\nwant the schema before people's % .40x... and 00", got, today)
			}
			js, _ := json.Marshal(ev)
			if !bytes.HasSuffix(js, []byte(`,"people":[]}`)) {
				t.Errorf("max people 1: JSON ends %s, want people []", js[len(js)-40:])
			}
			continue
		}
		if len(res.People) != 2 || len(ev.People) != 2 || ev.People[0].ID != 0 || ev.People[1].ID != 1 ||
			!reflect.DeepEqual(ev.People[0].Landmarks, ev.Landmarks) || ev.People[1].Pose == nil ||
			reflect.DeepEqual(ev.People[1].Landmarks, ev.Landmarks) {
			t.Fatalf("max people 4: %d people in the result, event people %+.200v", len(res.People), ev.People)
		}
		back, err := c.ReadBinary(got)
		if err != nil || !reflect.DeepEqual(back, ev) {
			t.Errorf("max people 4: Avro round trip: %v", err)
		}
	}
}
