package gateway

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"

	"github.com/holostream/holostream/model"
)

// ui holds the web UI: index.html (upload a photo, see its skeleton), camera.html (a camera's
// live skeletons, actions and window stats) and the scripts and styles they load from /ui/.
// Plain HTML, CSS and JavaScript with no build step and nothing fetched from elsewhere, so the
// UI works offline.
//
//go:embed ui
var ui embed.FS

func (s *Server) uiRoutes() {
	assets, _ := fs.Sub(ui, "ui")
	tags := etags(assets)
	files := http.StripPrefix("/ui/", http.FileServerFS(assets))
	// Embedded files have no modification time, so without an ETag every page load would fetch
	// every asset again; with one, the browser revalidates and gets 304s.
	s.mux.Handle("GET /ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uiHeaders(w.Header())
		if tag, ok := tags[strings.TrimPrefix(r.URL.Path, "/ui/")]; ok {
			w.Header().Set("ETag", tag)
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	}))
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			uiHeaders(w.Header())
			w.Header().Set("ETag", tags[name])
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, assets, name)
		}
	}
	s.mux.HandleFunc("GET /{$}", page("index.html"))
	s.mux.HandleFunc("GET /cameras/{id}", page("camera.html"))
}

// uiPolicy is the UI's Content-Security-Policy: its scripts, styles, API calls and event
// streams come from this server only, never inline; images from it or data: URLs (the empty
// favicon); no plugins, no <base>, forms post here. frame-ancestors 'none': no other site may
// frame the pages, where it could overlay the token form (clickjacking).
const uiPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// uiHeaders sets the security headers of the UI's pages and assets. X-Frame-Options is
// frame-ancestors for browsers without CSP 2; nosniff keeps a script a script; no-referrer
// keeps the pages' URLs (a camera id) from the sites their links lead to.
func uiHeaders(h http.Header) {
	h.Set("Content-Security-Policy", uiPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// etags names every file of the UI by a hash of its bytes.
func etags(assets fs.FS) map[string]string {
	tags := map[string]string{}
	fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	return tags
}

// Skeleton is the body of GET /v1/skeleton: which landmarks to join when drawing.
type Skeleton struct {
	PoseLandmarks   int      `json:"pose_landmarks"`
	PoseConnections [][2]int `json:"pose_connections"`
	HandLandmarks   int      `json:"hand_landmarks"`
	HandConnections [][2]int `json:"hand_connections"`
	// FaceLandmarks are the face mesh's points of this server's model: 478 for
	// holistic-refined, else 468. Events from `run` carry as many as its model gives.
	FaceLandmarks int `json:"face_landmarks"`
	// Irises are, in a 478-point face, each iris's first and last index: the centre, then
	// four points on its edge.
	Irises [][2]int `json:"irises"`
}

func (s *Server) handleSkeleton(w http.ResponseWriter, _ *http.Request) {
	face := model.NumFaceLandmarks
	if s.cfg.Inferer != nil && s.cfg.Inferer.Kind().IsHolistic() {
		face = s.cfg.Inferer.Kind().FaceLandmarks()
	}
	writeJSON(w, http.StatusOK, Skeleton{PoseLandmarks: model.NumPoseLandmarks, PoseConnections: model.PoseConnections(),
		HandLandmarks: model.NumHandLandmarks, HandConnections: model.HandConnections(), FaceLandmarks: face, Irises: model.FaceIrises()})
}

// Info is the body of GET /v1/info.
type Info struct {
	Version string     `json:"version"`
	Model   model.Kind `json:"model,omitempty"`
	Infer   bool       `json:"infer"`
	// MaxPeople is how many people POST /v1/infer finds per image; above 1 its answer carries
	// "people".
	MaxPeople int `json:"max_people,omitempty"`
	// PersonDetector is how POST /v1/infer finds people: "pose" (MediaPipe's) or "ssd".
	PersonDetector string  `json:"person_detector,omitempty"`
	Frames         bool    `json:"frames"`
	Cameras        bool    `json:"cameras"`
	Events         bool    `json:"events"`
	MaxBodyBytes   int64   `json:"max_body_bytes"`
	MaxMegapixels  float64 `json:"max_megapixels"`
	InferWorkers   int     `json:"infer_workers"`
	InferQueue     int     `json:"infer_queue"`
	AuthRequired   bool    `json:"auth_required"`
}

func (s *Server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	i := Info{Version: s.cfg.Version, Infer: s.cfg.Inferer != nil, Frames: s.cfg.Frames != nil,
		Cameras: s.cfg.Cameras != nil, Events: s.cfg.Events != nil, MaxBodyBytes: s.cfg.MaxBodyBytes,
		MaxMegapixels: s.cfg.MaxMegapixels, InferWorkers: s.cfg.InferWorkers, InferQueue: s.cfg.InferQueue,
		AuthRequired: s.cfg.Token != ""}
	if s.cfg.Inferer != nil {
		i.Model, i.MaxPeople = s.cfg.Inferer.Kind(), s.maxPeople()
		if d, ok := s.cfg.Inferer.(interface{ PersonDetector() model.PersonDetector }); ok {
			i.PersonDetector = string(d.PersonDetector())
		}
	}
	writeJSON(w, http.StatusOK, i)
}
