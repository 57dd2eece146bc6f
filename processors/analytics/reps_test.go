package analytics

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

func TestRepCounter(t *testing.T) {
	t.Parallel()
	var (
		R = Signal{Rest: true}
		A = Signal{Active: true}
		N = Signal{} // hysteresis band
	)
	lim := RepLimits{Min: 300 * time.Millisecond, Max: 2 * time.Second}
	cases := []struct {
		name    string
		signals []Signal
		gap     time.Duration
		want    int32
		phase   RepPhase
	}{
		{"one rep", []Signal{R, N, A, A, N, R}, 100 * time.Millisecond, 1, PhaseRest},
		{"three reps", []Signal{R, A, A, A, R, A, A, A, R, A, A, A, R}, 100 * time.Millisecond, 3, PhaseRest},
		{"jitter in the band", []Signal{R, N, R, N, R, A, N, A, N, A, N, R, N, R}, 100 * time.Millisecond, 1, PhaseRest},
		{"start at the bottom", []Signal{A, A, A, N, R}, 100 * time.Millisecond, 0, PhaseRest},
		{"glitch shorter than min", []Signal{R, A, R, R}, 100 * time.Millisecond, 0, PhaseRest},
		{"longer than max", []Signal{R, A, A, A, A, A, R}, time.Second, 0, PhaseRest},
		{"longer than max, then a real rep", []Signal{R, A, A, A, A, R, A, R}, time.Second, 1, PhaseRest},
		{"held at the bottom past max", []Signal{R, A, A, A, A}, time.Second, 0, PhaseIdle},
		{"nothing readable", []Signal{N, N, N}, 100 * time.Millisecond, 0, PhaseIdle},
	}
	for i, c := range cases {
		var rc RepCounter
		var reps int32
		for k, s := range c.signals {
			if rc.Update(t0.Add(time.Duration(k)*c.gap), s, lim) {
				reps++
				if rc.Count != reps {
					t.Errorf("%d %s: count %d after %d reps", i, c.name, rc.Count, reps)
				}
			}
		}
		if reps != c.want || rc.Phase != c.phase {
			t.Errorf("%d %s: %d reps in phase %q, want %d in %q", i, c.name, reps, rc.Phase, c.want, c.phase)
		}
	}
}

// countReps runs an exercise's counter over frames.
func countReps(frames []frame, v view, e Exercise) int32 {
	var rc RepCounter
	for _, f := range frames {
		if f.pose == nil {
			continue
		}
		b := Measure(f.pose, v.w, v.h)
		rc.Update(t0.Add(f.at), e.Signal(&b), e.Limits())
	}
	return rc.Count
}

var (
	worldSide = view{w: 640, h: 480, ppm: sideView.ppm}
	imageSide = view{w: 640, h: 480, ppm: sideView.ppm, noWorld: true}
	worldFrnt = view{front: true, w: 640, h: 480, ppm: frontView.ppm}
	imageFrnt = view{front: true, w: 640, h: 480, ppm: frontView.ppm, noWorld: true}
)

func TestSquatReps(t *testing.T) {
	t.Parallel()
	for i, v := range []view{worldSide, imageSide} {
		for seed := uint64(1); seed <= 20; seed++ {
			frames := squatFrames(v, seed)
			if got := countReps(frames, v, Squat); got != 5 {
				t.Errorf("view %d seed %d: %d squats, want 5", i, seed, got)
			}
			if got := countReps(frames, v, JumpingJack); got != 0 {
				t.Errorf("view %d seed %d: %d jumping jacks in squats", i, seed, got)
			}
		}
	}
}

// TestSquatNoiseNearThresholds holds the knees near each threshold, with noise, for seconds: a
// counter without hysteresis counts many reps here.
func TestSquatNoiseNearThresholds(t *testing.T) {
	t.Parallel()
	for i, v := range []view{worldSide, imageSide} {
		rng := rand.New(rand.NewPCG(7, 7))
		v.imgNoise, v.wNoise = 0.004, 0.01
		knee := func(sec float64) float64 {
			switch {
			case sec < 1:
				return 170
			case sec < 4: // around the top threshold: 160 ± 6
				return squatUp + 6*math.Sin(2*math.Pi*3*sec)
			case sec < 5:
				return lerp(squatUp, squatDown, ease(sec, 4, 5))
			case sec < 8: // around the bottom threshold: 100 ± 6
				return squatDown + 6*math.Sin(2*math.Pi*3*sec)
			case sec < 9:
				return lerp(squatDown, 170, ease(sec, 8, 9))
			case sec < 12: // and around the top again
				return squatUp + 6*math.Sin(2*math.Pi*3*sec)
			}
			return 170
		}
		frames := sequence(30, 13*time.Second, func(sec float64) *schemas.Pose {
			s := squatStance(knee(sec))
			hx, hy := grounded(s)
			return v.pose(s, hx, hy, rng)
		})
		if got := countReps(frames, v, Squat); got != 1 {
			t.Errorf("view %d: %d squats, want 1", i, got)
		}
	}
}

func TestJumpingJackReps(t *testing.T) {
	t.Parallel()
	for i, v := range []view{worldFrnt, imageFrnt} {
		for seed := uint64(1); seed <= 20; seed++ {
			frames := jackFrames(v, seed)
			if got := countReps(frames, v, JumpingJack); got != 5 {
				t.Errorf("view %d seed %d: %d jumping jacks, want 5", i, seed, got)
			}
			if got := countReps(frames, v, Squat); got != 0 {
				t.Errorf("view %d seed %d: %d squats in jumping jacks", i, seed, got)
			}
		}
	}
}

// TestJumpingJackNeedsArmsAndFeet: arms alone, feet alone, and jitter at the thresholds are not
// jumping jacks.
func TestJumpingJackNeedsArmsAndFeet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    func(open float64) stance
		want int32
	}{
		{"full", jackStance, 3},
		{"arms only", func(o float64) stance { return stance{armAbd: 10 + 160*o, legAbd: 3} }, 0},
		{"feet only", func(o float64) stance { return stance{armAbd: 10, legAbd: 3 + 15*o} }, 0},
		{"half open", func(o float64) stance { return jackStance(0.5 * o) }, 0},
		{"around the open thresholds", func(o float64) stance { return jackStance(0.55 + 0.1*o) }, 0},
	}
	for i, c := range cases {
		for k, v := range []view{worldFrnt, imageFrnt} {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			v.imgNoise, v.wNoise = 0.002, 0.005
			frames := sequence(30, 3*time.Second, func(sec float64) *schemas.Pose {
				s := c.s((1 - math.Cos(2*math.Pi*sec)) / 2)
				return v.pose(s, 0.5, 0.5, rng)
			})
			// Start every sequence from rest so the counter is armed.
			rest := sequence(30, 500*time.Millisecond, func(float64) *schemas.Pose { return v.pose(jackStance(0), 0.5, 0.5, nil) })
			for j := range frames {
				frames[j].at += 600 * time.Millisecond
			}
			if got := countReps(append(rest, frames...), v, JumpingJack); got != c.want {
				t.Errorf("%d %s view %d: %d jumping jacks, want %d", i, c.name, k, got, c.want)
			}
		}
	}
}

func TestExerciseNames(t *testing.T) {
	t.Parallel()
	if Squat.String() != "SQUAT" || JumpingJack.String() != "JUMPING_JACK" {
		t.Errorf("names %q %q", Squat, JumpingJack)
	}
}
