package gateway

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/schemas"
)

// Config is what a Server is built from. Every part is optional (see the package comment); the
// limits have defaults (see Defaults).
type Config struct {
	Inferer Inferer     // POST /v1/infer
	Frames  FrameSink   // POST /v1/frames
	Cameras CameraStore // GET /v1/cameras...
	Events  *Hub        // GET /v1/cameras/{id}/events
	Recent  *Recent     // GET /v1/cameras/{id}/frames/{seq} and /v1/cameras/{id}/recent

	// Ready reports why the server is not ready yet (processors recovering, say); nil: ready.
	Ready func() error
	// Gatherer is served on /metrics; Registerer gets the gateway's own metrics. Either may be nil.
	Gatherer   prometheus.Gatherer
	Registerer prometheus.Registerer
	Log        *slog.Logger
	Version    string

	MaxBodyBytes  int64         // request bodies (default 16 MiB)
	MaxMegapixels float64       // images (default 50)
	MaxImageBytes int           // a frame's image on POST /v1/frames (default 8 MiB; the processors' --max-image-bytes)
	MaxClockSkew  time.Duration // how far ahead of this server's clock a frame's captured_at may be (default 1 h)
	InferWorkers  int           // images decoded and inferred at once (default: the Inferer's workers, else model.CPUs)
	InferQueue    int           // most requests waiting for a worker, a backstop to the wait bound (default 1024; < 0: none)
	InferTimeout  time.Duration // the latency budget: admitted only if expected within it; 504 past it (default 10 s)
	InferMemory   int64         // bytes admitted requests may hold: bodies and decoded pixels (default 512 MiB)
	// InferRefusalDelay holds a 503 of /v1/infer this long before it is sent (default 1 s, the
	// Retry-After; < 0: none), so a client that ignores Retry-After comes back once a second
	// instead of at once; at most DefaultInferQueue refusals are held at a time.
	InferRefusalDelay time.Duration
	RateLimit         float64 // requests per second per client on /v1/ (0: no limit)
	RateBurst         int     // bucket size (default: 2 x RateLimit, at least 1)
	Token             string  // required as a bearer token on /v1/ when set
	MaxSubscribers    int     // open event streams (default 256)
	// MaxSubscribersPerClient bounds one client's event streams, a client being its address
	// (IPv6: its /64) (default 16). MaxSubscribersPerCamera bounds one camera's (default 64).
	// MaxWaitingSubscribers bounds, in all, the streams of cameras neither the landmarks table
	// nor the live events know yet (default 32), so made-up ids cannot take every stream.
	MaxSubscribersPerClient int
	MaxSubscribersPerCamera int
	MaxWaitingSubscribers   int
}

// The defaults of POST /v1/infer's admission. The queue is bounded by expected wait
// (InferTimeout) in practice; DefaultInferQueue is a backstop for a model measured as fast.
// DefaultInferMemory holds a 50-megapixel JPEG or 8-bit PNG decoding (Config.MaxMegapixels'
// default: 300-350 MB) beside some eighty 640x480 frames.
const (
	DefaultInferQueue  = 1024
	DefaultInferMemory = 512 << 20
)

// Defaults fills the limits left zero.
func (c Config) Defaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.MaxMegapixels <= 0 {
		c.MaxMegapixels = 50
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = 8 << 20
	}
	if c.MaxClockSkew <= 0 {
		c.MaxClockSkew = schemas.DefaultMaxClockSkew
	}
	if c.InferWorkers <= 0 {
		c.InferWorkers = model.CPUs()
		// The pool runs as many requests at once as the model has workers: more would wait
		// inside the model holding their decoded images, fewer would leave workers idle.
		if w, ok := c.Inferer.(interface{ Workers() int }); ok && w.Workers() > 0 {
			c.InferWorkers = w.Workers()
		}
	}
	if c.InferQueue < 0 {
		c.InferQueue = 0
	} else if c.InferQueue == 0 {
		c.InferQueue = DefaultInferQueue
	}
	if c.InferMemory <= 0 {
		c.InferMemory = DefaultInferMemory
	}
	if c.InferRefusalDelay == 0 {
		c.InferRefusalDelay = time.Second
	}
	if c.InferTimeout <= 0 {
		c.InferTimeout = 10 * time.Second
	}
	if c.RateBurst <= 0 {
		c.RateBurst = max(1, int(2*c.RateLimit))
	}
	if c.MaxSubscribers <= 0 {
		c.MaxSubscribers = 256
	}
	if c.MaxSubscribersPerClient <= 0 {
		c.MaxSubscribersPerClient = 16
	}
	if c.MaxSubscribersPerCamera <= 0 {
		c.MaxSubscribersPerCamera = 64
	}
	if c.MaxWaitingSubscribers <= 0 {
		c.MaxWaitingSubscribers = 32
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate checks the limits: zero means the default (Defaults), a negative value is a mistake
// (except InferQueue and InferRefusalDelay, where it means none). The errors name the flags of
// `holostream serve` that set each limit.
func (c Config) Validate() error {
	for _, f := range []struct {
		flag string
		v    float64
	}{
		{"--rate-limit", c.RateLimit}, {"--max-body-bytes", float64(c.MaxBodyBytes)}, {"--max-megapixels", c.MaxMegapixels},
		{"--max-image-bytes", float64(c.MaxImageBytes)}, {"--max-clock-skew", float64(c.MaxClockSkew)},
		{"--infer-workers", float64(c.InferWorkers)}, {"--infer-timeout", float64(c.InferTimeout)}, {"--infer-memory-bytes", float64(c.InferMemory)},
		{"--max-streams", float64(c.MaxSubscribers)}, {"--max-streams-per-client", float64(c.MaxSubscribersPerClient)},
		{"--max-streams-per-camera", float64(c.MaxSubscribersPerCamera)}, {"--max-waiting-streams", float64(c.MaxWaitingSubscribers)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s %v: must be > 0", f.flag, f.v)
		}
	}
	return nil
}

// Server is the HTTP handler of the gateway. It is safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	pool     *inferPool
	shedLog  *shedLog
	refusals chan struct{} // the 503s of /v1/infer being held (Config.InferRefusalDelay)
	limits   *limiters
	streams  streamLimits
	seq      sequencer
	metrics  *metrics
	done     chan struct{}
	doneOnce sync.Once
}

