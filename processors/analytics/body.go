package analytics

import (
	"math"

	"github.com/holostream/holostream/schemas"
)

// MinVisibility is the visibility a landmark needs to take part in any measurement.
const MinVisibility = 0.5

// MediaPipe pose landmark indices (pose_landmarks in MediaPipe's pose_landmark model card);
// odd = the person's left.
const (
	lmNose          = 0
	lmLeftShoulder  = 11
	lmRightShoulder = 12
	lmLeftElbow     = 13
	lmRightElbow    = 14
	lmLeftWrist     = 15
	lmRightWrist    = 16
	lmLeftHip       = 23
	lmRightHip      = 24
	lmLeftKnee      = 25
	lmRightKnee     = 26
	lmLeftAnkle     = 27
	lmRightAnkle    = 28
	numLandmarks    = 33
)

// limbLandmarks are the landmarks whose mean visibility is Body.Confidence.
var limbLandmarks = [...]int{
	lmLeftShoulder, lmRightShoulder, lmLeftElbow, lmRightElbow, lmLeftWrist, lmRightWrist,
	lmLeftHip, lmRightHip, lmLeftKnee, lmRightKnee, lmLeftAnkle, lmRightAnkle,
}

// Body is the geometry of one pose, measured once per frame and shared by the posture
// classifier, the rep counters and the fall detector. Angles and ratios come from the world
// landmarks when the pose has them (metres, scale-free), else from the image landmarks in pixels.
// The fall fields (HipY, Scale) always come from the image landmarks: world landmarks are
// centred on the hips, so they cannot see the hips move.
type Body struct {
	Angles Angles

	// ShinLean is the mean angle of the shins (knee over ankle) from vertical, degrees.
	ShinLean float64
	ShinOK   bool
	// LegLean is the angle of hip centre -> ankle centre from straight down, degrees.
	LegLean float64
	LegOK   bool

	// HandsUp: at least one wrist and the nose are visible and every visible wrist is above
	// the nose.
	HandsUp bool

	// ArmRaiseMin and ArmRaiseMax are, over both wrists, the height of the wrist above the
	// shoulder line in torso lengths (positive = above). ArmsOK needs both wrists, both shoulders
	// and a hip.
	ArmRaiseMin, ArmRaiseMax float64
	ArmsOK                   bool
	// FeetSpread is the horizontal distance between the ankles over the shoulder width.
	FeetSpread float64
	FeetOK     bool

	// HipY is the hip centre's image y in pixels (y down; normalized units when the frame size
	// is unknown); Scale is the body's length in the same units: shoulder centre to hip centre
	// plus hip centre to ankle centre (or torsoToBody torso lengths when no ankle is visible).
	HipY, Scale float64
	HipOK       bool

	// Confidence is the mean visibility of the shoulders, elbows, wrists, hips, knees and ankles.
	Confidence float64
}

// torsoToBody is shoulder-hip-ankle span over shoulder-hip length for an adult (hip to ankle is
// about 1.8 torso lengths), used for the fall scale when the ankles are out of view.
const torsoToBody = 2.8

type vec3 struct{ x, y, z float64 }

func (a vec3) sub(b vec3) vec3     { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec3) mid(b vec3) vec3     { return vec3{(a.x + b.x) / 2, (a.y + b.y) / 2, (a.z + b.z) / 2} }
func (a vec3) dot(b vec3) float64  { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) norm() float64       { return math.Sqrt(a.dot(a)) }
func (a vec3) horizontal() float64 { return math.Hypot(a.x, a.z) }
func (a vec3) dist(b vec3) float64 { return a.sub(b).norm() }

// maxCoord bounds usable coordinates: normalized image coordinates a little outside [0,1] are
// normal (a limb out of frame), world coordinates are metres from the hips; anything beyond is a
// broken model output, and keeping it out keeps every sum in the state finite.
const maxCoord = 100

// usable reports whether coordinates are finite and within maxCoord.
func usable(vs ...float32) bool {
	for _, v := range vs {
		if !(math.Abs(float64(v)) <= maxCoord) { // false for NaN too
			return false
		}
	}
	return true
}

var (
	up   = vec3{0, -1, 0} // y points down in both image and MediaPipe world coordinates
	down = vec3{0, 1, 0}
)

// skeleton is one frame's landmarks in one coordinate system; ok has bit i set when landmark i
// is visible enough to use.
type skeleton struct {
	p  [numLandmarks]vec3
	ok uint64
}

