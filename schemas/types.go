package schemas

import (
	"encoding/json"
	"fmt"
	"time"
)

// The range of a frame's captured_at that holostream takes up (the gateway answers 400 outside
// it, the processor dead-letters with BAD_TIME): not before MinCapturedAt (a camera whose clock
// was never set sends 1970), not more than a clock skew ahead of the reader's clock (by default
// DefaultMaxClockSkew, Kafka's own default bound on a record's future timestamp). Inside it
// every time fits the int64 nanoseconds of the camera state and of Go's time arithmetic.
var MinCapturedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultMaxClockSkew: see MinCapturedAt.
const DefaultMaxClockSkew = time.Hour

// CheckCapturedAt says what is wrong with a capture time, or nil: before MinCapturedAt (a
// camera whose clock was never set), or more than skew after now (a clock far ahead, which would
// keep every later frame's order and staleness wrong).
// The gateway (400) and the landmarks processor (BAD_TIME) apply this one rule.
func CheckCapturedAt(at, now time.Time, skew time.Duration) error {
	if at.Before(MinCapturedAt) {
		return fmt.Errorf("captured_at %s is before %s: is the camera's clock set?", at.UTC().Format(time.RFC3339Nano), MinCapturedAt.Format(time.RFC3339))
	}
	if skew > 0 && at.After(now.Add(skew)) {
		return fmt.Errorf("captured_at %s is more than %v ahead of the receiver's clock (%s): check the camera's clock",
			at.UTC().Format(time.RFC3339Nano), skew, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// Frame is one camera frame on the frames topic (Frame.avsc). Key: camera id.
type Frame struct {
	CameraID    string            `json:"camera_id"`
	UserID      string            `json:"user_id"`
	Seq         int64             `json:"seq"`
	CapturedAt  time.Time         `json:"captured_at"`  // microsecond precision on the wire
	ContentType string            `json:"content_type"` // "image/jpeg", "image/png", "video/x-raw; format=BGR", ... (Frame.avsc)
	Width       int32             `json:"width"`        // 0 when the producer does not know
	Height      int32             `json:"height"`
	Image       []byte            `json:"image"`
	Attributes  map[string]string `json:"attributes"`
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
	X          float32 `json:"x"`
	Y          float32 `json:"y"`
	Z          float32 `json:"z"`
	Visibility float32 `json:"visibility"`
	Presence   float32 `json:"presence"`
}

// Point is a 3-D point: a world landmark in metres (Visibility set), or a face or hand landmark
// normalized like Landmark (Visibility 0).
type Point struct {
	X          float32 `json:"x"`
	Y          float32 `json:"y"`
	Z          float32 `json:"z"`
	Visibility float32 `json:"visibility"`
}

// Pose is 33 image landmarks and 33 world landmarks.
type Pose struct {
	Landmarks      []Landmark `json:"landmarks"`
	WorldLandmarks []Point    `json:"world_landmarks"`
}

// KeypointEvent is the landmarks of one accepted frame (KeypointEvent.avsc). Key: camera id.
type KeypointEvent struct {
	CameraID     string    `json:"camera_id"`
	UserID       string    `json:"user_id"`
	Seq          int64     `json:"seq"`
	CapturedAt   time.Time `json:"captured_at"`
	ProcessedAt  time.Time `json:"processed_at"`
	Status       Status    `json:"status"`
	Model        string    `json:"model"`
	Width        int32     `json:"width"`
	Height       int32     `json:"height"`
	Landmarks              // Pose nil when Status is NO_PERSON
	DetectorRan  bool      `json:"detector_ran"`
	ProcessingMs float32   `json:"processing_ms"` // decode + inference + state, in the processor
	// People is every person found, most confident first, when the landmark pipeline looks for
	// several people per frame; Landmarks is then People[0]'s. Nil otherwise: an empty array on
	// the wire (the schema's default, which a record written before the field reads as), and
	// [] in JSON. An empty array always reads back as nil.
	People People `json:"people"`
}

// People are the persons of a KeypointEvent. Its JSON is [] when empty, as on the wire.
type People []Person

// MarshalJSON is the people as a JSON array; [] for nil.
func (p People) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Person(p))
}

// UnmarshalJSON reads a JSON array of people; an empty one (or null) reads as nil, as an empty
// Avro array does.
func (p *People) UnmarshalJSON(b []byte) error {
	var s []Person
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if len(s) == 0 {
		s = nil
	}
	*p = s
	return nil
}

// Person is one person of a KeypointEvent: an id and the landmarks an event carries for one
// person (KeypointEvent.avsc's Person record, its fields those of Landmarks).
type Person struct {
	// ID is the person's track id, which follows the person across the camera's frames; for
	// now the person's index in the frame (see processors/landmarks).
	ID int64 `json:"id"`
	Landmarks
}

// Landmarks are what a landmark pipeline found in one image: the contract of "the landmarks of
// one image" that KeypointEvent carries (Avro, embedded: its fields are the event's pose, face,
// left_hand and right_hand, in that order) and that `holostream infer` and POST /v1/infer print
// (model.Output, a JSON view of it: the same numbers, its 3-D points without visibility).
// model.NewLandmarks is the one conversion from a pipeline result. Null means not found: Face,
// LeftHand and RightHand are set by the holistic pipelines only.
type Landmarks struct {
	Pose      *Pose   `json:"pose"`      // nil when no person was found
	Face      []Point `json:"face"`      // nil when absent (468 points with holistic, 478 with holistic-refined)
	LeftHand  []Point `json:"left_hand"` // nil when absent (21 points); the person's left
	RightHand []Point `json:"right_hand"`
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
	UserID          string     `json:"user_id"`
	CameraID        string     `json:"camera_id"`
	Seq             int64      `json:"seq"`
	At              time.Time  `json:"at"` // capture time of the frame that completed the action
	Kind            ActionKind `json:"kind"`
	Posture         Posture    `json:"posture"`          // the posture after the event
	PreviousPosture Posture    `json:"previous_posture"` // for POSTURE_CHANGED
	Exercise        string     `json:"exercise"`         // for REP: "SQUAT" or "JUMPING_JACK"
	RepCount        int32      `json:"rep_count"`        // for REP: the count so far in this session
	Confidence      float32    `json:"confidence"`
}

// PoseStats aggregates one user's keypoint events over an event-time window (PoseStats.avsc).
// Key: user id.
type PoseStats struct {
	UserID         string             `json:"user_id"`
	WindowStart    time.Time          `json:"window_start"`
	WindowEnd      time.Time          `json:"window_end"`
	Frames         int32              `json:"frames"`   // keypoint events in the window
	Detected       int32              `json:"detected"` // of which with a person
	DetectionRate  float32            `json:"detection_rate"`
	MeanAngles     map[string]float32 `json:"mean_angles"`     // joint name -> degrees, over detected frames
	MotionEnergy   float32            `json:"motion_energy"`   // mean squared landmark speed, (normalized units/s)^2
	PostureSeconds map[string]float32 `json:"posture_seconds"` // posture -> seconds spent
	Reps           map[string]int32   `json:"reps"`            // exercise -> reps completed in the window
	Falls          int32              `json:"falls"`
	LateEvents     int32              `json:"late_events"` // events that arrived after the window's end but within grace
}

// DeadLetter is an input record that could not be processed, with why (DeadLetter.avsc).
// Key: the original key.
type DeadLetter struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`    // what was wrong, for people
	Code      string    `json:"code"`      // machine-readable: EMPTY, NOT_IMAGE, TOO_LARGE, ... (DeadLetter.avsc)
	CameraID  string    `json:"camera_id"` // when the envelope could be read
	Seq       int64     `json:"seq"`       // when the envelope could be read; -1 otherwise
	At        time.Time `json:"at"`
	// Original is the record's value, or its first bytes when the whole would not fit in a
	// dead-letter record: OriginalSize and OriginalSHA256 always describe the whole value.
	Original       []byte `json:"original"`
	OriginalSize   int64  `json:"original_size"`   // -1: unknown (older writers) or a null value
	OriginalSHA256 string `json:"original_sha256"` // lowercase hex; "" when unknown
}
