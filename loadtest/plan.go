package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/holostream/holostream/camera"
)

// Plan is a load test's settings: the steps and their timing, as `holostream loadtest` takes
// them from its flags (named in Validate's errors).
type Plan struct {
	// Mode is "kafka" (through the Kafka pipeline) or "http" (POST /v1/infer).
	Mode string
	// Steps run one after the other, each for Duration, the first Warmup of each left out of the
	// rates, percentiles and CPU mean; Drain bounds the wait for the last outcomes.
	Steps                   []StepSpec
	Duration, Warmup, Drain time.Duration
	// RunID makes the run's camera ids unique (NewRunID).
	RunID string
	// Quiet: no progress line.
	Quiet bool
}

// Validate checks the plan as a whole.
func (p Plan) Validate() error {
	if p.Mode != "kafka" && p.Mode != "http" {
		return fmt.Errorf("--mode %q: want kafka or http", p.Mode)
	}
	if len(p.Steps) == 0 {
		return errors.New("no steps: give --cameras and --fps, or --ramp")
	}
	for _, s := range p.Steps {
		if s.Cameras < 1 || !(s.FPS > 0) {
			return errors.New("--cameras must be >= 1 and --fps > 0")
		}
	}
	if p.Duration <= 0 || p.Warmup < 0 || p.Warmup >= p.Duration || p.Drain < 0 {
		return errors.New("--duration must be > 0, --warmup in [0, --duration), --drain >= 0")
	}
	if p.RunID == "" {
		return errors.New("loadtest: no run id (NewRunID)")
	}
	return nil
}

// NewRunID is a random id for a run, 8 hex digits.
func NewRunID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// HTTPTarget is the gateway a run in mode http loads.
type HTTPTarget struct {
	// URL is the gateway's base URL or its /v1/infer endpoint; Token its bearer token.
	URL, Token string
	// Timeout gives up on a request after this long (a transport error).
	Timeout time.Duration
	// MetricsURL is the gateway's /metrics, for its CPU and memory ("": not measured).
	MetricsURL string
}

// ExecuteHTTP runs the plan against the gateway's upload endpoint, each camera POSTing src's
// stills open loop, and fills in run's target, process and model.
func (p Plan) ExecuteHTTP(ctx context.Context, log *slog.Logger, t HTTPTarget, src camera.Source, rec *Recorder, run *Run, progress io.Writer) error {
	if t.Timeout <= 0 {
		return errors.New("--http-timeout must be > 0")
	}
	url := strings.TrimRight(t.URL, "/")
	if !strings.HasSuffix(url, "/v1/infer") {
		url += "/v1/infer"
	}
	h := &HTTPLoad{URL: url, Token: t.Token, Client: &http.Client{Timeout: t.Timeout}, Rec: rec}
	run.Target = url
	d := Driver{
		Camera: func(ctx context.Context, id string, fps float64, dur time.Duration) error {
			_, err := h.Camera(ctx, id, fps, src, dur)
			return err
		},
		Flush: h.Wait,
	}
	if t.MetricsURL != "" {
		d.Meter = NewMeter(Scrape{URL: t.MetricsURL})
		run.Process = "the process at " + t.MetricsURL
	}
	err := p.Execute(ctx, log, d, rec, progress)
	run.Model = h.Model()
	// Answers still due hold goroutines until the client's timeout: wait for them, bounded.
	wctx, cancel := context.WithTimeout(context.Background(), t.Timeout)
	defer cancel()
	h.Wait(wctx)
	return err
}
