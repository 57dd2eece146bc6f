package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

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
// seen on. A subscriber that cannot keep up loses events (counted), never slows the others.
// Hub is safe for concurrent use.
type Hub struct {
	mu      sync.Mutex
	subs    map[string]map[chan Event]struct{}
	users   map[string]map[string]time.Time // user -> camera -> last keypoint event seen
	dropped func()                          // counts a dropped event; set by the Server's metrics
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[string]map[chan Event]struct{}{}, users: map[string]map[string]time.Time{}}
}

// userMemory is how long a user stays tied to a camera after its last keypoint event.
const userMemory = 10 * time.Minute

// PublishKeypoints sends a keypoint event to its camera's subscribers.
func (h *Hub) PublishKeypoints(ev schemas.KeypointEvent) {
	h.mu.Lock()
	if ev.UserID != "" {
		cams := h.users[ev.UserID]
		if cams == nil {
			cams = map[string]time.Time{}
			h.users[ev.UserID] = cams
		}
		cams[ev.CameraID] = time.Now()
	}
	h.mu.Unlock()
	h.publish(ev.CameraID, "keypoints", strconv.FormatInt(ev.Seq, 10), ev)
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
	subs := h.subs[camera]
	if len(subs) == 0 {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return // our own schema types always marshal
	}
	ev := Event{Type: typ, ID: id, Data: data}
	for ch := range subs {
		select {
		case ch <- ev:
		default:
			if h.dropped != nil {
				h.dropped()
			}
		}
	}
}

// Subscribe returns a channel of camera's events and a function that ends the subscription.
func (h *Hub) Subscribe(camera string, buffer int) (<-chan Event, func()) {
	ch := make(chan Event, buffer)
	h.mu.Lock()
	if h.subs[camera] == nil {
		h.subs[camera] = map[chan Event]struct{}{}
	}
	h.subs[camera][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[camera], ch)
		if len(h.subs[camera]) == 0 {
			delete(h.subs, camera)
		}
		h.mu.Unlock()
	}
}

// Subscribers counts the open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.subs {
		n += len(s)
	}
	return n
}

// heartbeat is how often an idle event stream gets a comment line, so proxies and browsers
// keep the connection open.
const heartbeat = 15 * time.Second

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.cfg.Events == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server does not follow the output topics: start it with --brokers", 0)
		return
	}
	if !idPattern.MatchString(id) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "camera "+quote(id)+": not a camera id", 0)
		return
	}
	rc := http.NewResponseController(w)
	if s.cfg.MaxSubscribers > 0 && s.cfg.Events.Subscribers() >= s.cfg.MaxSubscribers {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable,
			fmt.Sprintf("%d event streams are open, the server's limit: close one or retry later", s.cfg.MaxSubscribers), 10*time.Second)
		return
	}
	events, cancel := s.cfg.Events.Subscribe(id, 64)
	defer cancel()
	s.metrics.subscribers.Inc()
	defer s.metrics.subscribers.Dec()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	rc.SetWriteDeadline(time.Time{}) // the server's write timeout is for answers, not streams
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n: events of camera %s\n\n", id)
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case ev := <-events:
			if ev.ID != "" {
				fmt.Fprintf(w, "id: %s\n", ev.ID)
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, ev.Data); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func quote(s string) string { return strconv.Quote(s) }
