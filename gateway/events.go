package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/holostream/holostream/schemas"
)

// Event is one live event for a camera's subscribers: Type is the SSE event name ("keypoints",
// "action" or "stats"), Data its JSON.
type Event struct {
	Type string
	ID   string
	Data []byte
}

// Hub fans live events out to the subscribers of each camera. Keypoint events and actions name
// their camera; window stats name only a user, so they go to the cameras that user was last
// seen on. A subscriber never slows the others: each has a queue of streamQueue events, an event
// that finds it full is lost for that subscriber (counted), and a subscriber that loses lagLimit
// events without once emptying its queue in between is dropped from the hub (its stream ends).
//
// The hub also admits subscribers, against the limits of streamLimits: in all, per client, per
// camera, and for cameras with no event and no table row yet ("waiting"), whose streams are kept
// apart so made-up camera ids cannot fill the server. Hub is safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	cams    map[string]*cameraSubs
	clients map[string]int // client -> open subscriptions
	total   int
	waiting int                             // subscriptions of waiting cameras
	users   map[string]map[string]time.Time // user -> camera -> last keypoint event seen
	// usersSwept is when forgetUsers last swept users.
	usersSwept time.Time
	// dropped counts lost events, dropSlow a subscriber dropped for falling behind; the
	// Server sets them to its metrics.
	dropped  func(n int)
	dropSlow func()
}

// cameraSubs are the subscribers of one camera.
type cameraSubs struct {
	subs map[*subscriber]struct{}
	// waiting: no event of this camera has reached the hub, and the landmarks table did not know
	// it when its subscribers came. Its subscribers count in Hub.waiting until either changes.
	waiting bool
}

// subscriber is one event stream's end of the hub.
type subscriber struct {
	camera, client string
	events         chan Event
	// slow is closed when the hub drops the subscriber for falling behind.
	slow chan struct{}
	lost int  // events lost since its queue was last empty
	gone bool // no longer in the hub
}

// streamQueue is each subscriber's queue: about 2 s of a 30 fps camera's keypoint events, so
// a reader that pauses for a moment (a GC, a busy tab) loses nothing.
const streamQueue = 64

// lagLimit is how many events a subscriber may lose without catching up (emptying its queue)
// before it is dropped: it is then a queue's length behind the live events, and staying
// connected would only hand it an ever-older, gappier stream. EventSource reconnects on its
// own and resumes with live events.
const lagLimit = streamQueue

// streamLimits bound the subscribers a Hub admits.
type streamLimits struct {
	total, perClient, perCamera, waiting int
}

// refusal is why a subscription was not admitted: the status and message of the answer, and
// the reason label of holostream_sse_refused_total.
type refusal struct {
	status int
	reason string
	msg    string
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{cams: map[string]*cameraSubs{}, clients: map[string]int{}, users: map[string]map[string]time.Time{},
		dropped: func(int) {}, dropSlow: func() {}}
}

// userMemory is how long a user stays tied to a camera after its last keypoint event.
const userMemory = 10 * time.Minute

// PublishKeypoints sends a keypoint event to its camera's subscribers.
func (h *Hub) PublishKeypoints(ev schemas.KeypointEvent) {
	h.mu.Lock()
	now := time.Now()
	if ev.UserID != "" {
		h.seen(ev.UserID, ev.CameraID, now)
	}
	// Each person's stats come keyed by the person (schemas.PersonKey): tie them to the camera.
	for _, p := range ev.People {
		h.seen(schemas.PersonKey(ev.UserID, ev.CameraID, p.ID), ev.CameraID, now)
	}
	h.forgetUsers(now)
	h.mu.Unlock()
	h.publish(ev.CameraID, "keypoints", strconv.FormatInt(ev.Seq, 10), keypointsJSON{ev, ev.People})
}

// seen ties user to camera as of now; h.mu is held.
func (h *Hub) seen(user, camera string, now time.Time) {
	cams := h.users[user]
	if cams == nil {
		cams = map[string]time.Time{}
		h.users[user] = cams
	}
	cams[camera] = now
}

// forgetUsers drops, at most once a minute, the users seen on no camera for userMemory: track
// ids are never reused, so the people of a busy camera would otherwise pile up. h.mu is held.
func (h *Hub) forgetUsers(now time.Time) {
	if now.Sub(h.usersSwept) < time.Minute {
		return
	}
	h.usersSwept = now
	for user, cams := range h.users {
		for cam, at := range cams {
			if now.Sub(at) >= userMemory {
				delete(cams, cam)
			}
		}
		if len(cams) == 0 {
			delete(h.users, user)
		}
	}
}

