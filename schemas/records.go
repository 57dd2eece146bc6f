package schemas

import (
	"slices"
	"time"
)

// The records of the .avsc files, each field declared once, in schema order (see record). The
// binary encoding and goavro's native form of every contract derive from these.

var statusEnum = &enum[Status]{name: "Status", branch: "holostream.v1.Status",
	symbols: []Status{StatusDetected, StatusNoPerson}} // no default: a new status is a breaking change

var actionKindEnum = &enum[ActionKind]{name: "ActionKind", branch: "holostream.v1.ActionKind",
	symbols: []ActionKind{ActionUnknown, ActionPostureChanged, ActionRep, ActionFall}, def: ActionUnknown}

var postureEnum = &enum[Posture]{name: "Posture", branch: "holostream.v1.Posture",
	symbols: []Posture{PostureUnknown, PostureStanding, PostureSitting, PostureSquatting, PostureLying, PostureHandsRaised},
	def:     PostureUnknown}

var frameRecord = &record[Frame]{name: "Frame", fields: []field[Frame]{
	stringField("camera_id", func(f *Frame) *string { return &f.CameraID }),
	stringField("user_id", func(f *Frame) *string { return &f.UserID }),
	longField("seq", 0, func(f *Frame) *int64 { return &f.Seq }),
	timeField("captured_at", func(f *Frame) *time.Time { return &f.CapturedAt }),
	stringField("content_type", func(f *Frame) *string { return &f.ContentType }),
	intField("width", func(f *Frame) *int32 { return &f.Width }),
	intField("height", func(f *Frame) *int32 { return &f.Height }),
	bytesField("image", func(f *Frame) *[]byte { return &f.Image }),
	mapField("attributes", stringValues, func(f *Frame) *map[string]string { return &f.Attributes }),
}}

// Landmark and Point are described by their Go types (see newFloatRecord).
var (
	landmarkItems = newFloatRecord[Landmark]("Landmark")
	pointItems    = newFloatRecord[Point]("Point")
)

var poseRecord = &record[Pose]{name: "Pose", fields: []field[Pose]{
	arrayField("landmarks", landmarkItems, func(p *Pose) *[]Landmark { return &p.Landmarks }),
	arrayField("world_landmarks", pointItems, func(p *Pose) *[]Point { return &p.WorldLandmarks }),
}}

// landmarksFields are the fields of Landmarks (pose, face, left_hand, right_hand), in a record
// of T that carries them: KeypointEvent at its top level, and each of its people.
func landmarksFields[T any](get func(*T) *Landmarks) []field[T] {
	return []field[T]{
		optRecordField("pose", "holostream.v1.Pose", poseRecord, func(v *T) **Pose { return &get(v).Pose }),
		optArrayField("face", pointItems, func(v *T) *[]Point { return &get(v).Face }),
		optArrayField("left_hand", pointItems, func(v *T) *[]Point { return &get(v).LeftHand }),
		optArrayField("right_hand", pointItems, func(v *T) *[]Point { return &get(v).RightHand }),
	}
}

var personRecord = &record[Person]{name: "Person", fields: slices.Concat(
	[]field[Person]{longField("id", 0, func(p *Person) *int64 { return &p.ID })},
	landmarksFields(func(p *Person) *Landmarks { return &p.Landmarks }),
)}

var keypointEventRecord = &record[KeypointEvent]{name: "KeypointEvent", fields: slices.Concat(
	[]field[KeypointEvent]{
		stringField("camera_id", func(e *KeypointEvent) *string { return &e.CameraID }),
		stringField("user_id", func(e *KeypointEvent) *string { return &e.UserID }),
		longField("seq", 0, func(e *KeypointEvent) *int64 { return &e.Seq }),
		timeField("captured_at", func(e *KeypointEvent) *time.Time { return &e.CapturedAt }),
		timeField("processed_at", func(e *KeypointEvent) *time.Time { return &e.ProcessedAt }),
		enumField("status", statusEnum, func(e *KeypointEvent) *Status { return &e.Status }),
		stringField("model", func(e *KeypointEvent) *string { return &e.Model }),
		intField("width", func(e *KeypointEvent) *int32 { return &e.Width }),
		intField("height", func(e *KeypointEvent) *int32 { return &e.Height }),
	},
	landmarksFields(func(e *KeypointEvent) *Landmarks { return &e.Landmarks }),
	[]field[KeypointEvent]{
		boolField("detector_ran", func(e *KeypointEvent) *bool { return &e.DetectorRan }),
		floatField("processing_ms", func(e *KeypointEvent) *float32 { return &e.ProcessingMs }),
		recordArrayField("people", personRecord, func(e *KeypointEvent) *[]Person { return (*[]Person)(&e.People) }),
	},
)}

