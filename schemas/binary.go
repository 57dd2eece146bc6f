package schemas

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// The Append and Read functions below write and read the Avro binary encoding of each type
// for its own schema (Avro specification, "Binary Encoding") directly, without goavro's native
// maps: a KeypointEvent's 66 landmarks as maps cost ~450 allocations per message. They are
// the fast path of the contracts; the tests hold them to the same bytes and values as goavro
// with the native conversions.

// Enum symbols in schema order; index i is symbol i on the wire.
func statusSymbols() [2]Status { return [2]Status{StatusDetected, StatusNoPerson} }

func actionKindSymbols() [4]ActionKind {
	return [4]ActionKind{ActionUnknown, ActionPostureChanged, ActionRep, ActionFall}
}

func postureSymbols() [6]Posture {
	return [6]Posture{PostureUnknown, PostureStanding, PostureSitting, PostureSquatting, PostureLying, PostureHandsRaised}
}

// errTrailing, errShort: the data is longer or shorter than one value.
var (
	errShort    = errors.New("data ends early")
	errTrailing = errors.New("bytes after the value")
)

// appendFrameBinary appends the Avro binary encoding of f for Frame.avsc to buf.
func appendFrameBinary(buf []byte, f Frame) ([]byte, error) {
	buf = appendString(buf, f.CameraID)
	buf = appendString(buf, f.UserID)
	buf = appendLong(buf, f.Seq)
	buf = appendTime(buf, f.CapturedAt)
	buf = appendString(buf, f.ContentType)
	buf = appendLong(buf, int64(f.Width))
	buf = appendLong(buf, int64(f.Height))
	buf = appendString(buf, string(f.Image)) // no copy: the conversion is only appended
	if len(f.Attributes) > 0 {
		buf = appendLong(buf, int64(len(f.Attributes)))
		for k, v := range f.Attributes {
			buf = appendString(appendString(buf, k), v)
		}
	}
	return appendLong(buf, 0), nil
}

// readFrameBinary reads exactly one Frame written with Frame.avsc. Image shares memory with data.
func readFrameBinary(data []byte) (Frame, error) {
	r := binReader{b: data}
	f := Frame{
		CameraID:    r.str(),
		UserID:      r.str(),
		Seq:         r.long(),
		CapturedAt:  r.time(),
		ContentType: r.str(),
		Width:       r.int(),
		Height:      r.int(),
		Image:       r.bytes(),
	}
	r.mapEntries(func(k string) {
		if f.Attributes == nil {
			f.Attributes = make(map[string]string)
		}
		if _, dup := f.Attributes[k]; dup {
			r.fail(fmt.Errorf("attributes: duplicate key: %q", k))
		}
		f.Attributes[k] = r.str()
	})
	return f, r.done("Frame")
}

// appendKeypointEventBinary appends the Avro binary encoding of e for KeypointEvent.avsc to buf.
func appendKeypointEventBinary(buf []byte, e KeypointEvent) ([]byte, error) {
	statuses := statusSymbols()
	status := symbolIndex(statuses[:], e.Status)
	if status < 0 {
		return buf, fmt.Errorf("schemas: KeypointEvent.status %q is not a symbol of Status", e.Status)
	}
	buf = appendString(buf, e.CameraID)
	buf = appendString(buf, e.UserID)
	buf = appendLong(buf, e.Seq)
	buf = appendTime(buf, e.CapturedAt)
	buf = appendTime(buf, e.ProcessedAt)
	buf = appendLong(buf, int64(status))
	buf = appendString(buf, e.Model)
	buf = appendLong(buf, int64(e.Width))
	buf = appendLong(buf, int64(e.Height))
	if e.Pose == nil {
		buf = append(buf, 0) // union branch 0: null
	} else {
		buf = append(buf, 2) // union branch 1 (zig-zag 2): Pose
		buf = appendLandmarks(buf, e.Pose.Landmarks)
		buf = appendPoints(buf, e.Pose.WorldLandmarks)
	}
	for _, ps := range [3][]Point{e.Face, e.LeftHand, e.RightHand} {
		if ps == nil {
			buf = append(buf, 0)
		} else {
			buf = appendPoints(append(buf, 2), ps)
		}
	}
	buf = appendBool(buf, e.DetectorRan)
	return appendFloat(buf, e.ProcessingMs), nil
}

