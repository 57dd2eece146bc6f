package model

import (
	"encoding/json"
	"testing"

	"github.com/holostream/holostream/pixels"
)

// TestOutputIsAViewOfLandmarks: the infer JSON carries NewLandmarks' numbers (3-D points without
// visibility), null for what was not found and [] for what was found empty.
func TestOutputIsAViewOfLandmarks(t *testing.T) {
	t.Parallel()
	var r Result
	r.Pose = &Pose{}
	for i := range r.Pose.Landmarks {
		f := float32(i)
		r.Pose.Landmarks[i] = Landmark{X: f, Y: f + 0.25, Z: -f, Visibility: 0.5, Presence: 0.75}
		r.Pose.World[i] = WorldLandmark{X: -f, Y: f, Z: 0.125, Visibility: 0.5}
	}
	r.Face = &Face{} // found, no points: [] (a face that is not found is null)
	r.RightHand = &Hand{}
	r.RightHand.Landmarks[3] = Landmark{X: 0.5, Y: 0.25, Z: 0.125, Visibility: 0.0625}
	l, o := NewLandmarks(r), NewOutput("x", pixels.Image{Width: 2, Height: 1}, PoseLite, r, 0, 0)
	for i, p := range l.Pose.WorldLandmarks {
		if l.Pose.Landmarks[i] != o.Pose.Landmarks[i] || (PointOutput{p.X, p.Y, p.Z}) != o.Pose.WorldLandmarks[i] {
			t.Fatalf("pose %d: output %v %v, landmarks %v %v", i, o.Pose.Landmarks[i], o.Pose.WorldLandmarks[i], l.Pose.Landmarks[i], p)
		}
	}
	if p := l.RightHand[3]; p.Visibility != 0.0625 || o.RightHand[3] != (PointOutput{p.X, p.Y, p.Z}) || len(o.RightHand) != NumHandLandmarks {
		t.Errorf("right hand: output %v, landmarks %v", o.RightHand[3], p)
	}
	o.Pose, o.Timings = nil, nil
	got, err := json.Marshal(o)
	want := `{"source":"x","width":2,"height":1,"model":"pose-lite","pose":null,"face":[],"left_hand":null,"right_hand":[` +
		`{"x":0,"y":0,"z":0},{"x":0,"y":0,"z":0},{"x":0,"y":0,"z":0},{"x":0.5,"y":0.25,"z":0.125}`
	if err != nil || len(got) < len(want) || string(got[:len(want)]) != want {
		t.Errorf("JSON %s, %v\nwant it to start %s", got, err, want)
	}
}
