package schemas

import "time"

// Frame is one camera frame on the frames topic (Frame.avsc). Key: camera id.
type Frame struct {
	CameraID    string
	UserID      string
	Seq         int64
	CapturedAt  time.Time // microsecond precision on the wire
	ContentType string    // "image/jpeg" or "image/png"
	Width       int32     // 0 when the producer does not know
	Height      int32
	Image       []byte
	Attributes  map[string]string
}

// Status says whether a keypoint event carries a person.
type Status string

// The statuses of KeypointEvent.
const (
	StatusDetected Status = "DETECTED"
	StatusNoPerson Status = "NO_PERSON"
)

// Landmark is an image landmark: X, Y normalized by the frame's width and height, Z in the scale
// of X, Visibility and Presence in [0,1] (MediaPipe's conventions).
type Landmark struct {
	X, Y, Z, Visibility, Presence float32
}

// Point is a 3-D point: a world landmark in metres (Visibility set), or a face or hand landmark
// normalized like Landmark (Visibility 0).
type Point struct {
	X, Y, Z, Visibility float32
}

// Pose is 33 image landmarks and 33 world landmarks.
type Pose struct {
	Landmarks      []Landmark
	WorldLandmarks []Point
}

// KeypointEvent is the landmarks of one accepted frame (KeypointEvent.avsc). Key: camera id.
type KeypointEvent struct {
	CameraID     string
	UserID       string
	Seq          int64
	CapturedAt   time.Time
	ProcessedAt  time.Time
	Status       Status
	Model        string
	Width        int32
	Height       int32
	Pose         *Pose   // nil when Status is NO_PERSON
	Face         []Point // nil when absent (468 points with holistic)
	LeftHand     []Point // nil when absent (21 points)
	RightHand    []Point
	DetectorRan  bool
	ProcessingMs float32 // decode + inference + state, in the processor
}

// ActionKind is the kind of an ActionEvent.
type ActionKind string

// The action kinds.
const (
	ActionUnknown        ActionKind = "UNKNOWN" // a kind this reader does not know (Avro enum default)
	ActionPostureChanged ActionKind = "POSTURE_CHANGED"
	ActionRep            ActionKind = "REP"
	ActionFall           ActionKind = "FALL"
)

// Posture is a body posture classified from joint angles.
type Posture string

// The postures.
const (
	PostureUnknown     Posture = "UNKNOWN"
	PostureStanding    Posture = "STANDING"
	PostureSitting     Posture = "SITTING"
	PostureSquatting   Posture = "SQUATTING"
	PostureLying       Posture = "LYING"
	PostureHandsRaised Posture = "HANDS_RAISED"
)

// ActionEvent is a discrete action of one user (ActionEvent.avsc). Key: user id.
type ActionEvent struct {
	UserID          string
	CameraID        string
	Seq             int64
	At              time.Time // capture time of the frame that completed the action
	Kind            ActionKind
	Posture         Posture // the posture after the event
	PreviousPosture Posture // for POSTURE_CHANGED
	Exercise        string  // for REP: "SQUAT" or "JUMPING_JACK"
	RepCount        int32   // for REP: the count so far in this session
	Confidence      float32
}

// PoseStats aggregates one user's keypoint events over an event-time window (PoseStats.avsc).
// Key: user id.
type PoseStats struct {
	UserID         string
	WindowStart    time.Time
	WindowEnd      time.Time
	Frames         int32 // keypoint events in the window
	Detected       int32 // of which with a person
	DetectionRate  float32
	MeanAngles     map[string]float32 // joint name -> degrees, over detected frames
	MotionEnergy   float32            // mean squared landmark speed, (normalized units/s)^2
	PostureSeconds map[string]float32 // posture -> seconds spent
	Reps           map[string]int32   // exercise -> reps completed in the window
	Falls          int32
	LateEvents     int32 // events that arrived after the window's end but within grace
}

// DeadLetter is an input record that could not be processed, with why (DeadLetter.avsc).
// Key: the original key.
type DeadLetter struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Reason    string // what was wrong, for people
	Code      string // machine-readable: EMPTY, NOT_IMAGE, TOO_LARGE, CORRUPT_IMAGE, BAD_ENVELOPE, BAD_FRAME
	CameraID  string // when the envelope could be read
	Seq       int64  // when the envelope could be read; -1 otherwise
	At        time.Time
	Original  []byte
}