func appendLandmarks(buf []byte, ls []Landmark) []byte {
	if len(ls) > 0 {
		buf = appendLong(buf, int64(len(ls)))
		for _, l := range ls {
			buf = appendFloat(appendFloat(appendFloat(appendFloat(appendFloat(buf, l.X), l.Y), l.Z), l.Visibility), l.Presence)
		}
	}
	return appendLong(buf, 0)
}

func appendPoints(buf []byte, ps []Point) []byte {
	if len(ps) > 0 {
		buf = appendLong(buf, int64(len(ps)))
		for _, p := range ps {
			buf = appendFloat(appendFloat(appendFloat(appendFloat(buf, p.X), p.Y), p.Z), p.Visibility)
		}
	}
	return appendLong(buf, 0)
}

// readKeypointEventBinary reads exactly one KeypointEvent written with KeypointEvent.avsc.
func readKeypointEventBinary(data []byte) (KeypointEvent, error) {
	r := binReader{b: data}
	e := KeypointEvent{
		CameraID:    r.str(),
		UserID:      r.str(),
		Seq:         r.long(),
		CapturedAt:  r.time(),
		ProcessedAt: r.time(),
	}
	if i := r.index(2); i >= 0 {
		e.Status = statusSymbols()[i]
	}
	e.Model, e.Width, e.Height = r.str(), r.int(), r.int()
	if r.index(2) == 1 {
		e.Pose = &Pose{Landmarks: r.landmarks(), WorldLandmarks: r.points()}
	}
	e.Face, e.LeftHand, e.RightHand = r.optPoints(), r.optPoints(), r.optPoints()
	e.DetectorRan, e.ProcessingMs = r.bool(), r.float()
	return e, r.done("KeypointEvent")
}

// appendActionEventBinary appends the Avro binary encoding of e for ActionEvent.avsc to buf.
// An empty Kind or Posture is written as UNKNOWN; an empty PreviousPosture or Exercise as null.
func appendActionEventBinary(buf []byte, e ActionEvent) ([]byte, error) {
	kinds, postures := actionKindSymbols(), postureSymbols()
	kind := symbolIndex(kinds[:], ActionKind(orUnknown(string(e.Kind))))
	post := symbolIndex(postures[:], Posture(orUnknown(string(e.Posture))))
	prev := symbolIndex(postures[:], e.PreviousPosture)
	switch {
	case kind < 0:
		return buf, fmt.Errorf("schemas: ActionEvent.kind %q is not a symbol of ActionKind", e.Kind)
	case post < 0:
		return buf, fmt.Errorf("schemas: ActionEvent.posture %q is not a symbol of Posture", e.Posture)
	case prev < 0 && e.PreviousPosture != "":
		return buf, fmt.Errorf("schemas: ActionEvent.previous_posture %q is not a symbol of Posture", e.PreviousPosture)
	}
	buf = appendString(buf, e.UserID)
	buf = appendString(buf, e.CameraID)
	buf = appendLong(buf, e.Seq)
	buf = appendTime(buf, e.At)
	buf = appendLong(buf, int64(kind))
	buf = appendLong(buf, int64(post))
	if e.PreviousPosture == "" {
		buf = append(buf, 0)
	} else {
		buf = appendLong(append(buf, 2), int64(prev))
	}
	if e.Exercise == "" {
		buf = append(buf, 0)
	} else {
		buf = appendString(append(buf, 2), e.Exercise)
	}
	buf = appendLong(buf, int64(e.RepCount))
	return appendFloat(buf, e.Confidence), nil
}

// readActionEventBinary reads exactly one ActionEvent written with ActionEvent.avsc.
func readActionEventBinary(data []byte) (ActionEvent, error) {
	r := binReader{b: data}
	e := ActionEvent{UserID: r.str(), CameraID: r.str(), Seq: r.long(), At: r.time()}
	if i := r.index(4); i >= 0 {
		e.Kind = actionKindSymbols()[i]
	}
	if i := r.index(6); i >= 0 {
		e.Posture = postureSymbols()[i]
	}
	if r.index(2) == 1 {
		if i := r.index(6); i >= 0 {
			e.PreviousPosture = postureSymbols()[i]
		}
	}
	if r.index(2) == 1 {
		e.Exercise = r.str()
	}
	e.RepCount, e.Confidence = r.int(), r.float()
	return e, r.done("ActionEvent")
}

