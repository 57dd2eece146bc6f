package analytics

import (
	"time"

	"github.com/holostream/holostream/schemas"
)

// Joint names a measured angle.
type Joint int

// The joints of Angles. Limb angles are at the middle landmark of hip-knee-ankle (knee),
// shoulder-hip-knee (hip), shoulder-elbow-wrist (elbow) and hip-shoulder-elbow (shoulder): 180°
// is straight, and a hanging arm has a shoulder angle near 0°. Torso is the angle of hip centre ->
// shoulder centre from vertical: 0° upright, 90° horizontal.
const (
	LeftKnee Joint = iota
	RightKnee
	LeftHip
	RightHip
	LeftElbow
	RightElbow
	LeftShoulder
	RightShoulder
	Torso
	NumJoints
)

var jointNames = [NumJoints]string{
	"left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow",
	"left_shoulder", "right_shoulder", "torso",
}

// String is the joint's name in PoseStats.MeanAngles, e.g. "left_knee".
func (j Joint) String() string {
	if j < 0 || j >= NumJoints {
		return "joint?"
	}
	return jointNames[j]
}

// Angles are one pose's joint angles in degrees; Valid[j] says whether Deg[j] was measured (all
// three landmarks visible).
type Angles struct {
	Deg   [NumJoints]float32
	Valid [NumJoints]bool
}

// Get returns joint j's angle in degrees and whether it was measured.
func (a *Angles) Get(j Joint) (float64, bool) { return float64(a.Deg[j]), a.Valid[j] }

// Mean is the mean of the measured angles among l and r (a left/right pair).
func (a *Angles) Mean(l, r Joint) (float64, bool) {
	switch {
	case a.Valid[l] && a.Valid[r]:
		return (float64(a.Deg[l]) + float64(a.Deg[r])) / 2, true
	case a.Valid[l]:
		return float64(a.Deg[l]), true
	case a.Valid[r]:
		return float64(a.Deg[r]), true
	}
	return 0, false
}

// Posture thresholds, degrees. A standing adult has knees and hips at 170-180° and a torso within
// 10° of vertical; sitting on a chair puts knees and hips near 90° with the torso and shins near
// vertical; a squat bends the knees as much but leans the torso forward (to keep the centre of
// mass over the feet) and the shins forward over the toes.
const (
	lyingTorso      = 60  // torso at least this far from vertical...
	lyingLegs       = 45  // ...and legs too (when visible): straight legs under a bent torso is bending over
	straightKnee    = 150 // knees above: legs straight
	bentKnee        = 130 // knees below: legs bent (between: bent only if the hips are)
	bentHip         = 130 // hips below: bent at the hip
	squatLean       = 40  // torso lean + shin lean at or above: squatting, below: sitting
	floorSitLegs    = 60  // straight legs at least this far from vertical under an upright torso
	floorSitTorso   = 45  // ...with the torso within this of vertical: sitting on the floor
	seatedHipNoKnee = 130 // ankles hidden: hips below this is sitting (at a desk)
	uprightHip      = 150 // ankles hidden: hips above this with an upright torso is standing
	uprightTorso    = 30
)

// Classify gives a body's posture. Order: LYING (torso near horizontal), HANDS_RAISED (every
// visible wrist above the nose), then the legs: STANDING, SITTING or SQUATTING. UNKNOWN when the
// joints the decision needs are not visible.
func Classify(b *Body) schemas.Posture {
	torso, ok := b.Angles.Get(Torso)
	if !ok {
		return schemas.PostureUnknown
	}
	if torso >= lyingTorso && (!b.LegOK || b.LegLean >= lyingLegs) {
		return schemas.PostureLying
	}
	if b.HandsUp {
		return schemas.PostureHandsRaised
	}
	hip, hipOK := b.Angles.Mean(LeftHip, RightHip)
	knee, kneeOK := b.Angles.Mean(LeftKnee, RightKnee)
	if !kneeOK {
		switch {
		case hipOK && hip < seatedHipNoKnee:
			return schemas.PostureSitting
		case hipOK && hip >= uprightHip && torso < uprightTorso:
			return schemas.PostureStanding
		}
		return schemas.PostureUnknown
	}
	bent := knee < bentKnee || (knee < straightKnee && hipOK && hip < bentHip)
	if !bent {
		if b.LegOK && b.LegLean >= floorSitLegs && torso < floorSitTorso {
			return schemas.PostureSitting
		}
		return schemas.PostureStanding
	}
	lean := torso
	if b.ShinOK {
		lean += b.ShinLean
	}
	if lean >= squatLean {
		return schemas.PostureSquatting
	}
	return schemas.PostureSitting
}

// Debounce: a new posture is reported once it has held for debounceFrames consecutive frames or
// for debounceTime (measured between its first and latest frame, so at least two frames).
const (
	debounceFrames = 5
	debounceTime   = 300 * time.Millisecond
)

// PostureTracker debounces per-frame postures into reported posture changes. Plain data: it is
// part of UserState.
type PostureTracker struct {
	Current   schemas.Posture `json:"current,omitempty"` // reported; "" before the first report
	Candidate schemas.Posture `json:"candidate,omitempty"`
	Since     time.Time       `json:"since"` // the candidate's first frame
	Frames    int32           `json:"frames"`
}

// Reported is the current posture, UNKNOWN before the first change.
func (d *PostureTracker) Reported() schemas.Posture {
	if d.Current == "" {
		return schemas.PostureUnknown
	}
	return d.Current
}

// Update feeds one frame's posture at event time t. It reports the previous posture and true
// when the reported posture changes.
func (d *PostureTracker) Update(t time.Time, p schemas.Posture) (prev schemas.Posture, changed bool) {
	if p == d.Reported() {
		d.Candidate, d.Frames, d.Since = "", 0, time.Time{}
		return "", false
	}
	if p != d.Candidate {
		d.Candidate, d.Frames, d.Since = p, 1, t
		return "", false
	}
	d.Frames++
	if d.Frames < debounceFrames && t.Sub(d.Since) < debounceTime {
		return "", false
	}
	prev = d.Reported()
	d.Current, d.Candidate, d.Frames, d.Since = p, "", 0, time.Time{}
	return prev, true
}
