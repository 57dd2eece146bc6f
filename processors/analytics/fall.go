package analytics

import (
	"math"
	"time"

	"github.com/holostream/holostream/schemas"
)

// Fall detection: a fast drop of the hips followed by lying. The speed is the hip centre's
// downward image speed in body lengths per second (Body.Scale, so it does not depend on how far
// the person stands from the camera), smoothed with an exponential moving average.
//
// Falls drop the hips at 1.5-3 m/s at their peak; sitting down, even briskly, stays under about
// 1 m/s, and a 1.75 m adult's shoulder-hip-ankle span is about 1.4 m, so the threshold of 0.9
// body lengths/s (about 1.3 m/s) sits between the two. A quick sit or the landing of a jump can
// cross it, which is why a fall also needs lying (torso near horizontal) within fallConfirm.
const (
	fallSpeed      = 0.9                    // body lengths per second, smoothed, downwards
	fallSpeedTau   = 100 * time.Millisecond // speed smoothing: rejects single-frame jitter, keeps a 0.3 s drop
	fallScaleTau   = time.Second            // body length smoothing: foreshortening while falling
	fallMaxGap     = 500 * time.Millisecond // frames further apart restart the speed estimate
	fallUpright    = time.Second            // the drop must begin within this of an upright frame
	fallConfirm    = 2 * time.Second        // lying must follow the drop within this
	fallRefractory = 10 * time.Second       // at most one FALL per this
)

// FallDetector is the state of the fall detector. Plain data: it is part of UserState.
type FallDetector struct {
	At        time.Time `json:"at"`         // the last frame with visible hips
	HipY      float64   `json:"hip_y"`      // its hip centre y, image pixels
	Scale     float64   `json:"scale"`      // smoothed body length, image pixels
	Speed     float64   `json:"speed"`      // smoothed downward hip speed, body lengths/s
	UprightAt time.Time `json:"upright_at"` // the last frame measured not lying
	DropAt    time.Time `json:"drop_at"`    // the last frame over fallSpeed; zero when no drop is pending
	LastFall  time.Time `json:"last_fall"`
}

// Update feeds one frame (event time t, its body and its per-frame posture) and reports whether
// it completes a fall.
func (f *FallDetector) Update(t time.Time, b *Body, p schemas.Posture) bool {
	torso, torsoOK := b.Angles.Get(Torso)
	lying := p == schemas.PostureLying || (torsoOK && torso >= lyingTorso)
	if torsoOK && !lying {
		f.UprightAt = t
	}
	f.track(t, b)
	if f.Speed >= fallSpeed && !f.UprightAt.IsZero() && t.Sub(f.UprightAt) <= fallUpright {
		f.DropAt = t
	}
	if f.DropAt.IsZero() {
		return false
	}
	if t.Sub(f.DropAt) > fallConfirm {
		f.DropAt = time.Time{}
		return false
	}
	if !lying || (!f.LastFall.IsZero() && t.Sub(f.LastFall) < fallRefractory) {
		return false
	}
	f.LastFall, f.DropAt = t, time.Time{}
	return true
}

// track updates the smoothed speed and scale with a frame's hips.
func (f *FallDetector) track(t time.Time, b *Body) {
	if !b.HipOK {
		return
	}
	dt := t.Sub(f.At)
	if f.At.IsZero() || dt <= 0 || dt > fallMaxGap || f.Scale <= 0 {
		f.At, f.HipY, f.Scale, f.Speed = t, b.HipY, b.Scale, 0
		return
	}
	sec := dt.Seconds()
	v := (b.HipY - f.HipY) / sec / f.Scale
	f.Speed += smoothing(dt, fallSpeedTau) * (v - f.Speed)
	f.Scale += smoothing(dt, fallScaleTau) * (b.Scale - f.Scale)
	f.At, f.HipY = t, b.HipY
}

// smoothing is the weight of a new sample dt after the last in an exponential moving average
// with time constant tau, so the average does not depend on the frame rate.
func smoothing(dt, tau time.Duration) float64 {
	return 1 - math.Exp(-dt.Seconds()/tau.Seconds())
}
