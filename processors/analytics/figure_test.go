package analytics

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/holostream/holostream/schemas"
)

// A stick figure for synthetic but physically plausible poses. Body coordinates are metres from
// the hip centre: f forward, l to the person's left, d down.
type stance struct {
	thigh, shin, torso float64 // sagittal angles from vertical, degrees: thigh forward, shin back, torso forward
	arm, armAbd        float64 // arm flexion (forward) and abduction (sideways) from hanging, degrees
	legAbd             float64 // leg abduction, degrees
	roll               float64 // whole body rotated backwards about the hips, degrees (90: lying on the back)
}

// Segment lengths of a 1.75 m adult, metres.
const (
	figThigh     = 0.45
	figShin      = 0.45
	figTorso     = 0.5
	figUpperArm  = 0.3
	figArm       = 0.55 // shoulder to wrist
	figHalfHip   = 0.09
	figHalfShldr = 0.18
)

type fld struct{ f, l, d float64 }

func (a fld) add(b fld) fld             { return fld{a.f + b.f, a.l + b.l, a.d + b.d} }
func (a fld) scale(k float64) fld       { return fld{a.f * k, a.l * k, a.d * k} }
func rad(deg float64) float64           { return deg * math.Pi / 180 }
func sincos(deg float64) (s, c float64) { return math.Sincos(rad(deg)) }

// points places the 33 MediaPipe landmarks.
func (s stance) points() [numLandmarks]fld {
	var p [numLandmarks]fld
	for side, sign := range [2]float64{1, -1} { // left, right
		hip := fld{0, sign * figHalfHip, 0}
		sa, ca := sincos(s.legAbd)
		st, ct := sincos(s.thigh)
		ss, cs := sincos(s.shin)
		knee := hip.add(fld{st * ca, sign * sa, ct * ca}.scale(figThigh))
		ankle := knee.add(fld{-ss * ca, sign * sa, cs * ca}.scale(figShin))
		p[lmLeftHip+side], p[lmLeftKnee+side], p[lmLeftAnkle+side] = hip, knee, ankle
		p[29+side] = ankle.add(fld{-0.05, 0, 0.05}) // heel
		p[31+side] = ankle.add(fld{0.15, 0, 0.05})  // foot index
	}
	so, co := sincos(s.torso)
	sc := fld{so * figTorso, 0, -co * figTorso}
	for side, sign := range [2]float64{1, -1} {
		sh := sc.add(fld{0, sign * figHalfShldr, 0})
		sf, cf := sincos(s.arm)
		sb, cb := sincos(s.armAbd)
		dir := fld{sf * cb, sign * sb, cf * cb}
		wrist := sh.add(dir.scale(figArm))
		p[lmLeftShoulder+side], p[lmLeftElbow+side], p[lmLeftWrist+side] = sh, sh.add(dir.scale(figUpperArm)), wrist
		for k := 17 + side; k <= 21+side; k += 2 { // pinky, index, thumb
			p[k] = wrist.add(dir.scale(0.06))
		}
	}
	nose := sc.add(fld{so*0.25 + 0.08, 0, -co * 0.25})
	p[lmNose] = nose
	for k := 1; k <= 10; k++ { // eyes, ears, mouth around the nose
		sign := 1.0
		if k%2 == 0 || (k >= 4 && k <= 6) {
			sign = -1
		}
		p[k] = nose.add(fld{-0.03, sign * 0.04, -0.02})
	}
	sr, cr := sincos(s.roll)
	for i := range p { // rotate in the f-d plane: roll 90 puts the head behind the hips
		f, d := p[i].f, p[i].d
		p[i].f, p[i].d = f*cr+d*sr, -f*sr+d*cr
	}
	return p
}

// legDrop is how far the ankles are below the hips, metres (unrolled).
func (s stance) legDrop() float64 {
	return (figThigh*math.Cos(rad(s.thigh)) + figShin*math.Cos(rad(s.shin))) * math.Cos(rad(s.legAbd))
}

