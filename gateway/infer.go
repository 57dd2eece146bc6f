package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
)

// Inferer runs the landmark pipeline on one image in image mode. *model.Landmarker is one; it is
// safe for concurrent use and bounds its own interpreters, the pool (admission.go) bounds the
// requests.
type Inferer interface {
	Detect(img pixels.Image) (model.Result, error)
	Kind() model.Kind
}

// errTimeout is the pool's answer for a request not done within the timeout.
var errTimeout = errors.New("timeout")

func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Inferer == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "no model loaded in this server: start it with --model", 0)
		return
	}
	// Refused before the body is read when the queue is too long whatever the image.
	if ref := s.pool.precheck(); ref != nil {
		s.shed(w, r, ref)
		return
	}
	up, err := readUpload(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeUploadError(w, err)
		return
	}
	cost, err := s.admissionCost(up)
	if err != nil {
		writeImageError(w, err)
		return
	}
	t, ref := s.pool.admit(cost)
	if ref != nil {
		s.shed(w, r, ref)
		return
	}
	source := up.filename
	if source == "" {
		source = "upload"
	}
	var out model.Output
	var inferErr error
	err = s.pool.do(r.Context(), t, func() {
		start := time.Now()
		img, err := s.decode(up)
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
		if s.maxPeople() > 1 {
			out.People = model.NewPeopleOutput(res) // as `holostream infer --max-people` prints them
		}
	})
	switch {
	case errors.Is(err, errTimeout):
		writeError(w, http.StatusGatewayTimeout, CodeTimeout,
			fmt.Sprintf("no result within %v (the server is overloaded): retry later", s.cfg.InferTimeout), 0)
	case inferErr != nil:
		writeImageError(w, inferErr)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// admissionCost is the memory a request holds while admitted: its body, and its decoded pixels
// as its header declares them. An image that can never be decoded is refused here, before it
// waits for a worker: too many megapixels, more memory than the whole budget, or a header that
// cannot be read (decoding stops at the header, so it runs here to say what is wrong).
func (s *Server) admissionCost(up *upload) (int64, error) {
	data := up.data
	if up.raw != nil {
		if err := rawSize(up, s.cfg.MaxMegapixels); err != nil {
			return 0, err
		}
		return s.checkCost(imageHeader{format: string(up.raw.Format), width: up.raw.Width, height: up.raw.Height, bytesPerPixel: 3}, data)
	}
	h, ok := readImageHeader(data)
	if !ok {
		// Decoding stops at the same header (libjpeg's markers, image/png's chunks): this says
		// what is wrong at no cost. Should it ever decode, the image is counted as decoded.
		img, format, err := pixels.DecodeImage(data, s.cfg.MaxMegapixels)
		if err != nil {
			return 0, err
		}
		h = imageHeader{format: format, width: img.Width, height: img.Height, bytesPerPixel: 12}
	}
	return s.checkCost(h, data)
}

// checkCost is the admission cost of an image of header h sent as data, or why it can never fit.
func (s *Server) checkCost(h imageHeader, data []byte) (int64, error) {
	if mp := h.megapixels(); mp > s.cfg.MaxMegapixels {
		return 0, fmt.Errorf("%w: %s header declares %dx%d (%.1f MP), limit %.1f MP",
			pixels.ErrImageTooLarge, h.format, h.width, h.height, mp, s.cfg.MaxMegapixels)
	}
	cost := int64(len(data)) + h.cost()
	if cost > s.cfg.InferMemory {
		return 0, fmt.Errorf("%w: %s %dx%d takes about %d MiB to decode, more than this server's --infer-memory-bytes (%d MiB)",
			pixels.ErrImageTooLarge, h.format, h.width, h.height, cost>>20, s.cfg.InferMemory>>20)
	}
	return cost, nil
}

// decode turns an upload into RGB: raw pixels by their layout, an image by its bytes.
func (s *Server) decode(up *upload) (pixels.Image, error) {
	if up.raw != nil {
		return pixels.DecodeRaw(up.data, *up.raw, s.cfg.MaxMegapixels)
	}
	img, _, err := pixels.DecodeImage(up.data, s.cfg.MaxMegapixels)
	return img, err
}

// shed answers a refused request with 503 and Retry-After. It is the overload path, so it is
// cheap: counted in the metrics, summed up in the log every few seconds instead of a line each.
// The answer is held for Config.InferRefusalDelay first: a client that ignores Retry-After (most
// load tools and scripts) would otherwise send again at once, hundreds of times a second, and
// the refusals, its and ours, would take the cores from the work. Holding costs a goroutine
// and a connection; past DefaultInferQueue held at once, refusals go out at once.
func (s *Server) shed(w http.ResponseWriter, r *http.Request, ref *inferRefusal) {
	s.metrics.inferRejected.WithLabelValues(ref.reason).Inc()
	s.shedLog.add(ref.reason, time.Now(), s.pool.state)
	if rec, ok := w.(*statusRecorder); ok {
		rec.quiet = true
	}
	retry := min(max(time.Second, ref.retryAfter), s.cfg.InferTimeout)
	if d := s.cfg.InferRefusalDelay; d > 0 {
		select {
		case s.refusals <- struct{}{}:
			t := time.NewTimer(min(d, retry))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			case <-s.done:
				t.Stop()
			}
			<-s.refusals
		default:
		}
	}
	writeError(w, http.StatusServiceUnavailable, CodeQueueFull, ref.msg, retry)
}

// writeImageError answers a decode or inference failure with its status: 413 for too many
// pixels, 415 for bytes that are no image, 400 for a damaged one, 500 for a model failure.
func writeImageError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, pixels.ErrImageTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, err.Error()+": send a smaller image", 0)
	case errors.Is(err, pixels.ErrNotImage):
		writeError(w, http.StatusUnsupportedMediaType, CodeNotImage, err.Error(), 0)
	case errors.Is(err, pixels.ErrBadRaw):
		writeError(w, http.StatusBadRequest, CodeBadRaw, err.Error(), 0)
	case errors.Is(err, pixels.ErrUnknownRawFormat):
		writeError(w, http.StatusBadRequest, CodeRawFormat, err.Error(), 0)
	case errors.Is(err, pixels.ErrEmptyImage):
		writeError(w, http.StatusBadRequest, CodeEmpty, err.Error(), 0)
	case errors.Is(err, pixels.ErrCorruptImage):
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

// maxPeople is how many people the Inferer finds per image (model.WithMaxPeople), 1 for one
// that does not say.
func (s *Server) maxPeople() int {
	if m, ok := s.cfg.Inferer.(interface{ MaxPeople() int }); ok {
		return m.MaxPeople()
	}
	return 1
}
