package schemas

import (
	"fmt"
	"time"
)

// Union branch names as goavro spells them: the full name of a named type, else the type.
const (
	branchPose    = "holostream.v1.Pose"
	branchPosture = "holostream.v1.Posture"
	branchArray   = "array"
	branchString  = "string"
)

// FrameToNative is f in goavro's native form for Frame.avsc.
func FrameToNative(f Frame) map[string]any {
	attrs := make(map[string]any, len(f.Attributes))
	for k, v := range f.Attributes {
		attrs[k] = v
	}
	return map[string]any{
		"camera_id":    f.CameraID,
		"user_id":      f.UserID,
		"seq":          f.Seq,
		"captured_at":  f.CapturedAt,
		"content_type": f.ContentType,
		"width":        f.Width,
		"height":       f.Height,
		"image":        f.Image,
		"attributes":   attrs,
	}
}

// FrameFromNative reads a Frame from goavro's native form, tolerantly (see the package doc).
// Image shares memory with m's bytes, which goavro takes from the decoded message.
func FrameFromNative(m map[string]any) (Frame, error) {
	r := reader{rec: "Frame", m: m}
	f := Frame{
		CameraID:    r.str("camera_id"),
		UserID:      r.str("user_id"),
		Seq:         r.long("seq", 0),
		CapturedAt:  r.time("captured_at"),
		ContentType: r.str("content_type"),
		Width:       r.int("width"),
		Height:      r.int("height"),
		Image:       r.bytes("image"),
		Attributes:  r.stringMap("attributes"),
	}
	return f, r.err
}

// KeypointEventToNative is e in goavro's native form for KeypointEvent.avsc.
func KeypointEventToNative(e KeypointEvent) map[string]any {
	return map[string]any{
		"camera_id":     e.CameraID,
		"user_id":       e.UserID,
		"seq":           e.Seq,
		"captured_at":   e.CapturedAt,
		"processed_at":  e.ProcessedAt,
		"status":        string(e.Status),
		"model":         e.Model,
		"width":         e.Width,
		"height":        e.Height,
		"pose":          poseNative(e.Pose),
		"face":          pointsUnion(e.Face),
		"left_hand":     pointsUnion(e.LeftHand),
		"right_hand":    pointsUnion(e.RightHand),
		"detector_ran":  e.DetectorRan,
		"processing_ms": e.ProcessingMs,
	}
}

func poseNative(p *Pose) any {
	if p == nil {
		return nil
	}
	lms := make([]any, len(p.Landmarks))
	for i, l := range p.Landmarks {
		lms[i] = map[string]any{"x": l.X, "y": l.Y, "z": l.Z, "visibility": l.Visibility, "presence": l.Presence}
	}
	return map[string]any{branchPose: map[string]any{"landmarks": lms, "world_landmarks": pointsNative(p.WorldLandmarks)}}
}

func pointsUnion(ps []Point) any {
	if ps == nil {
		return nil
	}
	return map[string]any{branchArray: pointsNative(ps)}
}

func pointsNative(ps []Point) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = map[string]any{"x": p.X, "y": p.Y, "z": p.Z, "visibility": p.Visibility}
	}
	return out
}

// KeypointEventFromNative reads a KeypointEvent from goavro's native form, tolerantly (see the
// package doc). A status symbol other than DETECTED and NO_PERSON is an error: Status has no
// default.
func KeypointEventFromNative(m map[string]any) (KeypointEvent, error) {
	r := reader{rec: "KeypointEvent", m: m}
	e := KeypointEvent{
		CameraID:    r.str("camera_id"),
		UserID:      r.str("user_id"),
		Seq:         r.long("seq", 0),
		CapturedAt:  r.time("captured_at"),
		ProcessedAt: r.time("processed_at"),
		Status:      r.status("status"),
		Model:       r.str("model"),
		Width:       r.int("width"),
		Height:      r.int("height"),
		Landmarks: Landmarks{
			Pose:      r.pose("pose"),
			Face:      r.points("face", r.union("face")),
			LeftHand:  r.points("left_hand", r.union("left_hand")),
			RightHand: r.points("right_hand", r.union("right_hand")),
		},
		DetectorRan:  r.bool("detector_ran"),
		ProcessingMs: r.float("processing_ms"),
	}
	return e, r.err
}

