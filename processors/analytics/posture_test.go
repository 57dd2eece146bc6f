package analytics

import (
	"math"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

func TestMeasureAngles(t *testing.T) {
	t.Parallel()
	s := squatStance(90) // knee 90, hip 180 - thigh(58.5) - torso(40.5) = 81
	for i, v := range []view{sideView, {w: 640, h: 480, ppm: sideView.ppm, noImage: true}, {w: 640, h: 480, ppm: sideView.ppm, noWorld: true}} {
		p := v.pose(s, 0.5, 0.6, nil)
		b := Measure(p, v.w, v.h)
		// Hip and shoulder angles take in the shoulders being wider than the hips in 3-D.
		want := map[Joint][2]float64{
			LeftKnee: {90, 0.05}, RightKnee: {90, 0.05}, Torso: {40.5, 0.05}, LeftElbow: {180, 0.05},
			LeftHip: {81, 2}, RightHip: {81, 2}, LeftShoulder: {40.5, 2},
		}
		for j, w := range want {
			got, ok := b.Angles.Get(j)
			if !ok || math.Abs(got-w[0]) > w[1] {
				t.Errorf("%d: %v = %.2f (%v), want %.2f", i, j, got, ok, w[0])
			}
		}
	}
}

func TestMeasureUsesImagePixels(t *testing.T) {
	t.Parallel()
	// A 45° torso lean in pixels on a 2:1 frame is not 45° in normalized units.
	p := &schemas.Pose{Landmarks: make([]schemas.Landmark, numLandmarks)}
	set := func(i int, x, y float32) { p.Landmarks[i] = schemas.Landmark{X: x, Y: y, Visibility: 1} }
	set(lmLeftHip, 0.5, 0.5)
	set(lmLeftShoulder, 0.5+0.1, 0.5-0.2) // dx = 64 px, dy = 64 px on 640x320
	b := Measure(p, 640, 320)
	if got, _ := b.Angles.Get(Torso); math.Abs(got-45) > 0.01 {
		t.Errorf("torso %.2f°, want 45°", got)
	}
	if got, _ := b.Angles.Get(LeftKnee); b.Angles.Valid[LeftKnee] {
		t.Errorf("left knee %.2f measured without a knee", got)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	lowVis := func(idx ...int) func(int) float32 {
		return func(i int) float32 {
			for _, k := range idx {
				if i == k {
					return 0.3
				}
			}
			return 0.9
		}
	}
	cases := []struct {
		name string
		s    stance
		v    view
		want schemas.Posture
	}{
		{"standing", stance{}, sideView, schemas.PostureStanding},
		{"standing soft knees", stance{thigh: 10, shin: 10}, sideView, schemas.PostureStanding},
		{"bending over", stance{torso: 85, arm: 80}, sideView, schemas.PostureStanding},
		{"sitting on a chair", stance{thigh: 90, shin: 5, torso: 5}, sideView, schemas.PostureSitting},
		{"sitting leaning forward", stance{thigh: 90, shin: 0, torso: 25}, sideView, schemas.PostureSitting},
		{"sitting on the floor", stance{thigh: 90, shin: -90, torso: 10}, sideView, schemas.PostureSitting},
		{"squatting", squatStance(80), sideView, schemas.PostureSquatting},
		{"half squat", squatStance(120), sideView, schemas.PostureSquatting},
		{"lying on the back", stance{roll: 90}, sideView, schemas.PostureLying},
		{"lying on the side", stance{roll: 80, thigh: 20, shin: 20}, sideView, schemas.PostureLying},
		{"hands raised", stance{armAbd: 170}, frontView, schemas.PostureHandsRaised},
		{"arms raised forward", stance{arm: 170}, sideView, schemas.PostureHandsRaised},
		{"arms out sideways", stance{armAbd: 90}, frontView, schemas.PostureStanding},
		{"lying with arms overhead", stance{roll: 90, arm: 180}, sideView, schemas.PostureLying},
		{"at a desk, ankles hidden", stance{thigh: 90, torso: 5}, view{w: 640, h: 480, ppm: sideView.ppm, vis: lowVis(lmLeftAnkle, lmRightAnkle, 29, 30, 31, 32)}, schemas.PostureSitting},
		{"close-up standing, ankles hidden", stance{}, view{w: 640, h: 480, ppm: sideView.ppm, vis: lowVis(lmLeftAnkle, lmRightAnkle)}, schemas.PostureStanding},
		{"no hips", stance{}, view{w: 640, h: 480, ppm: sideView.ppm, vis: lowVis(lmLeftHip, lmRightHip)}, schemas.PostureUnknown},
		{"no legs", stance{}, view{w: 640, h: 480, ppm: sideView.ppm, vis: lowVis(lmLeftKnee, lmRightKnee, lmLeftAnkle, lmRightAnkle)}, schemas.PostureUnknown},
		{"nothing visible", stance{}, view{w: 640, h: 480, ppm: sideView.ppm, vis: func(int) float32 { return 0.49 }}, schemas.PostureUnknown},
	}
	for i, c := range cases {
		for _, mode := range []string{"world", "image"} {
			v := c.v
			v.noWorld = mode == "image"
			b := Measure(v.pose(c.s, 0.5, 0.5, nil), v.w, v.h)
			if got := Classify(&b); got != c.want {
				t.Errorf("%d %s (%s): %s, want %s (angles %v, shin %.0f leg %.0f)", i, c.name, mode, got, c.want, b.Angles.Deg, b.ShinLean, b.LegLean)
			}
		}
	}
}

func TestClassifyNilPose(t *testing.T) {
	t.Parallel()
	b := Measure(nil, 640, 480)
	if got := Classify(&b); got != schemas.PostureUnknown {
		t.Errorf("nil pose: %s", got)
	}
}

func TestPostureTracker(t *testing.T) {
	t.Parallel()
	const (
		S  = schemas.PostureStanding
		Si = schemas.PostureSitting
		U  = schemas.PostureUnknown
	)
	type change struct {
		frame int
		prev  schemas.Posture
	}
	cases := []struct {
		name    string
		frames  []schemas.Posture
		gap     time.Duration
		changes []change
		final   schemas.Posture
	}{
		{"first posture after 5 frames", []schemas.Posture{S, S, S, S, S, S}, 33 * time.Millisecond, []change{{4, U}}, S},
		{"one glitch frame", []schemas.Posture{S, S, S, S, S, Si, S, S, S}, 33 * time.Millisecond, []change{{4, U}}, S},
		{"four glitch frames", []schemas.Posture{S, S, S, S, S, Si, Si, Si, Si, S, S}, 33 * time.Millisecond, []change{{4, U}}, S},
		{"flicker never settles", []schemas.Posture{S, S, S, S, S, Si, S, Si, S, Si, S, Si, S}, 33 * time.Millisecond, []change{{4, U}}, S},
		{"sit down", []schemas.Posture{S, S, S, S, S, Si, Si, Si, Si, Si, Si, Si}, 33 * time.Millisecond, []change{{4, U}, {9, S}}, Si},
		{"slow camera: 0.3 s over two frames", []schemas.Posture{S, S, Si, Si}, 300 * time.Millisecond, []change{{1, U}, {3, S}}, Si},
		{"slow camera: one frame is never enough", []schemas.Posture{S, S, Si, S}, time.Second, []change{{1, U}}, S},
		{"unknown is a posture too", []schemas.Posture{S, S, S, S, S, U, U, U, U, U}, 33 * time.Millisecond, []change{{4, U}, {9, S}}, U},
	}
	for i, c := range cases {
		var d PostureTracker
		var got []change
		for k, p := range c.frames {
			if prev, ok := d.Update(t0.Add(time.Duration(k)*c.gap), p); ok {
				got = append(got, change{k, prev})
			}
		}
		if len(got) != len(c.changes) {
			t.Errorf("%d %s: changes %v, want %v", i, c.name, got, c.changes)
			continue
		}
		for k := range got {
			if got[k] != c.changes[k] {
				t.Errorf("%d %s: change %d = %v, want %v", i, c.name, k, got[k], c.changes[k])
			}
		}
		if d.Reported() != c.final {
			t.Errorf("%d %s: final %s, want %s", i, c.name, d.Reported(), c.final)
		}
	}
}

func TestJointNames(t *testing.T) {
	t.Parallel()
	want := []string{"left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow", "left_shoulder", "right_shoulder", "torso"}
	for j := range NumJoints {
		if j.String() != want[j] {
			t.Errorf("joint %d = %q, want %q", j, j, want[j])
		}
	}
}