// appendPoseStatsBinary appends the Avro binary encoding of s for PoseStats.avsc to buf.
func appendPoseStatsBinary(buf []byte, s PoseStats) ([]byte, error) {
	buf = appendString(buf, s.UserID)
	buf = appendTime(buf, s.WindowStart)
	buf = appendTime(buf, s.WindowEnd)
	buf = appendLong(buf, int64(s.Frames))
	buf = appendLong(buf, int64(s.Detected))
	buf = appendFloat(buf, s.DetectionRate)
	buf = appendMap(buf, s.MeanAngles, appendFloat)
	buf = appendFloat(buf, s.MotionEnergy)
	buf = appendMap(buf, s.PostureSeconds, appendFloat)
	buf = appendMap(buf, s.Reps, func(b []byte, v int32) []byte { return appendLong(b, int64(v)) })
	buf = appendLong(buf, int64(s.Falls))
	return appendLong(buf, int64(s.LateEvents)), nil
}

func appendMap[V any](buf []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	if len(m) > 0 {
		buf = appendLong(buf, int64(len(m)))
		for k, v := range m {
			buf = value(appendString(buf, k), v)
		}
	}
	return appendLong(buf, 0)
}

// readPoseStatsBinary reads exactly one PoseStats written with PoseStats.avsc.
func readPoseStatsBinary(data []byte) (PoseStats, error) {
	r := binReader{b: data}
	s := PoseStats{UserID: r.str(), WindowStart: r.time(), WindowEnd: r.time(), Frames: r.int(), Detected: r.int(),
		DetectionRate: r.float()}
	s.MeanAngles = readMap(&r, "mean_angles", (*binReader).float)
	s.MotionEnergy = r.float()
	s.PostureSeconds = readMap(&r, "posture_seconds", (*binReader).float)
	s.Reps = readMap(&r, "reps", (*binReader).int)
	s.Falls, s.LateEvents = r.int(), r.int()
	return s, r.done("PoseStats")
}

// readMap reads a map; nil when empty, as the native conversions read it.
func readMap[V any](r *binReader, field string, value func(*binReader) V) map[string]V {
	var m map[string]V
	r.mapEntries(func(k string) {
		if m == nil {
			m = make(map[string]V)
		}
		if _, dup := m[k]; dup {
			r.fail(fmt.Errorf("%s: duplicate key: %q", field, k))
		}
		m[k] = value(r)
	})
	return m
}

// appendDeadLetterBinary appends the Avro binary encoding of d for DeadLetter.avsc to buf.
func appendDeadLetterBinary(buf []byte, d DeadLetter) ([]byte, error) {
	buf = appendString(buf, d.Topic)
	buf = appendLong(buf, int64(d.Partition))
	buf = appendLong(buf, d.Offset)
	buf = appendString(buf, d.Key)
	buf = appendString(buf, d.Reason)
	buf = appendString(buf, d.Code)
	buf = appendString(buf, d.CameraID)
	buf = appendLong(buf, d.Seq)
	buf = appendTime(buf, d.At)
	buf = appendString(buf, string(d.Original))
	buf = appendLong(buf, d.OriginalSize)
	return appendString(buf, d.OriginalSHA256), nil
}

// readDeadLetterBinary reads exactly one DeadLetter written with DeadLetter.avsc. Original
// shares memory with data.
func readDeadLetterBinary(data []byte) (DeadLetter, error) {
	r := binReader{b: data}
	d := DeadLetter{Topic: r.str(), Partition: r.int(), Offset: r.long(), Key: r.str(), Reason: r.str(), Code: r.str(),
		CameraID: r.str(), Seq: r.long(), At: r.time(), Original: r.bytes(), OriginalSize: r.long(), OriginalSHA256: r.str()}
	return d, r.done("DeadLetter")
}

func symbolIndex[S ~string](symbols []S, s S) int {
	for i, sym := range symbols {
		if sym == s {
			return i
		}
	}
	return -1
}

// Writing.

// appendLong appends v as a zig-zag varint.
func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendString(b []byte, s string) []byte { return append(appendLong(b, int64(len(s))), s...) }