// ActionEventToNative is e in goavro's native form for ActionEvent.avsc. An empty Kind or
// Posture is written as UNKNOWN; an empty PreviousPosture or Exercise as null.
func ActionEventToNative(e ActionEvent) map[string]any {
	var prev, exercise any
	if e.PreviousPosture != "" {
		prev = map[string]any{branchPosture: string(e.PreviousPosture)}
	}
	if e.Exercise != "" {
		exercise = map[string]any{branchString: e.Exercise}
	}
	return map[string]any{
		"user_id":          e.UserID,
		"camera_id":        e.CameraID,
		"seq":              e.Seq,
		"at":               e.At,
		"kind":             orUnknown(string(e.Kind)),
		"posture":          orUnknown(string(e.Posture)),
		"previous_posture": prev,
		"exercise":         exercise,
		"rep_count":        e.RepCount,
		"confidence":       e.Confidence,
	}
}

func orUnknown(symbol string) string {
	if symbol == "" {
		return "UNKNOWN"
	}
	return symbol
}

// ActionEventFromNative reads an ActionEvent from goavro's native form, tolerantly (see the
// package doc); unknown kinds and postures read as UNKNOWN.
func ActionEventFromNative(m map[string]any) (ActionEvent, error) {
	r := reader{rec: "ActionEvent", m: m}
	e := ActionEvent{
		UserID:     r.str("user_id"),
		CameraID:   r.str("camera_id"),
		Seq:        r.long("seq", 0),
		At:         r.time("at"),
		Kind:       actionKind(r.str("kind")),
		Posture:    posture(r.str("posture")),
		Exercise:   r.str("exercise"),
		RepCount:   r.int("rep_count"),
		Confidence: r.float("confidence"),
	}
	if p := r.str("previous_posture"); p != "" {
		e.PreviousPosture = posture(p)
	}
	return e, r.err
}

// actionKind maps a symbol to an ActionKind, UNKNOWN for symbols this reader does not know:
// the enum's Avro default.
func actionKind(symbol string) ActionKind {
	switch k := ActionKind(symbol); k {
	case ActionPostureChanged, ActionRep, ActionFall:
		return k
	}
	return ActionUnknown
}

// posture maps a symbol to a Posture, UNKNOWN for symbols this reader does not know.
func posture(symbol string) Posture {
	switch p := Posture(symbol); p {
	case PostureStanding, PostureSitting, PostureSquatting, PostureLying, PostureHandsRaised:
		return p
	}
	return PostureUnknown
}

