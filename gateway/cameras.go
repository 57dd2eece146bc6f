package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/holostream/holostream/schemas"
)

// CameraStore reads the landmarks processor's per-camera state (the group table) as the
// read model the API shows.
type CameraStore interface {
	// Cameras lists every camera the table holds, in id order.
	Cameras(ctx context.Context) ([]schemas.CameraView, error)
	// Camera returns one camera; found is false when the table has no row for it.
	Camera(ctx context.Context, id string) (c schemas.CameraView, found bool, err error)
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
		cams = []schemas.CameraView{}
	}
	writeJSON(w, http.StatusOK, struct {
		Cameras []schemas.CameraView `json:"cameras"`
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
