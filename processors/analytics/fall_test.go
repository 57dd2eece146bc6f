package analytics

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

// falls runs the fall detector over frames and returns when it fired (offsets from t0).
func falls(frames []frame, v view) []time.Duration {
	var f FallDetector
	var at []time.Duration
	for _, fr := range frames {
		b := Measure(fr.pose, v.w, v.h)
		if f.Update(t0.Add(fr.at), &b, Classify(&b)) {
			at = append(at, fr.at)
		}
	}
	return at
}

func TestFall(t *testing.T) {
	t.Parallel()
	then := func(a, b []frame, gap time.Duration) []frame {
		off := a[len(a)-1].at + gap
		out := append([]frame(nil), a...)
		for _, f := range b {
			f.at += off
			out = append(out, f)
		}
		return out
	}
	lieDown := func(v view, seed uint64) []frame { // sit, then lie back over 3 s, then lie 2 s
		rng := rand.New(rand.NewPCG(seed, 5))
		v.imgNoise, v.wNoise = 0.002, 0.005
		return sequence(30, 8*time.Second, func(sec float64) *schemas.Pose {
			sit := ease(sec, 0, 2)
			lie := ease(sec, 3, 6)
			s := stance{thigh: 90 * sit * (1 - lie), torso: 5 * sit * (1 - lie), roll: 90 * lie}
			return v.pose(s, 0.5, lerp(0.5, 0.8, sit)+0.05*lie, rng)
		})
	}
	cases := []struct {
		name   string
		frames func(v view, seed uint64) []frame
		want   int
	}{
		{"fall", fallFrames, 1},
		{"sit down slowly", func(v view, s uint64) []frame { return sitFrames(v, s, 2*time.Second) }, 0},
		{"sit down briskly", func(v view, s uint64) []frame { return sitFrames(v, s, 400*time.Millisecond) }, 0},
		{"lie down slowly", lieDown, 0},
		{"squats", squatFrames, 0},
		{"two falls 5 s apart: refractory", func(v view, s uint64) []frame {
			return then(fallFrames(v, s), fallFrames(v, s+100), 100*time.Millisecond)
		}, 1},
		{"two falls 15 s apart", func(v view, s uint64) []frame {
			f := fallFrames(v, s)
			return then(f, then(sitFrames(v, s, 2*time.Second), fallFrames(v, s+100), 33*time.Millisecond), 6*time.Second)
		}, 2},
		{"drop, then lying too late", func(v view, s uint64) []frame {
			fr := fallFrames(v, s)
			for i := range fr { // hold the crumpled pose 2.5 s before tipping over
				if fr[i].at > 1400*time.Millisecond {
					fr[i].at += 2500 * time.Millisecond
				}
			}
			crumpled := v.pose(stance{thigh: 50, shin: 30, torso: 20}, 0.5, 0.85, nil)
			hold := sequence(30, 2467*time.Millisecond, func(float64) *schemas.Pose { return crumpled })
			for i := range hold { // (1.4 s, 3.9 s]
				hold[i].at += 1400*time.Millisecond + time.Second/30
			}
			out := append([]frame(nil), fr[:43]...)
			out = append(out, hold...)
			return append(out, fr[43:]...)
		}, 0},
	}
	for i, c := range cases {
		for k, v := range []view{worldSide, imageSide} {
			for seed := uint64(1); seed <= 10; seed++ {
				frames := c.frames(v, seed)
				if got := falls(frames, v); len(got) != c.want {
					t.Errorf("%d %s view %d seed %d: falls at %v, want %d", i, c.name, k, seed, got, c.want)
				}
			}
		}
	}
}

// TestFallTiming: the FALL comes when the figure lies, within the confirmation window.
func TestFallTiming(t *testing.T) {
	t.Parallel()
	got := falls(fallFrames(worldSide, 1), worldSide)
	if len(got) != 1 || got[0] < 1400*time.Millisecond || got[0] > 1800*time.Millisecond {
		t.Errorf("falls at %v, want one in [1.4 s, 1.8 s]", got)
	}
}

// TestFallIgnoresGaps: a person who disappears standing and reappears lying 0.6 s later did not
// visibly fall; speed over a hole in the stream is not measured.
func TestFallIgnoresGaps(t *testing.T) {
	t.Parallel()
	v := worldSide
	var f FallDetector
	stand := v.pose(stance{}, 0.5, 0.5, nil)
	lie := v.pose(stance{roll: 90}, 0.5, 0.85, nil)
	n := 0
	for k := range 30 {
		b := Measure(stand, v.w, v.h)
		if f.Update(t0.Add(time.Duration(k)*33*time.Millisecond), &b, Classify(&b)) {
			n++
		}
	}
	for k := range 30 {
		b := Measure(lie, v.w, v.h)
		if f.Update(t0.Add(time.Second+600*time.Millisecond+time.Duration(k)*33*time.Millisecond), &b, Classify(&b)) {
			n++
		}
	}
	if n != 0 {
		t.Errorf("%d falls across a 0.6 s gap", n)
	}
}