// An empty Kind or Posture is written as UNKNOWN, an empty PreviousPosture or Exercise as null;
// symbols this reader does not know read as UNKNOWN.
var actionEventRecord = &record[ActionEvent]{name: "ActionEvent", fields: []field[ActionEvent]{
	stringField("user_id", func(e *ActionEvent) *string { return &e.UserID }),
	stringField("camera_id", func(e *ActionEvent) *string { return &e.CameraID }),
	longField("seq", 0, func(e *ActionEvent) *int64 { return &e.Seq }),
	timeField("at", func(e *ActionEvent) *time.Time { return &e.At }),
	enumField("kind", actionKindEnum, func(e *ActionEvent) *ActionKind { return &e.Kind }),
	enumField("posture", postureEnum, func(e *ActionEvent) *Posture { return &e.Posture }),
	optEnumField("previous_posture", postureEnum, func(e *ActionEvent) *Posture { return &e.PreviousPosture }),
	optStringField("exercise", func(e *ActionEvent) *string { return &e.Exercise }),
	intField("rep_count", func(e *ActionEvent) *int32 { return &e.RepCount }),
	floatField("confidence", func(e *ActionEvent) *float32 { return &e.Confidence }),
}}

var poseStatsRecord = &record[PoseStats]{name: "PoseStats", fields: []field[PoseStats]{
	stringField("user_id", func(s *PoseStats) *string { return &s.UserID }),
	timeField("window_start", func(s *PoseStats) *time.Time { return &s.WindowStart }),
	timeField("window_end", func(s *PoseStats) *time.Time { return &s.WindowEnd }),
	intField("frames", func(s *PoseStats) *int32 { return &s.Frames }),
	intField("detected", func(s *PoseStats) *int32 { return &s.Detected }),
	floatField("detection_rate", func(s *PoseStats) *float32 { return &s.DetectionRate }),
	mapField("mean_angles", floatValues, func(s *PoseStats) *map[string]float32 { return &s.MeanAngles }),
	floatField("motion_energy", func(s *PoseStats) *float32 { return &s.MotionEnergy }),
	mapField("posture_seconds", floatValues, func(s *PoseStats) *map[string]float32 { return &s.PostureSeconds }),
	mapField("reps", intValues, func(s *PoseStats) *map[string]int32 { return &s.Reps }),
	intField("falls", func(s *PoseStats) *int32 { return &s.Falls }),
	intField("late_events", func(s *PoseStats) *int32 { return &s.LateEvents }),
}}

// A DeadLetter written before seq, original_size existed reads them as -1 (unknown), the
// schema's defaults.
var deadLetterRecord = &record[DeadLetter]{name: "DeadLetter", fields: []field[DeadLetter]{
	stringField("topic", func(d *DeadLetter) *string { return &d.Topic }),
	intField("partition", func(d *DeadLetter) *int32 { return &d.Partition }),
	longField("offset", 0, func(d *DeadLetter) *int64 { return &d.Offset }),
	stringField("key", func(d *DeadLetter) *string { return &d.Key }),
	stringField("reason", func(d *DeadLetter) *string { return &d.Reason }),
	stringField("code", func(d *DeadLetter) *string { return &d.Code }),
	stringField("camera_id", func(d *DeadLetter) *string { return &d.CameraID }),
	longField("seq", -1, func(d *DeadLetter) *int64 { return &d.Seq }),
	timeField("at", func(d *DeadLetter) *time.Time { return &d.At }),
	bytesField("original", func(d *DeadLetter) *[]byte { return &d.Original }),
	longField("original_size", -1, func(d *DeadLetter) *int64 { return &d.OriginalSize }),
	stringField("original_sha256", func(d *DeadLetter) *string { return &d.OriginalSHA256 }),
}}