// PoseStatsToNative is s in goavro's native form for PoseStats.avsc.
func PoseStatsToNative(s PoseStats) map[string]any {
	return map[string]any{
		"user_id":         s.UserID,
		"window_start":    s.WindowStart,
		"window_end":      s.WindowEnd,
		"frames":          s.Frames,
		"detected":        s.Detected,
		"detection_rate":  s.DetectionRate,
		"mean_angles":     anyMap(s.MeanAngles),
		"motion_energy":   s.MotionEnergy,
		"posture_seconds": anyMap(s.PostureSeconds),
		"reps":            anyMap(s.Reps),
		"falls":           s.Falls,
		"late_events":     s.LateEvents,
	}
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// PoseStatsFromNative reads a PoseStats from goavro's native form, tolerantly (see the package
// doc).
func PoseStatsFromNative(m map[string]any) (PoseStats, error) {
	r := reader{rec: "PoseStats", m: m}
	s := PoseStats{
		UserID:         r.str("user_id"),
		WindowStart:    r.time("window_start"),
		WindowEnd:      r.time("window_end"),
		Frames:         r.int("frames"),
		Detected:       r.int("detected"),
		DetectionRate:  r.float("detection_rate"),
		MeanAngles:     r.floatMap("mean_angles"),
		MotionEnergy:   r.float("motion_energy"),
		PostureSeconds: r.floatMap("posture_seconds"),
		Reps:           r.intMap("reps"),
		Falls:          r.int("falls"),
		LateEvents:     r.int("late_events"),
	}
	return s, r.err
}

// DeadLetterToNative is d in goavro's native form for DeadLetter.avsc.
func DeadLetterToNative(d DeadLetter) map[string]any {
	return map[string]any{
		"topic":           d.Topic,
		"partition":       d.Partition,
		"offset":          d.Offset,
		"key":             d.Key,
		"reason":          d.Reason,
		"code":            d.Code,
		"camera_id":       d.CameraID,
		"seq":             d.Seq,
		"at":              d.At,
		"original":        d.Original,
		"original_size":   d.OriginalSize,
		"original_sha256": d.OriginalSHA256,
	}
}

// DeadLetterFromNative reads a DeadLetter from goavro's native form, tolerantly (see the package
// doc); a missing seq reads as -1. Original shares memory with m's bytes.
func DeadLetterFromNative(m map[string]any) (DeadLetter, error) {
	r := reader{rec: "DeadLetter", m: m}
	d := DeadLetter{
		Topic:     r.str("topic"),
		Partition: r.int("partition"),
		Offset:    r.long("offset", 0),
		Key:       r.str("key"),
		Reason:    r.str("reason"),
		Code:      r.str("code"),
		CameraID:  r.str("camera_id"),
		Seq:       r.long("seq", -1),
		At:        r.time("at"),
		Original:  r.bytes("original"),
		// Written before these fields existed: size unknown.
		OriginalSize:   r.long("original_size", -1),
		OriginalSHA256: r.str("original_sha256"),
	}
	return d, r.err
}

// reader reads one record's native form tolerantly: a missing field reads as its default,
// fields it does not ask for are ignored, Avro's promotions are accepted, and the first field
// of a type it cannot read is kept in err.
type reader struct {
	rec string // record name, for errors
	m   map[string]any
	err error
}

func (r *reader) fail(field string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("schemas: %s.%s: got %T, want %s", r.rec, field, v, want)
	}
}

// union is a field's value with a union's branch (goavro's map[string]any{branch: value})
// taken off; a field that is not a union is returned as is.
func (r *reader) union(field string) any {
	v := r.m[field]
	if u, ok := v.(map[string]any); ok && len(u) == 1 {
		for _, x := range u {
			return x
		}
	}
	return v
}

func (r *reader) str(field string) string {
	switch v := r.union(field).(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	default:
		r.fail(field, v, "string")
		return ""
	}
}

func (r *reader) bytes(field string) []byte {
	switch v := r.union(field).(type) {
	case nil:
		return nil
	case []byte:
		return v
	case string:
		return []byte(v)
	default:
		r.fail(field, v, "bytes")
		return nil
	}
}

func (r *reader) bool(field string) bool {
	switch v := r.union(field).(type) {
	case nil:
		return false
	case bool:
		return v
	default:
		r.fail(field, v, "boolean")
		return false
	}
}

func (r *reader) long(field string, def int64) int64 {
	switch v := r.union(field).(type) {
	case nil:
		return def
	case int64:
		return v
	case int32:
		return int64(v)
	default:
		r.fail(field, v, "long")
		return def
	}
}

func (r *reader) int(field string) int32 {
	switch v := r.union(field).(type) {
	case nil:
		return 0
	case int32:
		return v
	default:
		r.fail(field, v, "int")
		return 0
	}
}

func (r *reader) float(field string) float32 {
	f, ok := toFloat(r.union(field))
	if !ok {
		r.fail(field, r.union(field), "float")
	}
	return f
}

// toFloat reads a float, or a value Avro promotes to one; nil reads as 0.
func toFloat(v any) (float32, bool) {
	switch v := v.(type) {
	case nil:
		return 0, true
	case float32:
		return v, true
	case float64:
		return float32(v), true
	case int32:
		return float32(v), true
	case int64:
		return float32(v), true
	}
	return 0, false
}

