package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/holostream/holostream/processors/landmarks"
)

// CameraStore reads the landmarks processor's per-camera state (the group table).
type CameraStore interface {
	// Cameras lists every camera the table holds, in id order.
	Cameras(ctx context.Context) ([]Camera, error)
	// Camera returns one camera; found is false when the table has no row for it.
	Camera(ctx context.Context, id string) (c Camera, found bool, err error)
}

// Camera is a camera's state as the API shows it.
type Camera struct {
	ID             string    `json:"camera_id"`
	LastSeq        int64     `json:"last_seq"`
	LastCapturedAt time.Time `json:"last_captured_at"`
	// Tracking is true while the previous frame's landmarks give the next frame's region, so
	// the detector is skipped.
	Tracking bool               `json:"tracking"`
	Counters landmarks.Counters `json:"counters"`
	// Balanced: every frame received is emitted, dead-lettered, stale or a duplicate.
	Balanced bool `json:"balanced"`
}

// CameraFromState converts a table value.
func CameraFromState(id string, s *landmarks.CameraState) Camera {
	return Camera{ID: id, LastSeq: s.LastSeq, LastCapturedAt: s.LastCapturedAt, Tracking: s.Track.ROI != nil,
		Counters: s.Counters, Balanced: s.Counters.Balanced()}
}

func (s *Server) handleCameras(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Cameras == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server does not read the landmarks table: start it with --brokers", 0)
		return
	}
	cams, err := s.cfg.Cameras.Cameras(r.Context())
	if err != nil {
		s.unavailable(w, "reading the landmarks table", err)
		return
	}
	if cams == nil {
		cams = []Camera{}
	}
	writeJSON(w, http.StatusOK, struct {
		Cameras []Camera `json:"cameras"`
	}{cams})
}

func (s *Server) handleCamera(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if s.cfg.Cameras == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "this server does not read the landmarks table: start it with --brokers", 0)
		return
	}
	c, found, err := s.cfg.Cameras.Camera(r.Context(), id)
	switch {
	case err != nil:
		s.unavailable(w, "reading the landmarks table", err)
	case !found:
		writeError(w, http.StatusNotFound, CodeNotFound, "no camera "+quote(id)+" in the landmarks table: no frame of it has been processed yet (GET /v1/cameras lists the known ones)", 0)
	default:
		writeJSON(w, http.StatusOK, c)
	}
}

func (s *Server) unavailable(w http.ResponseWriter, what string, err error) {
	s.log.Warn(what+" failed", "err", err)
	writeError(w, http.StatusServiceUnavailable, CodeUnavailable, what+": "+err.Error()+": retry shortly", 5*time.Second)
}