// New builds a Server. It registers the gateway's metrics with cfg.Registerer.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.Defaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), metrics: m, done: make(chan struct{}),
		pool: newInferPool(cfg.InferWorkers, cfg.InferQueue, cfg.InferTimeout, cfg.InferMemory, m), shedLog: newShedLog(cfg.Log, 10*time.Second),
		refusals: make(chan struct{}, DefaultInferQueue)}
	if cfg.RateLimit > 0 {
		s.limits = newLimiters(cfg.RateLimit, cfg.RateBurst)
	}
	s.streams = streamLimits{total: cfg.MaxSubscribers, perClient: cfg.MaxSubscribersPerClient,
		perCamera: cfg.MaxSubscribersPerCamera, waiting: cfg.MaxWaitingSubscribers}
	if cfg.Events != nil {
		cfg.Events.mu.Lock()
		cfg.Events.dropped = func(n int) { m.dropped.Add(float64(n)) }
		cfg.Events.dropSlow = m.streamsSlow.Inc
		cfg.Events.mu.Unlock()
	}
	s.routes()
	return s, nil
}

// Close ends the open event streams (http.Server.Shutdown does not end hijack-free streams by
// itself: it waits for them).
func (s *Server) Close() { s.doneOnce.Do(func() { close(s.done) }) }

func (s *Server) routes() {
	methods := map[string][]string{} // path -> the methods it answers, for 405's Allow header
	api := func(pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, s.guard(h))
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			return
		}
		if methods[path] == nil {
			allow := func() string { return strings.Join(methods[path], ", ") }
			s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Allow", allow())
				writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, clip(r.Method)+" "+clip(r.URL.Path)+": use "+allow(), 0)
			})
		}
		methods[path] = append(methods[path], method)
	}
	api("POST /v1/frames", s.handleFrames)
	api("POST /v1/infer", s.handleInfer)
	api("GET /v1/cameras", s.handleCameras)
	api("GET /v1/cameras/{id}", s.handleCamera)
	api(eventsRoute, s.handleEvents)
	api("GET /v1/cameras/{id}/frames/{seq}", s.handleFrame)
	api("GET /v1/cameras/{id}/recent", s.handleRecent)
	api("GET /v1/skeleton", s.handleSkeleton)
	api("GET /v1/info", s.handleInfo)
	api("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, clip(r.Method)+" "+clip(r.URL.Path)+": no such endpoint (see GET /v1/info and the README's API section)", 0)
	})
	if s.cfg.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.uiRoutes()
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Write([]byte("ready\n"))
}

// guard is the /v1/ chain: bearer token, then the client's rate.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(s.cfg.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="holostream"`)
			msg := "missing or wrong token: send Authorization: Bearer <token> (the server's --token-file or $HOLOSTREAM_TOKEN)"
			if r.Header.Get("Authorization") == "" && r.URL.Query().Has("access_token") && !queryTokenRoute(r) {
				msg = "?access_token= is taken only by GET /v1/cameras/{id}/events (EventSource cannot send headers): send Authorization: Bearer <token>"
			}
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, msg, 0)
			return
		}
		if s.limits != nil {
			if ok, wait := s.limits.allow(streamClient(r), time.Now()); !ok {
				s.metrics.rateLimited.Inc()
				writeError(w, http.StatusTooManyRequests, CodeRateLimited,
					"too many requests from this client: slow down to the server's --rate-limit per second", wait)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP logs and measures every request, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-ID")
	if id == "" || len(id) > 64 {
		id = newRequestID()
	}
	w.Header().Set("X-Request-ID", id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	d := time.Since(start)
	s.metrics.requests.WithLabelValues(route, http.StatusText(rec.status)).Inc()
	if !strings.HasSuffix(route, "/events") {
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
	}
	if rec.quiet {
		return // a refusal under overload: counted, and summed up in the log (shedLog)
	}
	level := slog.LevelInfo
	switch {
	case rec.status >= 500:
		level = slog.LevelWarn
	case route == "GET /healthz" || route == "GET /readyz" || route == "GET /metrics" || strings.HasPrefix(route, "GET /ui/"):
		level = slog.LevelDebug
	}
	s.log.Log(r.Context(), level, "http", "method", clip(r.Method), "path", clip(r.URL.Path), "route", route, "status", rec.status,
		"bytes", rec.bytes, "ms", float64(d.Microseconds())/1000, "client", clientKey(r), "request_id", id)
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status and size of an answer. Unwrap lets
// http.ResponseController reach the connection's Flush and deadlines through it.
type statusRecorder struct {
	http.ResponseWriter
	status, bytes int
	wrote         bool
	quiet         bool // not logged one by one
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