// keypointsJSON is a keypoint event as its stream sends it: the event's JSON, its people left
// out when there are none, so that the event of one person is what it was before people
// existed (the schemas' JSON always has people, [] when none).
type keypointsJSON struct {
	schemas.KeypointEvent
	People []schemas.Person `json:"people,omitempty"` // shadows the embedded event's
}

// PublishAction sends an action event to its camera's subscribers.
func (h *Hub) PublishAction(ev schemas.ActionEvent) {
	h.publish(ev.CameraID, "action", "", ev)
}

// PublishStats sends a window of stats to the subscribers of every camera its user was seen on.
func (h *Hub) PublishStats(ev schemas.PoseStats) {
	h.mu.Lock()
	var cams []string
	for cam, seen := range h.users[ev.UserID] {
		if time.Since(seen) < userMemory {
			cams = append(cams, cam)
		} else {
			delete(h.users[ev.UserID], cam)
		}
	}
	h.mu.Unlock()
	for _, cam := range cams {
		h.publish(cam, "stats", "", ev)
	}
}

func (h *Hub) publish(camera, typ, id string, v any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cams[camera]
	if c == nil {
		return
	}
	h.known(c) // an event of it: the camera exists
	data, err := json.Marshal(v)
	if err != nil {
		return // our own schema types always marshal
	}
	ev := Event{Type: typ, ID: id, Data: data}
	for sub := range c.subs {
		select {
		case sub.events <- ev:
			if len(sub.events) <= 1 {
				sub.lost = 0 // its queue was empty: it had caught up
			}
		default:
			sub.lost++
			h.dropped(1)
			if sub.lost >= lagLimit {
				h.dropped(len(sub.events)) // queued for it, never to be sent
				h.remove(sub)
				close(sub.slow)
				h.dropSlow()
			}
		}
	}
}

// known takes c's subscribers out of the waiting ones. h.mu is held.
func (h *Hub) known(c *cameraSubs) {
	if c.waiting {
		c.waiting = false
		h.waiting -= len(c.subs)
	}
}

// isKnown reports whether camera has subscribers that are not waiting: an event of it reached
// the hub, or the table knew it. Then a new subscriber needs no look-up in the table.
func (h *Hub) isKnown(camera string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cams[camera]
	return c != nil && !c.waiting
}

// subscribe admits a subscriber of camera for client, or says why not. known says the landmarks
// table has a row for the camera; an unknown camera's subscribers wait (see Hub) until its
// first event. The per-client limit is checked first: only the client itself can cure it.
func (h *Hub) subscribe(camera, client string, known bool, lim streamLimits) (*subscriber, *refusal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cams[camera]
	if c != nil && known {
		h.known(c)
	}
	waiting := (c == nil && !known) || (c != nil && c.waiting)
	switch {
	case h.clients[client] >= lim.perClient:
		return nil, &refusal{http.StatusTooManyRequests, "client", fmt.Sprintf(
			"this client (%s) has %d event streams open, its limit (the server's --max-streams-per-client): close one before opening another",
			client, h.clients[client])}
	case h.total >= lim.total:
		return nil, &refusal{http.StatusServiceUnavailable, "server", fmt.Sprintf(
			"%d event streams are open, the server's limit (--max-streams): retry later", h.total)}
	case c != nil && len(c.subs) >= lim.perCamera:
		return nil, &refusal{http.StatusServiceUnavailable, "camera", fmt.Sprintf(
			"camera %s has %d event streams open, its limit (the server's --max-streams-per-camera): retry later", quote(camera), len(c.subs))}
	case waiting && h.waiting >= lim.waiting:
		return nil, &refusal{http.StatusServiceUnavailable, "waiting", fmt.Sprintf(
			"no frame of camera %s has been seen yet, and %d streams already wait for cameras without frames (the server's --max-waiting-streams): "+
				"check the camera id (GET /v1/cameras lists the known ones), or retry once the camera sends frames", quote(camera), h.waiting)}
	}
	if c == nil {
		c = &cameraSubs{subs: map[*subscriber]struct{}{}, waiting: waiting}
		h.cams[camera] = c
	}
	sub := &subscriber{camera: camera, client: client, events: make(chan Event, streamQueue), slow: make(chan struct{})}
	c.subs[sub] = struct{}{}
	h.clients[client]++
	h.total++
	if waiting {
		h.waiting++
	}
	return sub, nil
}

// unsubscribe ends a subscription; one the hub dropped already is left alone.
func (h *Hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(sub)
}

// remove takes sub out of the hub. h.mu is held.
func (h *Hub) remove(sub *subscriber) {
	if sub.gone {
		return
	}
	sub.gone = true
	c := h.cams[sub.camera]
	delete(c.subs, sub)
	if c.waiting {
		h.waiting--
	}
	if len(c.subs) == 0 {
		delete(h.cams, sub.camera)
	}
	if h.clients[sub.client]--; h.clients[sub.client] == 0 {
		delete(h.clients, sub.client)
	}
	h.total--
}

