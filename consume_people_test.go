package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// TestConsumeKeypointsPeople: `consume keypoints` prints an event's people as [] when it has
// none (as written before the field existed, or by a processor looking for one person) and as
// the list, with ids, when it has some.
func TestConsumeKeypointsPeople(t *testing.T) {
	c := schemas.KeypointEventContract()
	decode := func(b []byte) (any, error) { return c.ReadBinary(b) }
	pose := &schemas.Pose{Landmarks: make([]schemas.Landmark, 33), WorldLandmarks: make([]schemas.Point, 33)}
	for _, tt := range []struct {
		people schemas.People
		want   string
	}{
		{nil, `"people":[]`},
		{schemas.People{{ID: 0, Landmarks: schemas.Landmarks{Pose: pose}}, {ID: 1}},
			`"people":[{"id":0,"pose":{"landmarks":[{"x":0,`},
	} {
		ev := schemas.KeypointEvent{CameraID: "cam", Status: schemas.StatusNoPerson, People: tt.people}
		data, err := c.AppendBinary(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		n := 0
		if err := printRecord(json.NewEncoder(&out), decode, stream.Record{Topic: "keypoints", Key: "cam", Value: data}, &n, 0); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%d people: %.400s\nwant %s", len(tt.people), out.String(), tt.want)
		}
		if len(tt.people) == 2 && !strings.Contains(out.String(), `{"id":1,"pose":null,"face":null,"left_hand":null,"right_hand":null}]`) {
			t.Errorf("second person: %.400s", out.String())
		}
	}
}
