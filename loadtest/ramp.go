package loadtest

import (
	"fmt"
	"strconv"
	"strings"
)

// StepSpec is one step of a ramp: Cameras simulated cameras at FPS frames per second each.
type StepSpec struct {
	Cameras int
	FPS     float64
}

// OfferedFPS is the frame rate the step offers: cameras times fps.
func (s StepSpec) OfferedFPS() float64 { return float64(s.Cameras) * s.FPS }

func (s StepSpec) String() string {
	return fmt.Sprintf("%dx%s", s.Cameras, strconv.FormatFloat(s.FPS, 'f', -1, 64))
}

// ParseRamp reads a comma-separated list of CAMERASxFPS steps, e.g. "1x5,2x5,4x10".
func ParseRamp(s string) ([]StepSpec, error) {
	var out []StepSpec
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		cams, fps, ok := strings.Cut(strings.ToLower(f), "x")
		if !ok {
			return nil, fmt.Errorf("loadtest: ramp step %q: want CAMERASxFPS, e.g. 4x5", f)
		}
		c, err := strconv.Atoi(cams)
		if err != nil || c < 1 {
			return nil, fmt.Errorf("loadtest: ramp step %q: cameras must be a whole number >= 1", f)
		}
		r, err := strconv.ParseFloat(fps, 64)
		if err != nil || !(r > 0) || r > 1000 {
			return nil, fmt.Errorf("loadtest: ramp step %q: fps must be a number in (0, 1000]", f)
		}
		out = append(out, StepSpec{Cameras: c, FPS: r})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("loadtest: empty ramp %q", s)
	}
	return out, nil
}