func (s *skeleton) has(i int) bool { return s.ok&(1<<i) != 0 }

// centre is the midpoint of two landmarks, or the one that is visible.
func (s *skeleton) centre(a, b int) (vec3, bool) {
	switch {
	case s.has(a) && s.has(b):
		return s.p[a].mid(s.p[b]), true
	case s.has(a):
		return s.p[a], true
	case s.has(b):
		return s.p[b], true
	}
	return vec3{}, false
}

// angle is the angle at b between a and c, degrees.
func (s *skeleton) angle(a, b, c int) (float64, bool) {
	if !s.has(a) || !s.has(b) || !s.has(c) {
		return 0, false
	}
	return angleBetween(s.p[a].sub(s.p[b]), s.p[c].sub(s.p[b]))
}

// angleBetween is the angle between two vectors, degrees; false for a zero-length vector.
func angleBetween(u, v vec3) (float64, bool) {
	nu, nv := u.norm(), v.norm()
	if nu < 1e-9 || nv < 1e-9 {
		return 0, false
	}
	c := u.dot(v) / (nu * nv)
	return math.Acos(math.Max(-1, math.Min(1, c))) * 180 / math.Pi, true
}

// visibility of landmark i: the image landmark's when there is one (MediaPipe gives world
// landmarks the same visibility), else the world point's.
func visibility(p *schemas.Pose, i int) float32 {
	if i < len(p.Landmarks) {
		return p.Landmarks[i].Visibility
	}
	if i < len(p.WorldLandmarks) {
		return p.WorldLandmarks[i].Visibility
	}
	return 0
}

// imageSkeleton puts the image landmarks in pixels (x*width, y*height, z = 0): 2-D angles in
// pixels are the angles one sees in the picture; MediaPipe's image z is too noisy to use.
func imageSkeleton(p *schemas.Pose, width, height int32) skeleton {
	w, h := float64(width), float64(height)
	if w <= 0 || h <= 0 {
		w, h = 1, 1
	}
	var s skeleton
	for i := 0; i < numLandmarks && i < len(p.Landmarks); i++ {
		l := p.Landmarks[i]
		if l.Visibility >= MinVisibility && usable(l.X, l.Y) {
			s.p[i] = vec3{float64(l.X) * w, float64(l.Y) * h, 0}
			s.ok |= 1 << i
		}
	}
	return s
}

// worldSkeleton is the world landmarks in metres.
func worldSkeleton(p *schemas.Pose) skeleton {
	var s skeleton
	for i := 0; i < numLandmarks && i < len(p.WorldLandmarks); i++ {
		w := p.WorldLandmarks[i]
		if visibility(p, i) >= MinVisibility && usable(w.X, w.Y, w.Z) {
			s.p[i] = vec3{float64(w.X), float64(w.Y), float64(w.Z)}
			s.ok |= 1 << i
		}
	}
	return s
}

// Measure measures a pose. width and height are the frame's size in pixels (KeypointEvent.Width
// and Height); when unknown (0) the image is taken as square. A nil pose measures nothing.
func Measure(p *schemas.Pose, width, height int32) Body {
	var b Body
	if p == nil {
		return b
	}
	img := imageSkeleton(p, width, height)
	sk := &img
	var world skeleton
	if len(p.WorldLandmarks) >= numLandmarks {
		world = worldSkeleton(p)
		sk = &world
	}
	b.Angles = measureAngles(sk)
	b.measureLegs(sk)
	b.measureArms(sk)
	b.measureFall(&img)
	b.Confidence = confidence(p)
	return b
}

func measureAngles(s *skeleton) Angles {
	var a Angles
	set := func(j Joint, deg float64, ok bool) { a.Deg[j], a.Valid[j] = float32(deg), ok }
	set(tupleAngle(s, LeftKnee))
	set(tupleAngle(s, RightKnee))
	set(tupleAngle(s, LeftHip))
	set(tupleAngle(s, RightHip))
	set(tupleAngle(s, LeftElbow))
	set(tupleAngle(s, RightElbow))
	set(tupleAngle(s, LeftShoulder))
	set(tupleAngle(s, RightShoulder))
	sh, okS := s.centre(lmLeftShoulder, lmRightShoulder)
	hip, okH := s.centre(lmLeftHip, lmRightHip)
	if okS && okH {
		deg, ok := angleBetween(sh.sub(hip), up)
		set(Torso, deg, ok)
	}
	return a
}