func appendFloat(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime appends t as timestamp-micros, computed as goavro does so the bytes agree.
func appendTime(b []byte, t time.Time) []byte {
	return appendLong(b, t.Unix()*1e6+int64(t.Nanosecond()/1e3))
}

// Reading.

// binReader reads Avro binary values from b, keeping the first error; after one, reads return
// zero values. It never allocates more than the bytes left can hold.
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
		r.b = nil
	}
}

// done is the read's error: the first, or trailing bytes.
func (r *binReader) done(record string) error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d %w", len(r.b), errTrailing)
	}
	if r.err != nil {
		return fmt.Errorf("schemas: read %s: %w", record, r.err)
	}
	return nil
}

func (r *binReader) long() int64 {
	var u uint64
	for i := 0; i < 10 && i < len(r.b); i++ {
		c := r.b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.b = r.b[i+1:]
			return int64(u>>1) ^ -int64(u&1)
		}
	}
	if len(r.b) >= 10 {
		r.fail(errors.New("varint longer than 10 bytes"))
	} else {
		r.fail(errShort)
	}
	return 0
}

func (r *binReader) int() int32 { return int32(r.long()) }

func (r *binReader) bool() bool {
	if len(r.b) < 1 {
		r.fail(errShort)
		return false
	}
	c := r.b[0]
	if c > 1 {
		r.fail(fmt.Errorf("boolean byte %d, want 0 or 1", c))
		return false
	}
	r.b = r.b[1:]
	return c == 1
}

func (r *binReader) float() float32 {
	if b := r.take(4); b != nil {
		return f32(b)
	}
	return 0
}

// bytes reads a length-prefixed byte string; the result shares memory with the data.
func (r *binReader) bytes() []byte {
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.b)) {
		r.fail(fmt.Errorf("length %d with %d bytes left", n, len(r.b)))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *binReader) str() string { return string(r.bytes()) }

func (r *binReader) time() time.Time {
	v := r.long()
	if r.err != nil {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// index reads an enum or union index in [0,n); -1 after an error.
func (r *binReader) index(n int) int {
	i := r.long()
	if r.err != nil {
		return -1
	}
	if i < 0 || i >= int64(n) {
		r.fail(fmt.Errorf("index %d out of [0,%d)", i, n))
		return -1
	}
	return int(i)
}

// blocks reads the blocks of an array or map, calling block with each block's item count;
// minSize is the least bytes an item takes, which bounds the counts the data may claim.
func (r *binReader) blocks(minSize int, block func(n int)) {
	for r.err == nil {
		count := r.long()
		if r.err != nil || count == 0 {
			return
		}
		if count < 0 {
			if count == math.MinInt64 {
				r.fail(fmt.Errorf("block count %d", count))
				return
			}
			count = -count
			r.long() // the block's size in bytes, not needed
		}
		if count > int64(len(r.b)/minSize) {
			r.fail(fmt.Errorf("block of %d items in %d bytes", count, len(r.b)))
			return
		}
		block(int(count))
	}
}

func (r *binReader) mapEntries(entry func(key string)) {
	r.blocks(2, func(n int) { // a key's length and a value take a byte each at least
		for i := 0; i < n && r.err == nil; i++ {
			entry(r.str())
		}
	})
}

func (r *binReader) landmarks() []Landmark {
	out := []Landmark{}
	r.blocks(20, func(n int) {
		b := r.take(n * 20)
		out = slices.Grow(out, n)
		for i := 0; i+20 <= len(b); i += 20 {
			out = append(out, Landmark{X: f32(b[i:]), Y: f32(b[i+4:]), Z: f32(b[i+8:]), Visibility: f32(b[i+12:]), Presence: f32(b[i+16:])})
		}
	})
	return out
}

// optPoints reads a ["null", array of Point] union.
func (r *binReader) optPoints() []Point {
	if r.index(2) == 1 {
		return r.points()
	}
	return nil
}

func (r *binReader) points() []Point {
	out := []Point{}
	r.blocks(16, func(n int) {
		b := r.take(n * 16)
		out = slices.Grow(out, n)
		for i := 0; i+16 <= len(b); i += 16 {
			out = append(out, Point{X: f32(b[i:]), Y: f32(b[i+4:]), Z: f32(b[i+8:]), Visibility: f32(b[i+12:])})
		}
	})
	return out
}

// take consumes n bytes; nil when fewer are left.
func (r *binReader) take(n int) []byte {
	if len(r.b) < n {
		r.fail(errShort)
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func f32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
