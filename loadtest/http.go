package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/holostream/holostream/camera"
)

// HTTPLoad posts frames to an upload endpoint (holostream serve's POST /v1/infer) the way
// cameras would: open loop, each camera sending on its schedule without waiting for the answers
// to earlier frames. It is safe for concurrent use: run each camera from its own goroutine,
// then Wait for the answers still due.
type HTTPLoad struct {
	URL    string       // the endpoint, e.g. http://127.0.0.1:8080/v1/infer
	Token  string       // sent as "Authorization: Bearer TOKEN" when set
	Client *http.Client // nil: http.DefaultClient
	Rec    *Recorder
	// MaxInFlight caps each camera's unanswered requests; a frame due while a camera is at the
	// cap is not sent and counts as dropped_by_client. 0: 2*fps+1.
	MaxInFlight int

	wg    sync.WaitGroup
	model atomic.Pointer[string]
}

// answer is the part of a 200 answer the load test reads.
type answer struct {
	Model string          `json:"model"`
	Pose  json.RawMessage `json:"pose"`
}

// Camera posts src's images in a loop as camera id, fps a second, for dur from now (or until
// ctx ends), and returns how many frames were due. The requests run on after it returns, under
// ctx; Wait waits for them.
func (h *HTTPLoad) Camera(ctx context.Context, id string, fps float64, src camera.Source, dur time.Duration) (int, error) {
	if len(src) == 0 {
		return 0, errors.New("loadtest: empty source")
	}
	if !(fps > 0) {
		return 0, fmt.Errorf("loadtest: camera %s: fps %v must be > 0", id, fps)
	}
	limit := int64(h.MaxInFlight)
	if limit <= 0 {
		limit = int64(2*fps) + 1
	}
	var inFlight atomic.Int64
	interval := time.Duration(float64(time.Second) / fps)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.NewTimer(dur)
	defer end.Stop()
	for seq := int64(1); ; seq++ {
		if seq > 1 {
			select {
			case <-tick.C:
			case <-end.C:
				return int(seq - 1), nil
			case <-ctx.Done():
				return int(seq - 1), nil
			}
		}
		fid := FrameID{Camera: id, Seq: seq}
		h.Rec.Sent(fid, time.Now())
		if inFlight.Load() >= limit {
			h.Rec.Failed(fid, "dropped_by_client")
			continue
		}
		h.Rec.Acked(fid)
		inFlight.Add(1)
		h.wg.Add(1)
		still := src[int(seq-1)%len(src)]
		go func() {
			defer h.wg.Done()
			defer inFlight.Add(-1)
			h.post(ctx, fid, still)
		}()
	}
}

// post sends one frame and records its answer.
func (h *HTTPLoad) post(ctx context.Context, id FrameID, s camera.Still) {
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(s.Data))
	if err != nil {
		h.Rec.Reject(id, "bad_request_url", time.Now())
		return
	}
	req.Header.Set("Content-Type", s.ContentType)
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	resp, err := c.Do(req)
	if err != nil {
		h.Rec.Reject(id, "transport", time.Now())
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	resp.Body.Close()
	now := time.Now()
	switch {
	case err != nil:
		h.Rec.Reject(id, "transport", now)
	case resp.StatusCode != http.StatusOK:
		h.Rec.Reject(id, fmt.Sprintf("http_%d", resp.StatusCode), now)
	default:
		var a answer
		if err := json.Unmarshal(body, &a); err != nil {
			h.Rec.Reject(id, "bad_answer", now)
			return
		}
		if a.Model != "" && h.model.Load() == nil {
			h.model.Store(&a.Model)
		}
		detected := len(a.Pose) > 0 && !bytes.Equal(a.Pose, []byte("null"))
		h.Rec.Outcome(id, Emitted, now, now.Sub(start), detected)
	}
}

// Model is the model the endpoint named in its first 200 answer ("" before one).
func (h *HTTPLoad) Model() string {
	if m := h.model.Load(); m != nil {
		return *m
	}
	return ""
}

// Wait waits until every request has its answer or ctx ends.
func (h *HTTPLoad) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
