package landmarks

import (
	"errors"
	"fmt"
	"time"

	"github.com/lovoo/goka"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// Landmarker is the part of model.Landmarker the processor needs; tests use a fake.
type Landmarker interface {
	Track(img pixels.Image, tr *model.Track, ts time.Duration) (model.Result, error)
	Kind() model.Kind
	// MaxPeople is how many people a frame may have (model.WithMaxPeople): above 1 the keypoint
	// events carry people.
	MaxPeople() int
}

// Dead-letter codes (schemas.DeadLetter.Code).
const (
	CodeBadEnvelope = "BAD_ENVELOPE"  // the record is not a Frame
	CodeBadFrame    = "BAD_FRAME"     // the Frame is inconsistent (key, camera, seq)
	CodeEmpty       = "EMPTY"         // no image bytes
	CodeNotImage    = "NOT_IMAGE"     // bytes that are not JPEG, PNG or WebP
	CodeBadRaw      = "BAD_RAW"       // raw pixels whose byte count, width, height or stride do not agree
	CodeRawFormat   = "UNKNOWN_RAW"   // a video/x-raw content type with no known format
	CodeTooLarge    = "TOO_LARGE"     // over the byte or megapixel limit
	CodeCorrupt     = "CORRUPT_IMAGE" // truncated or damaged image data
	CodeInference   = "INFERENCE"     // the model failed on a decodable image
	CodeNoKey       = "NO_KEY"        // the record has no key: no camera to account it to
	CodeNullValue   = "NULL_VALUE"    // the record's value is null (a tombstone)
	CodeBadSeq      = "BAD_SEQ"       // seq below 0, or too far ahead of the camera's last
	CodeBadTime     = "BAD_TIME"      // captured_at before 2000 or too far in the future
)

// CameraState is the group table's value for one camera.
type CameraState struct {
	// HasSeq is false until the first frame; LastSeq is the highest seq seen.
	HasSeq         bool                   `json:"has_seq"`
	LastSeq        int64                  `json:"last_seq"`
	LastCapturedAt time.Time              `json:"last_captured_at"`
	Track          model.Track            `json:"track"`
	Counters       schemas.CameraCounters `json:"counters"`
	// Where the last record was read from. A record at or before it on the same partition, read
	// again, is a redelivery: the previous owner of the partition wrote this state but died
	// before committing the offset, and the record's outputs may or may not have landed.
	HasOffset     bool  `json:"has_offset"`
	LastPartition int32 `json:"last_partition"`
	LastOffset    int64 `json:"last_offset"`
	// LastTopic is the topic it was read from: a camera's records come from the frames topic or
	// from the repartition topic, whose offsets are unrelated. Empty when unknown.
	LastTopic string `json:"last_topic,omitempty"`
}

// View is the camera's state as the gateway and `holostream state` show it: tracking while the
// last frame's landmarks give the next frame's region.
func (s *CameraState) View(id string) schemas.CameraView {
	return schemas.CameraView{ID: id, LastSeq: s.LastSeq, LastCapturedAt: s.LastCapturedAt, Tracking: s.Track.ROI != nil,
		Counters: s.Counters, Balanced: s.Counters.Balanced()}
}

// Config is the processor's wiring and policy.
type Config struct {
	Frames, Keypoints, DeadLetters goka.Stream
	Landmarker                     Landmarker
	// DecodeFrame turns the input record into a Frame (the stream package injects the Avro codec).
	DecodeFrame func([]byte) (schemas.Frame, error)
	// Transient, when set, tells a decode error that is a fault of ours (the Schema Registry
	// unreachable) from a bad record: a transient error fails the processor, so the frame is
	// retried after restart instead of being dead-lettered.
	Transient func(error) bool
	// MaxAge drops frames captured longer ago than this as stale; 0 keeps every frame.
	MaxAge time.Duration
	// MaxImageBytes and MaxMegapixels bound a frame's image before and after its header is read.
	MaxImageBytes int
	MaxMegapixels float64
	// MaxRecordBytes is the largest record the producer writes: a dead letter keeps the first
	// bytes of a larger original (and its size and SHA-256). 0: no limit.
	MaxRecordBytes int
	// MaxSeqJump is how far ahead of a camera's last seq a frame may be (DefaultMaxSeqJump when
	// 0); MaxClockSkew how far ahead of the wall clock its capture time may be
	// (schemas.DefaultMaxClockSkew when 0).
	MaxSeqJump   int64
	MaxClockSkew time.Duration
	// Now is the wall clock (for staleness and latency); time.Now when nil.
	Now func() time.Time
	// Observe, when set, is told the outcome of every frame (metrics).
	Observe func(Observation)
	// Repartition forwards frames read on another partition than their camera's (see Route).
	Repartition Repartitioning
}

// Outcome is what happened to one frame.
type Outcome string

// The outcomes; each frame has exactly one.
const (
	OutcomeEmitted      Outcome = "emitted"
	OutcomeDeadLettered Outcome = "dead_lettered"
	OutcomeStale        Outcome = "stale"
	OutcomeDuplicate    Outcome = "duplicate"
	// OutcomeRedelivered is a record read again after a crash, processed and emitted again (not
	// one of the accounted outcomes: the first reading was counted).
	OutcomeRedelivered Outcome = "redelivered"
)

// Observation describes one processed frame, for metrics and logs.
type Observation struct {
	// The record it came from (see Committed).
	Topic     string
	Partition int32
	Offset    int64
	Camera    string
	Seq       int64 // -1 when the frame could not be read
	Outcome   Outcome
	Code      string // dead-letter code
	Detected  bool
	// DetectorRan: the detector ran on this frame (tracking had no ROI).
	DetectorRan bool
	Gap         bool
	Decode      time.Duration
	Detect      time.Duration
	Landmark    time.Duration
	Total       time.Duration
	// Age is wall clock minus captured_at when the frame was taken up.
	Age time.Duration
}

// Validate checks the wiring once, at start.
func (c *Config) Validate() error {
	switch {
	case c.Frames == "" || c.Keypoints == "" || c.DeadLetters == "":
		return errors.New("landmarks: topics not set")
	case c.Landmarker == nil:
		return errors.New("landmarks: no landmarker")
	case c.DecodeFrame == nil:
		return errors.New("landmarks: no frame decoder")
	case c.MaxAge < 0:
		return fmt.Errorf("landmarks: max age %v < 0", c.MaxAge)
	case c.MaxSeqJump < 0 || c.MaxClockSkew < 0 || c.MaxRecordBytes < 0:
		return errors.New("landmarks: max seq jump, clock skew and record bytes must be >= 0")
	}
	return c.Repartition.validate()
}

func (c *Config) maxSeqJump() int64 {
	if c.MaxSeqJump > 0 {
		return c.MaxSeqJump
	}
	return DefaultMaxSeqJump
}

func (c *Config) maxClockSkew() time.Duration {
	if c.MaxClockSkew > 0 {
		return c.MaxClockSkew
	}
	return schemas.DefaultMaxClockSkew
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Process is the goka callback for the frames topic. It takes nil values too (goka.NilProcess):
// a tombstone is counted like any other bad record.
func (c *Config) Process(ctx goka.Context, msg any) {
	start := c.now()
	if ctx.Key() == "" {
		// No camera to account it to, and no table row to make up for it: the dead letter and
		// the metrics are its account.
		raw, _ := msg.([]byte)
		obs := c.deadLetter(ctx, nil, raw, nil, CodeNoKey, "the record has no key: producers must key frames by camera id")
		obs.Topic, obs.Partition, obs.Offset = string(ctx.Topic()), ctx.Partition(), ctx.Offset()
		obs.Total = c.now().Sub(start)
		if c.Observe != nil {
			c.Observe(obs)
		}
		return
	}
	st, _ := ctx.Value().(*CameraState)
	if st == nil {
		st = &CameraState{}
	}
	redelivery := st.HasOffset && c.sameTopic(ctx.Topic(), st.LastTopic) && ctx.Partition() == st.LastPartition && ctx.Offset() <= st.LastOffset
	counted := st.Counters
	obs := c.process(ctx, st, msg, start, redelivery)
	if redelivery {
		// Downstream dedupes by (camera, seq); emitting twice is how at-least-once loses nothing.
		st.Counters = counted
		st.Counters.Redelivered++
		obs.Outcome = OutcomeRedelivered
	} else {
		st.HasOffset, st.LastTopic, st.LastPartition, st.LastOffset = true, string(ctx.Topic()), ctx.Partition(), ctx.Offset()
	}
	ctx.SetValue(st)
	obs.Topic, obs.Partition, obs.Offset = string(ctx.Topic()), ctx.Partition(), ctx.Offset()
	obs.Camera = ctx.Key()
	obs.Total = c.now().Sub(start)
	if c.Observe != nil {
		c.Observe(obs)
	}
}

// process handles one record. A redelivery is processed again whatever its seq and age, since
// its first outcome is unknown: the state does not move back (seq, gaps) and the caller restores
// the counters.
func (c *Config) process(ctx goka.Context, st *CameraState, msg any, start time.Time, redelivery bool) Observation {
	st.Counters.Received++
	if msg == nil {
		return c.deadLetter(ctx, st, nil, nil, CodeNullValue, "the record's value is null (a tombstone): frames are never deleted by key")
	}
	raw, _ := msg.([]byte)
	if size, sum, ok := cutRecord(ctx.Headers()); ok && ctx.Topic() != c.Frames {
		obs := c.deadLetter(ctx, st, raw, nil, CodeTooLarge, fmt.Sprintf(
			"a record of %d bytes, more than the largest holostream writes (%d), on another partition than its camera's: forwarded cut, its first %d bytes kept",
			size, c.MaxRecordBytes, len(raw)), func(d *schemas.DeadLetter) { d.OriginalSize, d.OriginalSHA256 = size, sum })
		return obs
	}
	frame, err := c.DecodeFrame(raw)
	if err != nil && c.Transient != nil && c.Transient(err) {
		st.Counters.Received-- // not taken up: it will be read again
		ctx.Fail(fmt.Errorf("decode frame at %s/%d/%d: %w", ctx.Topic(), ctx.Partition(), ctx.Offset(), err))
	}
	if err != nil {
		return c.deadLetter(ctx, st, raw, nil, CodeBadEnvelope, fmt.Sprintf("not a Frame record: %v", err))
	}
	if frame.CameraID != ctx.Key() {
		return c.deadLetter(ctx, st, raw, &frame, CodeBadFrame,
			fmt.Sprintf("record key %q differs from camera_id %q: producers must key frames by camera", ctx.Key(), frame.CameraID))
	}
	if err := schemas.CheckCapturedAt(frame.CapturedAt, start, c.maxClockSkew()); err != nil {
		return c.deadLetter(ctx, st, raw, &frame, CodeBadTime, err.Error())
	}
	verdict := judgeSeq(st, &frame, c.maxSeqJump())
	switch {
	case verdict == seqNegative:
		return c.deadLetter(ctx, st, raw, &frame, CodeBadSeq, fmt.Sprintf("seq %d: want >= 0", frame.Seq))
	case verdict == seqTooFar:
		// Dead-lettered on its first reading too: the state never took its seq.
		return c.deadLetter(ctx, st, raw, &frame, CodeBadSeq, fmt.Sprintf(
			"seq %d is %d ahead of the camera's last (%d), limit %d: a producer must count up by one per frame",
			frame.Seq, frame.Seq-st.LastSeq, st.LastSeq, c.maxSeqJump()))
	case redelivery:
		// Its first reading moved the state already, so it looks like a duplicate now; it was not.
	case verdict == seqDuplicate:
		st.Counters.Duplicate++
		return Observation{Seq: frame.Seq, Outcome: OutcomeDuplicate}
	}
	gap := verdict == seqGap && !redelivery
	if !redelivery || frame.Seq > st.LastSeq {
		st.HasSeq, st.LastSeq, st.LastCapturedAt = true, frame.Seq, frame.CapturedAt
	}
	switch {
	case verdict == seqRestart && !redelivery:
		// A new count: what was tracked belongs to the stream before the restart.
		st.Counters.Restarts++
		st.Track.Reset()
	case gap:
		// Frames are missing: the last ROI and the filters describe a moment that is gone.
		st.Counters.Gaps++
		st.Track.Reset()
	}
	age := start.Sub(frame.CapturedAt)
	if c.MaxAge > 0 && age > c.MaxAge && !redelivery {
		st.Counters.Stale++
		st.Track.Reset() // the next fresh frame follows a hole in what we tracked
		return Observation{Seq: frame.Seq, Outcome: OutcomeStale, Gap: gap, Age: age}
	}
	if c.MaxImageBytes > 0 && len(frame.Image) > c.MaxImageBytes {
		return c.deadLetter(ctx, st, raw, &frame, CodeTooLarge,
			fmt.Sprintf("image is %d bytes, limit %d", len(frame.Image), c.MaxImageBytes))
	}
	img, _, err := pixels.DecodeFrame(frame.Image, frame.ContentType, int(frame.Width), int(frame.Height), frame.Attributes, c.MaxMegapixels)
	decoded := c.now()
	if err != nil {
		st.Track.Reset() // this frame is a hole in the stream
		return c.deadLetter(ctx, st, raw, &frame, imageErrorCode(err), "image: "+err.Error())
	}
	res, err := c.Landmarker.Track(img, &st.Track, time.Duration(frame.CapturedAt.UnixNano()))
	if err != nil {
		st.Track.Reset()
		return c.deadLetter(ctx, st, raw, &frame, CodeInference, "inference: "+err.Error())
	}
	ev := KeypointEvent(frame, img, c.Landmarker.Kind(), c.Landmarker.MaxPeople(), res)
	ev.ProcessedAt = c.now()
	ev.ProcessingMs = float32(ev.ProcessedAt.Sub(start).Microseconds()) / 1000
	ctx.Emit(c.Keypoints, ctx.Key(), ev)
	st.Counters.Emitted++
	if res.Pose != nil {
		st.Counters.Detected++
	}
	return Observation{Seq: frame.Seq, Outcome: OutcomeEmitted, Detected: res.Pose != nil, DetectorRan: res.DetectorRan, Gap: gap, Age: age,
		Decode: decoded.Sub(start), Detect: res.Timings.Detect, Landmark: res.Timings.Landmarks}
}

// deadLetter writes the record to the dead-letter topic, cut to fit MaxRecordBytes, and counts
// it in st (nil for a record with no camera).
func (c *Config) deadLetter(ctx goka.Context, st *CameraState, raw []byte, f *schemas.Frame, code, reason string, adjust ...func(*schemas.DeadLetter)) Observation {
	dl := schemas.DeadLetter{
		Topic: string(ctx.Topic()), Partition: ctx.Partition(), Offset: ctx.Offset(), Key: ctx.Key(),
		Reason: reason, Code: code, CameraID: ctx.Key(), Seq: -1, At: c.now(), Original: raw,
	}
	if f != nil {
		dl.CameraID, dl.Seq = f.CameraID, f.Seq
	}
	fitDeadLetter(&dl, c.MaxRecordBytes)
	for _, f := range adjust {
		f(&dl)
	}
	ctx.Emit(c.DeadLetters, ctx.Key(), dl)
	if st != nil {
		st.Counters.DeadLettered++
	}
	return Observation{Seq: dl.Seq, Outcome: OutcomeDeadLettered, Code: code}
}

func imageErrorCode(err error) string {
	switch {
	case errors.Is(err, pixels.ErrEmptyImage):
		return CodeEmpty
	case errors.Is(err, pixels.ErrNotImage):
		return CodeNotImage
	case errors.Is(err, pixels.ErrImageTooLarge):
		return CodeTooLarge
	case errors.Is(err, pixels.ErrBadRaw):
		return CodeBadRaw
	case errors.Is(err, pixels.ErrUnknownRawFormat):
		return CodeRawFormat
	default:
		return CodeCorrupt
	}
}

// KeypointEvent converts a pipeline result on frame f's image to the keypoints contract, as the
// processor emits it (ProcessingMs and the timing fields left for the caller). Its landmarks are
// model.NewLandmarks', as the infer JSON's are.
//
// People is filled when the landmarker looks for several people (maxPeople > 1), whatever it
// found (none, one or more): a reader of such a camera always finds everyone, with their ids, in
// people, and a frame's people do not depend on how many were in it. The top-level landmarks
// stay the first (most confident) person's, for readers that know one person only. With
// maxPeople 1 People is nil: the event is what it was before people existed (on the wire, the
// empty array's one byte added).
func KeypointEvent(f schemas.Frame, img pixels.Image, kind model.Kind, maxPeople int, r model.Result) schemas.KeypointEvent {
	ev := schemas.KeypointEvent{
		CameraID: f.CameraID, UserID: f.UserID, Seq: f.Seq, CapturedAt: f.CapturedAt,
		Status: schemas.StatusNoPerson, Model: string(kind),
		Width: int32(img.Width), Height: int32(img.Height), Landmarks: model.NewLandmarks(r), DetectorRan: r.DetectorRan,
	}
	if r.Pose != nil {
		ev.Status = schemas.StatusDetected
	}
	if maxPeople > 1 {
		ev.People = make([]schemas.Person, len(r.People))
		for i, p := range r.People {
			// The track id that follows the person across frames, kept in the camera's table
			// row with the rest of the tracking state (model.Track). A result of image mode
			// has none (0): the index in the frame, most confident first, stands in.
			id := p.ID
			if id == 0 {
				id = int64(i)
			}
			ev.People[i] = schemas.Person{ID: id,
				Landmarks: model.NewLandmarks(model.Result{Pose: p.Pose, Face: p.Face, LeftHand: p.LeftHand, RightHand: p.RightHand})}
		}
	}
	return ev
}

// Codecs are the goka codecs of the processor's topics and table.
type Codecs struct {
	Frames      goka.Codec // raw bytes: the callback decodes
	State       goka.Codec // CameraState
	Keypoints   goka.Codec // schemas.KeypointEvent
	DeadLetters goka.Codec // schemas.DeadLetter
}

// Group is the processor's group graph: frames in (and through the repartition topic, when
// set: both in and out, see Route), per-camera state persisted, keypoints and dead letters out.
func (c *Config) Group(group goka.Group, cd Codecs) *goka.GroupGraph {
	edges := []goka.Edge{
		goka.Input(c.Frames, cd.Frames, c.Route),
		goka.Persist(cd.State),
		goka.Output(c.Keypoints, cd.Keypoints),
		goka.Output(c.DeadLetters, cd.DeadLetters),
	}
	if t := c.Repartition.Topic; t != "" {
		edges = append(edges, goka.Input(t, cd.Frames, c.Route), goka.Output(t, cd.Frames))
	}
	return goka.DefineGroup(group, edges...)
}
