package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/holostream/holostream/schemas"
)

// Recent keeps what a camera's live page shows that the live events do not carry: the camera's
// latest frames (the page draws each skeleton over the picture it was found in, fetched by seq
// from GET /v1/cameras/{id}/frames/{seq}), and its last actions and windows of stats (GET
// /v1/cameras/{id}/recent), so a page that opens shows them at once instead of "no data yet".
//
// Memory is bounded three ways: frames per camera, cameras (the least recently fed one goes),
// and bytes of images over all cameras (the oldest frames go first). Recent is safe for
// concurrent use.
type Recent struct {
	opts RecentOptions

	mu    sync.Mutex
	cams  map[string]*recentCamera
	users map[string]string // user -> the camera of its last keypoint event
	bytes int64             // image bytes kept
	order []frameRef        // kept frames, oldest first, for the byte budget
}

// RecentOptions bound a Recent; zero fields take the defaults.
type RecentOptions struct {
	Frames   int   // frames kept per camera (default 8: a few hundred ms of video)
	Actions  int   // actions kept per camera (default 20)
	Windows  int   // windows of stats kept per camera (default 10)
	Cameras  int   // cameras kept (default 256)
	MaxBytes int64 // image bytes kept over all cameras (default 64 MiB)
}

func (o RecentOptions) withDefaults() RecentOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Frames, 8)
	def(&o.Actions, 20)
	def(&o.Windows, 10)
	def(&o.Cameras, 256)
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	return o
}

type recentCamera struct {
	frames  []keptFrame // oldest first
	actions []schemas.ActionEvent
	windows []schemas.PoseStats
	fed     time.Time // last put
}

type keptFrame struct {
	seq         int64
	capturedAt  time.Time
	contentType string
	image       []byte
}

type frameRef struct {
	camera     string
	seq        int64
	capturedAt time.Time
}

// RecentHistory is the body of GET /v1/cameras/{id}/recent, oldest first.
type RecentHistory struct {
	Actions []schemas.ActionEvent `json:"actions"`
	Windows []schemas.PoseStats   `json:"windows"`
	// Frames are the seqs whose pictures are kept, for GET /v1/cameras/{id}/frames/{seq}.
	Frames []int64 `json:"frames"`
}

// NewRecent returns an empty store.
func NewRecent(o RecentOptions) *Recent {
	return &Recent{opts: o.withDefaults(), cams: map[string]*recentCamera{}, users: map[string]string{}}
}

// camera returns camera's entry, making room for it; the caller holds mu.
func (r *Recent) camera(id string) *recentCamera {
	c := r.cams[id]
	if c == nil {
		if len(r.cams) >= r.opts.Cameras {
			r.evictStalest()
		}
		c = &recentCamera{}
		r.cams[id] = c
	}
	c.fed = time.Now()
	return c
}

func (r *Recent) evictStalest() {
	var stalest string
	var at time.Time
	for id, c := range r.cams {
		if stalest == "" || c.fed.Before(at) {
			stalest, at = id, c.fed
		}
	}
	for _, f := range r.cams[stalest].frames {
		r.bytes -= int64(len(f.image))
	}
	delete(r.cams, stalest)
}