// view is a camera.
type view struct {
	front    bool    // facing the person (image x = the person's left); else from the person's left side (image x = forward)
	w, h     int32   // frame size, pixels
	ppm      float64 // pixels per metre
	noImage  bool
	noWorld  bool
	imgNoise float64 // gaussian sigma on image x, y (normalized)
	wNoise   float64 // gaussian sigma on world coordinates (metres)
	vis      func(i int) float32
}

var (
	sideView  = view{w: 640, h: 480, ppm: 0.4 / 0.9 * 480}
	frontView = view{front: true, w: 640, h: 480, ppm: 0.4 / 0.9 * 480}
)

// pose renders a stance with its hip centre at image (hx, hy), normalized.
func (v view) pose(s stance, hx, hy float64, rng *rand.Rand) *schemas.Pose {
	pts := s.points()
	p := &schemas.Pose{}
	noise := func(sigma float64) float64 {
		if rng == nil || sigma == 0 {
			return 0
		}
		return rng.NormFloat64() * sigma
	}
	if !v.noImage {
		p.Landmarks = make([]schemas.Landmark, numLandmarks)
	}
	if !v.noWorld {
		p.WorldLandmarks = make([]schemas.Point, numLandmarks)
	}
	for i, q := range pts {
		u, depth := q.f, q.l
		if v.front {
			u, depth = q.l, -q.f
		}
		vis := float32(0.95)
		if v.vis != nil {
			vis = v.vis(i)
		}
		if p.Landmarks != nil {
			p.Landmarks[i] = schemas.Landmark{
				X:          float32(hx + u*v.ppm/float64(v.w) + noise(v.imgNoise)),
				Y:          float32(hy + q.d*v.ppm/float64(v.h) + noise(v.imgNoise)),
				Z:          float32(depth * v.ppm / float64(v.w)),
				Visibility: vis, Presence: vis,
			}
		}
		if p.WorldLandmarks != nil {
			p.WorldLandmarks[i] = schemas.Point{
				X: float32(u + noise(v.wNoise)), Y: float32(q.d + noise(v.wNoise)), Z: float32(depth + noise(v.wNoise)),
				Visibility: vis,
			}
		}
	}
	return p
}

// event wraps a pose in a keypoint event at t0 + at.
func (v view) event(user, cam string, seq int64, at time.Duration, p *schemas.Pose) schemas.KeypointEvent {
	ev := schemas.KeypointEvent{
		CameraID: cam, UserID: user, Seq: seq, CapturedAt: t0.Add(at), ProcessedAt: t0.Add(at + 20*time.Millisecond),
		Status: schemas.StatusNoPerson, Model: "test", Width: v.w, Height: v.h,
	}
	if p != nil {
		ev.Status, ev.Pose = schemas.StatusDetected, p
	}
	return ev
}

// t0 is the tests' epoch: a multiple of any window size used.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// groundY is where the ankles of a figure standing with its hips at y=0.5 are.
var groundY = 0.5 + 0.9*sideView.ppm/float64(sideView.h)

// squatStance is a physically plausible squat with knee angle knee: the bend is shared by the
// shins (forward over the toes) and the thighs, and the torso leans to keep the weight over the
// feet.
func squatStance(knee float64) stance {
	bend := 180 - knee
	return stance{thigh: 0.65 * bend, shin: 0.35 * bend, torso: 0.45 * bend}
}

// grounded returns the hip position of a side-view stance whose ankles are on the ground at x=0.5.
func grounded(s stance) (hx, hy float64) {
	pts := s.points()
	a := pts[lmLeftAnkle]
	return 0.5 - a.f*sideView.ppm/float64(sideView.w), groundY - a.d*sideView.ppm/float64(sideView.h)
}

// frame is one generated frame of a sequence.
type frame struct {
	at   time.Duration
	pose *schemas.Pose // nil: no person
}

