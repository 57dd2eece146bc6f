package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/holostream/holostream/model"
)

// Inferer runs the landmark pipeline on one image in image mode. *model.Landmarker is one; it is
// safe for concurrent use and bounds its own interpreters, the pool below bounds the requests.
type Inferer interface {
	Detect(img model.Image) (model.Result, error)
	Kind() model.Kind
}

// inferPool admits at most workers+queue requests; workers of them decode and infer at once.
// Admission never blocks: a request that finds the queue full is answered 503 at once, so a
// burst cannot pile up goroutines and memory behind a busy model.
type inferPool struct {
	admit   chan struct{} // capacity workers+queue: requests in the building
	work    chan struct{} // capacity workers: requests decoding or inferring
	timeout time.Duration
	metrics *metrics
}

func newInferPool(workers, queue int, timeout time.Duration, m *metrics) *inferPool {
	return &inferPool{admit: make(chan struct{}, workers+queue), work: make(chan struct{}, workers), timeout: timeout, metrics: m}
}

// errQueueFull and errTimeout are the pool's two refusals.
var (
	errQueueFull = errors.New("queue full")
	errTimeout   = errors.New("timeout")
)

// do runs fn on a worker. It returns errQueueFull when the request cannot even queue, and
// errTimeout when fn has not finished within the pool's timeout (counted from admission). fn
// keeps its worker until it returns, also after a timeout: the model cannot be interrupted, and
// freeing the slot early would let more work in than there are workers.
func (p *inferPool) do(ctx context.Context, fn func()) error {
	select {
	case p.admit <- struct{}{}:
	default:
		return errQueueFull
	}
	p.metrics.inferQueued.Inc()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer func() { <-p.admit; p.metrics.inferQueued.Dec() }()
		select {
		case p.work <- struct{}{}:
		case <-ctx.Done():
			close(done)
			return
		}
		defer func() { <-p.work }()
		p.metrics.inferRunning.Inc()
		defer p.metrics.inferRunning.Dec()
		if ctx.Err() == nil {
			fn()
		}
		close(done)
	}()
	select {
	case <-done:
		if ctx.Err() != nil {
			return errTimeout
		}
		return nil
	case <-ctx.Done():
		return errTimeout
	}
}

// retryAfter is how long a refused client should wait: the queue drains in about
// queue/workers inference times, well under a second for the pose models, so one second (the
// header's smallest value) is enough for one retry to find room without hammering the server.
func (p *inferPool) retryAfter() time.Duration { return time.Second }

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Inferer == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "no model loaded in this server: start it with --model", 0)
		return
	}
	up, err := readUpload(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeUploadError(w, err)
		return
	}
	source := up.filename
	if source == "" {
		source = "upload"
	}
	var out model.Output
	var inferErr error
	err = s.pool.do(r.Context(), func() {
		start := time.Now()
		img, _, err := model.DecodeImage(up.data, s.cfg.MaxMegapixels)
		if err != nil {
			inferErr = err
			return
		}
		decoded := time.Since(start)
		res, err := s.cfg.Inferer.Detect(img)
		if err != nil {
			inferErr = err
			return
		}
		out = model.NewOutput(source, img, s.cfg.Inferer.Kind(), res, decoded, time.Since(start))
	})
	switch {
	case errors.Is(err, errQueueFull):
		s.metrics.inferRejected.Inc()
		writeError(w, http.StatusServiceUnavailable, CodeQueueFull,
			fmt.Sprintf("all %d inference workers are busy and %d requests are waiting: retry after the Retry-After seconds, or send to another instance",
				cap(s.pool.work), cap(s.pool.admit)-cap(s.pool.work)), s.pool.retryAfter())
	case errors.Is(err, errTimeout):
		writeError(w, http.StatusGatewayTimeout, CodeTimeout,
			fmt.Sprintf("no result within %v (the server is overloaded): retry later", s.cfg.InferTimeout), 0)
	case inferErr != nil:
		writeImageError(w, inferErr)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// writeImageError answers a decode or inference failure with its status: 413 for too many
// pixels, 415 for bytes that are no image, 400 for a damaged one, 500 for a model failure.
func writeImageError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, model.ErrImageTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, err.Error()+": send a smaller image", 0)
	case errors.Is(err, model.ErrNotImage):
		writeError(w, http.StatusUnsupportedMediaType, CodeNotImage, err.Error(), 0)
	case errors.Is(err, model.ErrEmptyImage):
		writeError(w, http.StatusBadRequest, CodeEmpty, err.Error(), 0)
	case errors.Is(err, model.ErrCorruptImage):
		writeError(w, http.StatusBadRequest, CodeCorrupt, err.Error()+": the image is truncated or damaged", 0)
	default:
		writeError(w, http.StatusInternalServerError, CodeInternal, "inference failed: "+err.Error(), 0)
	}
}

func writeUploadError(w http.ResponseWriter, err error) {
	var ue *uploadError
	if errors.As(err, &ue) {
		writeError(w, ue.status, ue.code, ue.msg, 0)
		return
	}
	writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error(), 0)
}