// PutFrame keeps a frame's image (the caller must not change f.Image afterwards).
func (r *Recent) PutFrame(f schemas.Frame) {
	if int64(len(f.Image)) > r.opts.MaxBytes/4 {
		return // one picture may not push out everyone else's
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.camera(f.CameraID)
	c.frames = append(c.frames, keptFrame{seq: f.Seq, capturedAt: f.CapturedAt, contentType: f.ContentType, image: f.Image})
	r.bytes += int64(len(f.Image))
	r.order = append(r.order, frameRef{camera: f.CameraID, seq: f.Seq, capturedAt: f.CapturedAt})
	if len(c.frames) > r.opts.Frames {
		r.bytes -= int64(len(c.frames[0].image))
		c.frames = c.frames[1:]
	}
	for r.bytes > r.opts.MaxBytes && len(r.order) > 0 {
		r.dropOldest()
	}
	if len(r.order) > 4*r.opts.Frames*r.opts.Cameras {
		r.compactOrder()
	}
}

// dropOldest drops the oldest frame still kept, if order's head still is one.
func (r *Recent) dropOldest() {
	ref := r.order[0]
	r.order = r.order[1:]
	c := r.cams[ref.camera]
	if c == nil || len(c.frames) == 0 {
		return
	}
	if f := c.frames[0]; f.seq == ref.seq && f.capturedAt.Equal(ref.capturedAt) {
		r.bytes -= int64(len(f.image))
		c.frames = c.frames[1:]
	}
}

// compactOrder forgets the references of frames no longer kept, so order stays bounded.
func (r *Recent) compactOrder() {
	kept := r.order[:0]
	for _, ref := range r.order {
		if c := r.cams[ref.camera]; c != nil && c.has(ref) {
			kept = append(kept, ref)
		}
	}
	r.order = append([]frameRef(nil), kept...)
}

func (c *recentCamera) has(ref frameRef) bool {
	for _, f := range c.frames {
		if f.seq == ref.seq && f.capturedAt.Equal(ref.capturedAt) {
			return true
		}
	}
	return false
}

// PutKeypoints notes which camera a user was last seen on, where its windows of stats go.
func (r *Recent) PutKeypoints(ev schemas.KeypointEvent) {
	if ev.UserID == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.users[ev.UserID]; !ok && len(r.users) >= 16*r.opts.Cameras {
		clear(r.users) // rebuilt from the next events: a page only loses a window's history
	}
	r.users[ev.UserID] = ev.CameraID
}

// PutAction keeps an action of its camera.
func (r *Recent) PutAction(ev schemas.ActionEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.camera(ev.CameraID)
	c.actions = appendBounded(c.actions, ev, r.opts.Actions)
}

// PutStats keeps a window of stats with the camera its user was last seen on.
func (r *Recent) PutStats(ev schemas.PoseStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cam, ok := r.users[ev.UserID]
	if !ok {
		return
	}
	c := r.camera(cam)
	c.windows = appendBounded(c.windows, ev, r.opts.Windows)
}

func appendBounded[T any](s []T, v T, most int) []T {
	s = append(s, v)
	if len(s) > most {
		s = append(s[:0:0], s[len(s)-most:]...)
	}
	return s
}

// Frame returns the image of camera's frame seq, if it is kept.
func (r *Recent) Frame(camera string, seq int64) (image []byte, contentType string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cams[camera]
	if c == nil {
		return nil, "", false
	}
	for i := len(c.frames) - 1; i >= 0; i-- {
		if f := c.frames[i]; f.seq == seq {
			return f.image, f.contentType, true
		}
	}
	return nil, "", false
}

// History returns camera's kept actions, windows and frame seqs, oldest first.
func (r *Recent) History(camera string) RecentHistory {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := RecentHistory{Actions: []schemas.ActionEvent{}, Windows: []schemas.PoseStats{}, Frames: []int64{}}
	c := r.cams[camera]
	if c == nil {
		return h
	}
	h.Actions = append(h.Actions, c.actions...)
	h.Windows = append(h.Windows, c.windows...)
	for _, f := range c.frames {
		h.Frames = append(h.Frames, f.seq)
	}
	return h
}

// Bytes is the size of the images kept.
func (r *Recent) Bytes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bytes
}

var errNoRecent = errors.New("this server does not follow the frames and output topics: start it with --brokers")

func (s *Server) handleFrame(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Recent == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, errNoRecent.Error(), 0)
		return
	}
	id := r.PathValue("id")
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "seq: want a whole number, as in /v1/cameras/{id}/frames/42", 0)
		return
	}
	img, ct, ok := s.cfg.Recent.Frame(id, seq)
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("frame %d of camera %s is not kept: this server keeps each camera's last %d frames", seq, quote(id), s.cfg.Recent.opts.Frames), 0)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=60") // a (camera, seq) picture does not change
	w.Write(img)
}

func (s *Server) handleRecent(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Recent == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, errNoRecent.Error(), 0)
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.Recent.History(r.PathValue("id")))
}