// sequence samples gen at fps for d (both ends included).
func sequence(fps float64, d time.Duration, gen func(sec float64) *schemas.Pose) []frame {
	n := int(math.Round(d.Seconds() * fps))
	out := make([]frame, 0, n+1)
	for k := 0; k <= n; k++ {
		at := time.Duration(float64(k) / fps * float64(time.Second))
		out = append(out, frame{at: at, pose: gen(at.Seconds())})
	}
	return out
}

// squatFrames: knee angle 125 + 45 cos(2π·0.5·t), from 170° down to 80° and back, 5 cycles at
// 30 fps, with seeded landmark noise.
func squatFrames(v view, seed uint64) []frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	v.imgNoise, v.wNoise = 0.002, 0.005
	return sequence(30, 10*time.Second, func(sec float64) *schemas.Pose {
		s := squatStance(125 + 45*math.Cos(2*math.Pi*0.5*sec))
		hx, hy := grounded(s)
		return v.pose(s, hx, hy, rng)
	})
}

// jackStance: open in [0,1] from feet together and arms down (0) to feet apart and arms overhead (1).
func jackStance(open float64) stance {
	return stance{armAbd: 10 + 160*open, legAbd: 3 + 15*open}
}

// jackFrames: 5 jumping jacks at 1 Hz, 30 fps, front view, with a small hop and seeded noise.
func jackFrames(v view, seed uint64) []frame {
	rng := rand.New(rand.NewPCG(seed, 2))
	v.imgNoise, v.wNoise = 0.002, 0.005
	return sequence(30, 5*time.Second, func(sec float64) *schemas.Pose {
		open := (1 - math.Cos(2*math.Pi*sec)) / 2
		s := jackStance(open)
		hop := 0.03 * math.Sin(math.Pi*open) // metres
		hy := groundY - s.legDrop()*v.ppm/float64(v.h) - hop*v.ppm/float64(v.h)
		return v.pose(s, 0.5, hy, rng)
	})
}

// ease goes from 0 to 1 over [a, b] (seconds) with a cosine profile.
func ease(sec, a, b float64) float64 {
	switch {
	case sec <= a:
		return 0
	case sec >= b:
		return 1
	}
	return (1 - math.Cos(math.Pi*(sec-a)/(b-a))) / 2
}

func lerp(a, b, k float64) float64 { return a + (b-a)*k }

// fallFrames: standing 1 s with the hips at y=0.5, the hips drop to y=0.85 in 0.4 s as the knees
// give way, the body tips over to lying in 0.3 s, and lies still for 3 s.
func fallFrames(v view, seed uint64) []frame {
	rng := rand.New(rand.NewPCG(seed, 3))
	v.imgNoise, v.wNoise = 0.002, 0.005
	return sequence(30, 4700*time.Millisecond, func(sec float64) *schemas.Pose {
		drop := ease(sec, 1, 1.4)
		tip := ease(sec, 1.4, 1.7)
		s := stance{thigh: lerp(0, 50*(1-tip), drop), shin: lerp(0, 30*(1-tip), drop), torso: lerp(0, 20*(1-tip), drop), roll: 90 * tip}
		return v.pose(s, 0.5, lerp(0.5, 0.85, drop), rng)
	})
}

// sitFrames: standing 1 s, then sitting down on a chair over 2 s (hips from standing height to
// the seat), then sitting for 2 s.
func sitFrames(v view, seed uint64, down time.Duration) []frame {
	rng := rand.New(rand.NewPCG(seed, 4))
	v.imgNoise, v.wNoise = 0.002, 0.005
	return sequence(30, time.Second+down+2*time.Second, func(sec float64) *schemas.Pose {
		k := ease(sec, 1, 1+down.Seconds())
		s := stance{thigh: 90 * k, shin: 5 * k, torso: 5 * k}
		hx, hy := grounded(s)
		return v.pose(s, hx, hy, rng)
	})
}
