package analytics

import "time"

// Exercise is a counted exercise; its name is the key of PoseStats.Reps and ActionEvent.Exercise.
type Exercise int

// The exercises.
const (
	Squat Exercise = iota
	JumpingJack
	NumExercises
)

var exerciseNames = [NumExercises]string{"SQUAT", "JUMPING_JACK"}

// String is the exercise's name, e.g. "SQUAT".
func (e Exercise) String() string {
	if e < 0 || e >= NumExercises {
		return "EXERCISE?"
	}
	return exerciseNames[e]
}

// Signal is one frame's reading for a rep counter. Rest and Active are never both true; both
// false is the hysteresis band (or a frame that could not be read), which changes nothing.
type Signal struct {
	Rest, Active bool
}

// Squat thresholds on the mean knee angle, degrees. A rep goes down through squatDown and back up
// through squatUp; the 60° band between them is far wider than landmark noise (a few degrees),
// so jitter around either threshold cannot complete a rep. 100° is a parallel-ish squat in most
// coaching apps' counters; 160° is standing with soft knees.
const (
	squatDown = 100
	squatUp   = 160
)

// SquatSignal reads a body for the squat counter: rest with the knees straight, active at the
// bottom.
func SquatSignal(b *Body) Signal {
	knee, ok := b.Angles.Mean(LeftKnee, RightKnee)
	if !ok {
		return Signal{}
	}
	return Signal{Rest: knee > squatUp, Active: knee < squatDown}
}

// Jumping jack thresholds. Arms: wrist height above the shoulder line in torso lengths (hanging
// arms are near -1, arms overhead near +1). Feet: ankle spread over shoulder width (feet together
// is about 0.5-0.8, a jack's open stance 1.8-2.5).
const (
	jackArmsUp       = 0.1  // both wrists above the shoulders
	jackArmsDown     = -0.4 // both wrists well below the shoulders
	jackFeetApart    = 1.4
	jackFeetTogether = 1.0
)

// JumpingJackSignal reads a body for the jumping jack counter: active with both arms up and the
// feet apart, rest with both arms down and the feet together.
func JumpingJackSignal(b *Body) Signal {
	if !b.ArmsOK || !b.FeetOK {
		return Signal{}
	}
	return Signal{
		Active: b.ArmRaiseMin > jackArmsUp && b.FeetSpread > jackFeetApart,
		Rest:   b.ArmRaiseMax < jackArmsDown && b.FeetSpread < jackFeetTogether,
	}
}

// RepLimits bound a rep's active phase (from entering it to coming back to rest): shorter is a
// glitch (a frame or two of bad landmarks), longer is not this exercise (sitting down on a chair
// and getting up a minute later is not a squat).
type RepLimits struct {
	Min, Max time.Duration
}

// Limits returns the exercise's rep limits. Squats at a brisk 1 rep/s still spend about 0.5 s from
// the bottom threshold back to the top one; jacks at 2/s about 0.25 s.
func (e Exercise) Limits() RepLimits {
	if e == JumpingJack {
		return RepLimits{Min: 150 * time.Millisecond, Max: 3 * time.Second}
	}
	return RepLimits{Min: 300 * time.Millisecond, Max: 6 * time.Second}
}

// Signal reads a body for the exercise's counter.
func (e Exercise) Signal(b *Body) Signal {
	if e == JumpingJack {
		return JumpingJackSignal(b)
	}
	return SquatSignal(b)
}

// RepPhase is a rep counter's state.
type RepPhase string

// The phases: a counter starts idle and counts only once it has seen the rest position, so
// starting a session at the bottom of a squat does not count half a rep.
const (
	PhaseIdle   RepPhase = ""
	PhaseRest   RepPhase = "REST"
	PhaseActive RepPhase = "ACTIVE"
)

// RepCounter counts one exercise's reps with a two-threshold state machine:
// idle -(rest)-> rest -(active)-> active -(rest)-> rest, counting one rep on the way back when
// the active phase lasted within the limits. Plain data: it is part of UserState.
type RepCounter struct {
	Phase RepPhase  `json:"phase,omitempty"`
	Since time.Time `json:"since"` // when Phase was entered
	Count int32     `json:"count"`
}

// Update feeds one frame at event time t and reports whether it completed a rep.
func (c *RepCounter) Update(t time.Time, s Signal, lim RepLimits) bool {
	switch c.Phase {
	case PhaseIdle:
		if s.Rest {
			c.Phase, c.Since = PhaseRest, t
		}
	case PhaseRest:
		if s.Active {
			c.Phase, c.Since = PhaseActive, t
		}
	case PhaseActive:
		d := t.Sub(c.Since)
		if lim.Max > 0 && d > lim.Max {
			// Too long at the bottom: whatever this is, the next rep starts from rest.
			c.Phase, c.Since = PhaseIdle, time.Time{}
			return c.Update(t, s, lim)
		}
		if s.Rest {
			c.Phase, c.Since = PhaseRest, t
			if d >= lim.Min {
				c.Count++
				return true
			}
		}
	default:
		c.Phase, c.Since = PhaseIdle, time.Time{}
	}
	return false
}
