package stream

import (
	"errors"
	"log/slog"
	"time"

	"github.com/holostream/holostream/processors/landmarks"
)

// Config is everything the two processors need: what `run`, `demo` and `loadtest` fill from
// their flags (named in the errors of Validate) and tests fill by hand. The zero value of each
// limit keeps the processors' default.
type Config struct {
	Topology   Topology
	Landmarker landmarks.Landmarker

	// MaxAge drops frames captured longer ago as stale (0: never).
	MaxAge time.Duration
	// MaxImageBytes, MaxMegapixels, MaxClockSkew and MaxSeqJump dead-letter the frames past
	// them (landmarks.Config).
	MaxImageBytes int
	MaxMegapixels float64
	MaxClockSkew  time.Duration
	MaxSeqJump    int64
	// Window and Grace are the event-time windows of pose-stats (analytics.Config).
	Window, Grace time.Duration

	// StateDir keeps the processors' local copies of their tables (LevelDB) across restarts, so
	// a restart reads only the table's tail; empty keeps them in memory and rebuilds them from the
	// table topics at start (the state is small: one row per camera and per user).
	StateDir string
	// Log receives goka's messages (rebalances, recovery) at GokaLevel, and the processors'
	// warnings; nil discards them.
	Log       *slog.Logger
	GokaLevel slog.Level
	// Observe, when set, sees every frame's outcome once its records are committed, besides the
	// metrics (the demo's summary, the load test's accounting).
	Observe func(landmarks.Observation)
}

// Validate checks the settings that have no processor default to fall back on. It does not
// need the Landmarker, so a command can check its flags before it opens the models (the
// processors refuse a Config without one).
func (c Config) Validate() error {
	if c.Topology.Frames == "" {
		return errors.New("stream: no topology (NewTopology)")
	}
	if c.Window <= 0 || c.Grace < 0 {
		return errors.New("--window must be > 0 and --grace >= 0")
	}
	// 0 leaves the processor's defaults (landmarks.Config): only a negative value is a mistake.
	if c.MaxAge < 0 || c.MaxClockSkew < 0 || c.MaxSeqJump < 0 || c.MaxImageBytes < 0 || c.MaxMegapixels < 0 {
		return errors.New("--max-age, --max-clock-skew, --max-seq-jump, --max-image-bytes and --max-megapixels must be >= 0")
	}
	return nil
}
