package camera

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/holostream/holostream/schemas"
)

// Sink takes one frame keyed by its camera. It may block (backpressure); an error stops the
// producer.
type Sink func(ctx context.Context, f schemas.Frame) error

// Camera is one simulated camera.
type Camera struct {
	ID, User string
	// FPS paces the frames; 0 sends as fast as the sink takes them.
	FPS float64
	// FirstSeq is the sequence number of the first frame (default 1).
	FirstSeq int64
	// Now stamps captured_at; time.Now when nil.
	Now func() time.Time
}

// Run sends frames from src, looping over it, until count frames are sent (count <= 0: until ctx
// ends). It returns the number sent.
func (c Camera) Run(ctx context.Context, src Source, count int, sink Sink) (int, error) {
	if len(src) == 0 {
		return 0, errors.New("camera: empty source")
	}
	if c.ID == "" {
		return 0, errors.New("camera: no camera id")
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	seq := c.FirstSeq
	if seq == 0 {
		seq = 1
	}
	var tick *time.Ticker
	if c.FPS > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / c.FPS))
		defer tick.Stop()
	}
	sent := 0
	for i := 0; count <= 0 || sent < count; i++ {
		if tick != nil && i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return sent, nil
			}
		} else if ctx.Err() != nil {
			return sent, nil
		}
		s := src[i%len(src)]
		f := schemas.Frame{
			CameraID: c.ID, UserID: c.User, Seq: seq, CapturedAt: now(),
			ContentType: s.ContentType, Width: int32(s.Width), Height: int32(s.Height), Image: s.Data,
			Attributes: map[string]string{"source": s.Name},
		}
		if err := sink(ctx, f); err != nil {
			if ctx.Err() != nil {
				return sent, nil
			}
			return sent, fmt.Errorf("camera %s seq %d: %w", c.ID, seq, err)
		}
		seq++
		sent++
	}
	return sent, nil
}