// time reads a timestamp-micros; a writer without the logical type gives plain microseconds.
func (r *reader) time(field string) time.Time {
	switch v := r.union(field).(type) {
	case nil:
		return time.Time{}
	case time.Time:
		return v
	case int64:
		return time.UnixMicro(v).UTC()
	default:
		r.fail(field, v, "timestamp-micros")
		return time.Time{}
	}
}

func (r *reader) status(field string) Status {
	switch s := Status(r.str(field)); s {
	case StatusDetected, StatusNoPerson:
		return s
	default:
		if r.err == nil {
			r.err = fmt.Errorf("schemas: %s.%s: unknown symbol %q, and Status has no default", r.rec, field, s)
		}
		return ""
	}
}

func (r *reader) pose(field string) *Pose {
	switch v := r.union(field).(type) {
	case nil:
		return nil
	case map[string]any:
		pr := reader{rec: "Pose", m: v}
		p := &Pose{Landmarks: pr.landmarks("landmarks"), WorldLandmarks: pr.points("world_landmarks", v["world_landmarks"])}
		if pr.err != nil && r.err == nil {
			r.err = fmt.Errorf("schemas: %s.%s: %w", r.rec, field, pr.err)
		}
		return p
	default:
		r.fail(field, v, "Pose")
		return nil
	}
}

func (r *reader) landmarks(field string) []Landmark {
	items, ok := r.m[field].([]any)
	if !ok {
		if r.m[field] != nil {
			r.fail(field, r.m[field], "array of Landmark")
		}
		return nil
	}
	out := make([]Landmark, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			r.fail(fmt.Sprintf("%s[%d]", field, i), it, "Landmark")
			return nil
		}
		lr := reader{rec: "Landmark", m: m}
		out[i] = Landmark{X: lr.float("x"), Y: lr.float("y"), Z: lr.float("z"), Visibility: lr.float("visibility"), Presence: lr.float("presence")}
		if lr.err != nil && r.err == nil {
			r.err = fmt.Errorf("schemas: %s.%s[%d]: %w", r.rec, field, i, lr.err)
		}
	}
	return out
}

// points reads an array of Point, v being the field's value with any union branch taken off.
func (r *reader) points(field string, v any) []Point {
	items, ok := v.([]any)
	if !ok {
		if v != nil {
			r.fail(field, v, "array of Point")
		}
		return nil
	}
	out := make([]Point, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			r.fail(fmt.Sprintf("%s[%d]", field, i), it, "Point")
			return nil
		}
		pr := reader{rec: "Point", m: m}
		out[i] = Point{X: pr.float("x"), Y: pr.float("y"), Z: pr.float("z"), Visibility: pr.float("visibility")}
		if pr.err != nil && r.err == nil {
			r.err = fmt.Errorf("schemas: %s.%s[%d]: %w", r.rec, field, i, pr.err)
		}
	}
	return out
}

// avroMap is a map field's entries; nil when absent or empty.
func (r *reader) avroMap(field, want string) map[string]any {
	m, ok := r.m[field].(map[string]any)
	if !ok && r.m[field] != nil {
		r.fail(field, r.m[field], want)
	}
	return m
}

func (r *reader) stringMap(field string) map[string]string {
	return nativeMap(r, field, "string", func(v any) (string, bool) { s, ok := v.(string); return s, ok })
}

func (r *reader) floatMap(field string) map[string]float32 {
	return nativeMap(r, field, "float", toFloat)
}

func (r *reader) intMap(field string) map[string]int32 {
	return nativeMap(r, field, "int", func(v any) (int32, bool) { n, ok := v.(int32); return n, ok })
}

// nativeMap reads an Avro map whose values conv turns into T; nil for an absent or empty map.
func nativeMap[T any](r *reader, field, want string, conv func(any) (T, bool)) map[string]T {
	m := r.avroMap(field, "map of "+want)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]T, len(m))
	for k, v := range m {
		x, ok := conv(v)
		if !ok {
			r.fail(field+"["+k+"]", v, want)
		}
		out[k] = x
	}
	return out
}
