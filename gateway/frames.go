package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // headers of uploaded frames
	_ "image/png"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// FrameSink produces one frame to the frames topic and returns once Kafka acknowledged it. An
// error wrapping ErrFrameTooLarge or ErrFrameRefused says a retry cannot succeed.
type FrameSink interface {
	Send(ctx context.Context, f schemas.Frame) (Delivery, error)
}

// Errors of a FrameSink that no retry cures.
var (
	// ErrFrameTooLarge: the record is over the producer's or the frames topic's size limit.
	ErrFrameTooLarge = errors.New("the frame is larger than the frames topic accepts")
	// ErrFrameRefused: the brokers refused the record itself (a policy, its timestamp).
	ErrFrameRefused = errors.New("the brokers refused the frame")
)

// Delivery is where Kafka stored a frame.
type Delivery struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// FrameAccepted is the 202 body of POST /v1/frames: the frame's identity and where it went.
type FrameAccepted struct {
	CameraID   string    `json:"camera_id"`
	UserID     string    `json:"user_id"`
	Seq        int64     `json:"seq"`
	CapturedAt time.Time `json:"captured_at"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	Delivery
}

// idPattern is what a camera or user id may look like: it becomes a Kafka key, a URL path
// segment and a label in the UI.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// sequencer hands out the next seq of cameras whose client sends none. A camera's first seq
// follows the one in the landmarks table, so a restarted gateway does not send seqs the
// processor would drop as duplicates.
type sequencer struct {
	mu   sync.Mutex
	next map[string]int64
}

func (q *sequencer) take(ctx context.Context, camera string, cams CameraStore) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.next == nil {
		q.next = map[string]int64{}
	}
	n, ok := q.next[camera]
	if !ok {
		n = 1
		if cams != nil {
			if c, found, err := cams.Camera(ctx, camera); err == nil && found && c.LastSeq < math.MaxInt64 {
				n = c.LastSeq + 1
			}
		}
	}
	if n == math.MaxInt64 {
		// The count is spent: start again at 1. The processor takes a lower seq captured later as
		// the producer's restart, so numbering goes on instead of overflowing.
		q.next[camera] = 1
	} else {
		q.next[camera] = n + 1
	}
	return n
}

// observe keeps a client-chosen seq in mind, so a later frame without one continues after it.
func (q *sequencer) observe(camera string, seq int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.next == nil {
		q.next = map[string]int64{}
	}
	if seq >= q.next[camera] && seq < math.MaxInt64 {
		q.next[camera] = seq + 1
	}
}

func (s *Server) handleFrames(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Frames == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server has no Kafka producer: start it with --brokers", 0)
		return
	}
	up, err := readUpload(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeUploadError(w, err)
		return
	}
	if len(up.data) > s.cfg.MaxImageBytes {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf(
			"the image is %d bytes, over this server's limit of %d: send a smaller frame, or raise --max-image-bytes on serve and on run alike", len(up.data), s.cfg.MaxImageBytes), 0)
		return
	}
	f, err := s.frameOf(r, up)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error(), 0)
		return
	}
	if up.raw != nil {
		s.sendRaw(w, r, up, f)
		return
	}
	// The header only: a frame whose pixels are damaged still goes to Kafka, and the processor
	// dead-letters it with the reason, like a frame from any other producer.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(up.data))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeCorrupt, fmt.Sprintf("the %s header cannot be read: %v", up.contentType, err), 0)
		return
	}
	if mp := float64(cfg.Width) * float64(cfg.Height) / 1e6; mp > s.cfg.MaxMegapixels {
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("%dx%d is %.1f megapixels, over this server's limit of %.1f (--max-megapixels): send a smaller frame", cfg.Width, cfg.Height, mp, s.cfg.MaxMegapixels), 0)
		return
	}
	f.Width, f.Height = int32(cfg.Width), int32(cfg.Height)
	s.send(w, r, f)
}

// sendRaw sends raw pixels whose layout matches their bytes (what the processor would
// dead-letter is refused here, where the client can still fix it), with their size and stride.
func (s *Server) sendRaw(w http.ResponseWriter, r *http.Request, up *upload, f schemas.Frame) {
	if err := rawSize(up, s.cfg.MaxMegapixels); err != nil {
		writeImageError(w, err)
		return
	}
	f.Width, f.Height = int32(up.raw.Width), int32(up.raw.Height)
	if up.raw.Stride != 0 {
		f.Attributes = map[string]string{pixels.StrideAttribute: strconv.Itoa(up.raw.Stride)}
	}
	s.send(w, r, f)
}

// send produces the frame and answers with where it landed.
func (s *Server) send(w http.ResponseWriter, r *http.Request, f schemas.Frame) {
	d, err := s.cfg.Frames.Send(r.Context(), f)
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, err.Error()+
			": send a smaller frame, or raise the frames topic's max.message.bytes (kafka-configs.sh --alter --add-config max.message.bytes=N) and --max-image-bytes", 0)
		return
	case errors.Is(err, ErrFrameRefused):
		writeError(w, http.StatusUnprocessableEntity, CodeRefused, err.Error()+": a retry will be refused the same way", 0)
		return
	case err != nil:
		s.log.Warn("frame not produced", "camera", f.CameraID, "seq", f.Seq, "err", err)
		writeError(w, http.StatusBadGateway, CodeUpstream, "Kafka did not acknowledge the frame: "+err.Error()+": retry with the same seq", 0)
		return
	}
	writeJSON(w, http.StatusAccepted, FrameAccepted{CameraID: f.CameraID, UserID: f.UserID, Seq: f.Seq,
		CapturedAt: f.CapturedAt, Width: int(f.Width), Height: int(f.Height), Delivery: d})
}

// frameOf builds the Frame from the upload and the camera, user, seq and captured_at
// parameters (query string or form fields).
func (s *Server) frameOf(r *http.Request, up *upload) (schemas.Frame, error) {
	f := schemas.Frame{CameraID: up.param(r, "camera"), UserID: up.param(r, "user"), ContentType: up.contentType, Image: up.data}
	if f.CameraID == "" {
		f.CameraID = "http"
	}
	if !idPattern.MatchString(f.CameraID) {
		return f, fmt.Errorf("camera %s: use 1-128 letters, digits and . _ : - (starting with a letter or digit)", quote(f.CameraID))
	}
	if f.UserID == "" {
		f.UserID = f.CameraID
	}
	if !idPattern.MatchString(f.UserID) {
		return f, fmt.Errorf("user %s: use 1-128 letters, digits and . _ : - (starting with a letter or digit)", quote(f.UserID))
	}
	f.CapturedAt = time.Now().UTC().Truncate(time.Microsecond)
	if v := up.param(r, "captured_at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, fmt.Errorf("captured_at %s: want RFC 3339, like 2026-11-22T10:00:00.123Z", quote(v))
		}
		f.CapturedAt = t.UTC().Truncate(time.Microsecond)
		if err := schemas.CheckCapturedAt(f.CapturedAt, time.Now(), s.cfg.MaxClockSkew); err != nil {
			return f, err
		}
	}
	if v := up.param(r, "seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, fmt.Errorf("seq %s: want a whole number >= 0, increasing per camera", quote(v))
		}
		f.Seq = n
		s.seq.observe(f.CameraID, n)
	} else {
		f.Seq = s.seq.take(r.Context(), f.CameraID, s.cfg.Cameras)
	}
	return f, nil
}
