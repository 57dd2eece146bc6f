package gateway

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

// TestKeypointsJSONPeople: the keypoints event of the stream is the event's JSON as before
// people existed when it has none (nil or empty), and carries them when it has some.
func TestKeypointsJSONPeople(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	sub, ref := hub.subscribe("cam", "client", true, streamLimits{total: 1, perClient: 1, perCamera: 1, waiting: 1})
	if ref != nil {
		t.Fatal(ref.msg)
	}
	next := func() []byte {
		select {
		case ev := <-sub.events:
			return ev.Data
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	ev := photoEvent(t, "cam")
	// The JSON before people: the event's fields, in order, without it.
	type before struct {
		CameraID    string         `json:"camera_id"`
		UserID      string         `json:"user_id"`
		Seq         int64          `json:"seq"`
		CapturedAt  time.Time      `json:"captured_at"`
		ProcessedAt time.Time      `json:"processed_at"`
		Status      schemas.Status `json:"status"`
		Model       string         `json:"model"`
		Width       int32          `json:"width"`
		Height      int32          `json:"height"`
		schemas.Landmarks
		DetectorRan  bool    `json:"detector_ran"`
		ProcessingMs float32 `json:"processing_ms"`
	}
	want, err := json.Marshal(before{ev.CameraID, ev.UserID, ev.Seq, ev.CapturedAt, ev.ProcessedAt, ev.Status, ev.Model, ev.Width, ev.Height,
		ev.Landmarks, ev.DetectorRan, ev.ProcessingMs})
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range []schemas.People{nil, {}} {
		ev.People = ps
		hub.PublishKeypoints(ev)
		if got := next(); !bytes.Equal(got, want) {
			t.Errorf("people %#v: %.300s\nwant %.300s", ps, got, want)
		}
	}
	ev.People = []schemas.Person{{ID: 0, Landmarks: ev.Landmarks}, {ID: 5}}
	hub.PublishKeypoints(ev)
	var got struct {
		People []struct {
			ID   int64           `json:"id"`
			Pose json.RawMessage `json:"pose"`
		} `json:"people"`
	}
	data := next()
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.People) != 2 || got.People[0].ID != 0 || len(got.People[0].Pose) < 100 || got.People[1].ID != 5 || string(got.People[1].Pose) != "null" {
		t.Errorf("two people: %.300s", data)
	}
}