// jointLandmarks are the three landmarks whose middle one is the joint's vertex.
var jointLandmarks = [NumJoints][3]int{
	LeftKnee:      {lmLeftHip, lmLeftKnee, lmLeftAnkle},
	RightKnee:     {lmRightHip, lmRightKnee, lmRightAnkle},
	LeftHip:       {lmLeftShoulder, lmLeftHip, lmLeftKnee},
	RightHip:      {lmRightShoulder, lmRightHip, lmRightKnee},
	LeftElbow:     {lmLeftShoulder, lmLeftElbow, lmLeftWrist},
	RightElbow:    {lmRightShoulder, lmRightElbow, lmRightWrist},
	LeftShoulder:  {lmLeftHip, lmLeftShoulder, lmLeftElbow},
	RightShoulder: {lmRightHip, lmRightShoulder, lmRightElbow},
}

func tupleAngle(s *skeleton, j Joint) (Joint, float64, bool) {
	t := jointLandmarks[j]
	deg, ok := s.angle(t[0], t[1], t[2])
	return j, deg, ok
}

func (b *Body) measureLegs(s *skeleton) {
	var sum float64
	var n int
	for _, side := range [2][2]int{{lmLeftKnee, lmLeftAnkle}, {lmRightKnee, lmRightAnkle}} {
		if s.has(side[0]) && s.has(side[1]) {
			if deg, ok := angleBetween(s.p[side[0]].sub(s.p[side[1]]), up); ok {
				sum += deg
				n++
			}
		}
	}
	if n > 0 {
		b.ShinLean, b.ShinOK = sum/float64(n), true
	}
	hip, okH := s.centre(lmLeftHip, lmRightHip)
	ankle, okA := s.centre(lmLeftAnkle, lmRightAnkle)
	if okH && okA {
		b.LegLean, b.LegOK = angleBetween(ankle.sub(hip), down)
	}
	lsh, rsh := s.p[lmLeftShoulder], s.p[lmRightShoulder]
	if s.has(lmLeftAnkle) && s.has(lmRightAnkle) && s.has(lmLeftShoulder) && s.has(lmRightShoulder) {
		if width := lsh.sub(rsh).horizontal(); width > 1e-9 {
			b.FeetSpread = s.p[lmLeftAnkle].sub(s.p[lmRightAnkle]).horizontal() / width
			b.FeetOK = true
		}
	}
}

func (b *Body) measureArms(s *skeleton) {
	if s.has(lmNose) && (s.has(lmLeftWrist) || s.has(lmRightWrist)) {
		b.HandsUp = true
		for _, w := range [2]int{lmLeftWrist, lmRightWrist} {
			if s.has(w) && s.p[w].y >= s.p[lmNose].y {
				b.HandsUp = false
			}
		}
	}
	if !s.has(lmLeftWrist) || !s.has(lmRightWrist) || !s.has(lmLeftShoulder) || !s.has(lmRightShoulder) {
		return
	}
	sh := s.p[lmLeftShoulder].mid(s.p[lmRightShoulder])
	hip, ok := s.centre(lmLeftHip, lmRightHip)
	if !ok {
		return
	}
	torso := sh.dist(hip)
	if torso < 1e-9 {
		return
	}
	l := (sh.y - s.p[lmLeftWrist].y) / torso
	r := (sh.y - s.p[lmRightWrist].y) / torso
	b.ArmRaiseMin, b.ArmRaiseMax, b.ArmsOK = math.Min(l, r), math.Max(l, r), true
}

func (b *Body) measureFall(img *skeleton) {
	hip, okH := img.centre(lmLeftHip, lmRightHip)
	sh, okS := img.centre(lmLeftShoulder, lmRightShoulder)
	if !okH || !okS {
		return
	}
	torso := sh.dist(hip)
	scale := torsoToBody * torso
	if ankle, ok := img.centre(lmLeftAnkle, lmRightAnkle); ok {
		scale = torso + hip.dist(ankle)
	}
	if scale < 1e-9 {
		return
	}
	b.HipY, b.Scale, b.HipOK = hip.y, scale, true
}

func confidence(p *schemas.Pose) float64 {
	var sum float64
	for _, i := range limbLandmarks {
		if v := float64(visibility(p, i)); v > 0 { // false for NaN
			sum += math.Min(1, v)
		}
	}
	return sum / float64(len(limbLandmarks))
}