// Subscribers counts the open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// heartbeat is how often an idle event stream gets a comment line, so proxies and browsers
// keep the connection open.
const heartbeat = 15 * time.Second

// streamWriteTimeout bounds each write to an event stream. A client that stops reading fills
// its socket's buffers, and the write after that would block for ever, holding the stream's
// slot; this ends it instead.
const streamWriteTimeout = 10 * time.Second

// streamRetryAfter is the Retry-After of a refused stream: streams last minutes, so an earlier
// retry would mostly be refused again.
const streamRetryAfter = 10 * time.Second

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.cfg.Events == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server does not follow the output topics: start it with --brokers", 0)
		return
	}
	if !idPattern.MatchString(id) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "camera "+quote(id)+": not a camera id: use 1-128 letters, digits and . _ : - (starting with a letter or digit)", 0)
		return
	}
	hub := s.cfg.Events
	known := hub.isKnown(id) || s.inTable(r.Context(), id)
	sub, no := hub.subscribe(id, streamClient(r), known, s.streams)
	if no != nil {
		s.metrics.streamsRefused.WithLabelValues(no.reason).Inc()
		writeError(w, no.status, CodeTooManyStreams, no.msg, streamRetryAfter)
		return
	}
	defer hub.unsubscribe(sub)
	s.metrics.subscribers.Inc()
	defer s.metrics.subscribers.Dec()
	s.stream(w, r, sub, known)
}

// inTable reports whether the landmarks table has a row for camera. A table that cannot be read
// (still recovering, say) knows nothing: the stream waits for the camera's first event.
func (s *Server) inTable(ctx context.Context, camera string) bool {
	if s.cfg.Cameras == nil {
		return false
	}
	_, found, err := s.cfg.Cameras.Camera(ctx, camera)
	return err == nil && found
}

// stream writes sub's events to w until the client leaves, the server closes, a write fails or
// times out, or the hub drops sub for falling behind.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, sub *subscriber, known bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	out := sseWriter{w, http.NewResponseController(w)}
	note := ""
	if !known {
		note = " (no frame of it seen yet: its events start with its first)"
	}
	if !out.send(streamWriteTimeout, "retry: 2000\n: events of camera %s%s\n\n", sub.camera, note) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for ok := true; ok; {
		// Dropped for falling behind comes first: the events still queued are the old ones.
		select {
		case <-sub.slow:
			s.closeSlow(out, sub)
			return
		default:
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-sub.slow:
			s.closeSlow(out, sub)
			return
		case <-tick.C:
			ok = out.send(streamWriteTimeout, ": ping\n\n")
		case ev := <-sub.events:
			ok = out.event(ev)
		}
	}
}

// closeSlow logs a stream dropped for falling behind and gives its client a last word, for one
// that reads at all (curl, a log), waiting little for it since this client is behind.
func (s *Server) closeSlow(out sseWriter, sub *subscriber) {
	s.log.Info("event stream closed: its client fell behind", "camera", sub.camera, "client", sub.client, "lost", lagLimit)
	out.send(time.Second, ": closed: this client lost %d events without catching up; reconnect for the live events\n\n", lagLimit)
}

// sseWriter writes an event stream.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// send writes and flushes one block, giving up after timeout; false when the client is gone or
// did not take it in time. (The server's write timeout is for whole answers: a stream gets one
// per write.)
func (o sseWriter) send(timeout time.Duration, format string, args ...any) bool {
	o.rc.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(o.w, format, args...); err != nil {
		return false
	}
	return o.rc.Flush() == nil
}

// event sends one event.
func (o sseWriter) event(ev Event) bool {
	if ev.ID != "" {
		return o.send(streamWriteTimeout, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.Data)
	}
	return o.send(streamWriteTimeout, "event: %s\ndata: %s\n\n", ev.Type, ev.Data)
}

// streamClient names the client of an event stream for its per-client limit: its address, an
// IPv6 address by its /64 (what one host is usually given). Not the token: the server has one,
// shared by every client, so it would make all of them one client.
func streamClient(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Unmap().Is4() {
		return host
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// maxEcho is how much of a client's value an error message quotes.
const maxEcho = 64

// quote quotes a client's value for an error message, cut to maxEcho bytes: an answer should not
// carry back a 10 KB id.
func quote(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s)) + fmt.Sprintf("... (%d bytes)", len(s))
}

// clip is s cut to maxEcho bytes, for messages and logs that show it unquoted.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return cut(s) + fmt.Sprintf("... (%d bytes)", len(s))
}

// cut is s's first maxEcho bytes, not splitting a character.
func cut(s string) string {
	n := maxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
