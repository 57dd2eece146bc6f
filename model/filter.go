package model

import (
	"fmt"
	"math"
)

// The smoothing filters of pose_landmark_filtering.pbtxt. Their memory is plain exported data
// (LowPassState, OneEuroState) kept apart from their parameters (OneEuroParams), so a stream
// processor can store it between frames; the zero state is a fresh filter.

// LowPassState is the memory of MediaPipe's LowPassFilter (mediapipe/util/filtering/low_pass_filter.cc):
// the last input and the last output. MediaPipe also keeps the last alpha, which only matters
// when a later alpha outside [0, 1] is refused; the filters here never produce one.
type LowPassState struct {
	Initialized bool    `json:"initialized,omitempty"`
	Raw         float32 `json:"raw"`    // last input
	Stored      float32 `json:"stored"` // last output
}

// LowPass filters v with weight alpha in [0, 1] on the new value, as LowPassFilter::ApplyWithAlpha:
// the first value passes through, later ones give alpha·v + (1−alpha)·previous output.
func LowPass(s *LowPassState, v, alpha float32) float32 {
	out := v
	if s.Initialized {
		out = float32(float64(float32(alpha*v)) + (1-float64(alpha))*float64(s.Stored))
	}
	*s = LowPassState{Initialized: true, Raw: v, Stored: out}
	return out
}

// OneEuroState is the memory of one MediaPipe OneEuroFilter (mediapipe/util/filtering/one_euro_filter.cc):
// the last timestamp, the sampling frequency last derived from timestamps, and its two low-pass
// filters, on the value (X) and on its derivative (DX). The zero value is a fresh filter: X is
// uninitialized exactly until the first sample is accepted, and a fresh filter behaves as
// MediaPipe's constructor state (last time INT64_MIN, frequency from the parameters).
type OneEuroState struct {
	LastTimeNs int64        `json:"last_time_ns"`
	Frequency  float64      `json:"frequency"`
	X          LowPassState `json:"x"`
	DX         LowPassState `json:"dx"`
}

// OneEuroParams are LandmarksSmoothingCalculatorOptions.OneEuroFilter
// (mediapipe/calculators/util/landmarks_smoothing_calculator.proto). The proto holds floats, so
// the constructors round the graph's values to float32 before widening, as MediaPipe does.
type OneEuroParams struct {
	// Frequency (Hz) is used until two non-zero timestamps give the real one.
	Frequency      float64
	MinCutoff      float64 // cutoff (Hz) of the value filter at rest
	Beta           float64 // how fast the cutoff rises with speed
	DerivateCutoff float64 // cutoff (Hz) of the speed filter
	// DisableValueScaling measures speed in raw units per second instead of relative to the
	// object's size (world landmarks, in metres).
	DisableValueScaling bool
}

// PoseLandmarkFilter is the One Euro filter on the 33 pose landmarks (pose_landmark_filtering.pbtxt).
func PoseLandmarkFilter() OneEuroParams {
	return OneEuroParams{Frequency: f32(30), MinCutoff: f32(0.05), Beta: f32(80), DerivateCutoff: f32(1)}
}

// PoseWorldLandmarkFilter is the One Euro filter on the 33 world landmarks, in metres, so without
// value scaling (pose_landmark_filtering.pbtxt).
func PoseWorldLandmarkFilter() OneEuroParams {
	return OneEuroParams{Frequency: f32(30), MinCutoff: f32(0.1), Beta: f32(40), DerivateCutoff: f32(1), DisableValueScaling: true}
}

// PoseAuxLandmarkFilter is the heavier One Euro filter on the 2 auxiliary landmarks that steer
// tracking, on even when smoothing is off (pose_landmark_filtering.pbtxt).
func PoseAuxLandmarkFilter() OneEuroParams {
	return OneEuroParams{Frequency: f32(30), MinCutoff: f32(0.01), Beta: f32(10), DerivateCutoff: f32(1)}
}

func f32(v float64) float64 { return float64(float32(v)) }

// Filter runs one sample v at time tNs (nanoseconds) through the filter whose memory is s, as
// OneEuroFilter::Apply. A timestamp not after the last one returns v and leaves s alone. The
// frequency is re-derived only when both the last and the new timestamp are non-zero. The speed
// (v − last v)·valueScale·frequency goes through the derivative low-pass at DerivateCutoff, and
// v through the value low-pass at MinCutoff + Beta·|filtered speed|; the first sample passes.
func (p OneEuroParams) Filter(s *OneEuroState, tNs int64, v, valueScale float32) float32 {
	last, freq := s.LastTimeNs, s.Frequency
	if !s.X.Initialized {
		last, freq = math.MinInt64, p.Frequency
	}
	if last >= tNs {
		return v
	}
	if last != 0 && tNs != 0 {
		freq = 1 / (float64(tNs-last) * 1e-9) // wraps like the C++ from INT64_MIN; unused then
	}
	s.LastTimeNs, s.Frequency = tNs, freq
	dv := 0.0
	if s.X.Initialized {
		dv = (float64(v) - float64(s.X.Raw)) * float64(valueScale) * freq
	}
	edv := LowPass(&s.DX, float32(dv), float32(oneEuroAlpha(freq, p.DerivateCutoff)))
	cutoff := p.MinCutoff + p.Beta*math.Abs(float64(edv))
	return LowPass(&s.X, v, float32(oneEuroAlpha(freq, cutoff)))
}

// oneEuroAlpha is OneEuroFilter::GetAlpha: 1/(1 + τ/Te), τ = 1/(2π·cutoff), Te = 1/frequency.
func oneEuroAlpha(freq, cutoff float64) float64 {
	te := 1 / freq
	tau := 1 / (2 * math.Pi * cutoff)
	return 1 / (1 + tau/te)
}

// minAllowedObjectScale is OneEuroFilter.min_allowed_object_scale's default: below it the
// landmarks pass unfiltered.
const minAllowedObjectScale float32 = 1e-6

// SmoothLandmarks filters normalized landmarks of an imgW x imgH image in place, as
// LandmarksSmoothingCalculator with a one_euro_filter and an OBJECT_SCALE_ROI
// (mediapipe/calculators/util/landmarks_smoothing_calculator.cc, landmarks_smoothing_calculator_utils.cc):
// x, y and z go to pixels (x·W, y·H, z·W), each through its own filter, states[3i], states[3i+1]
// and states[3i+2] for landmark i, and back. Unless p.DisableValueScaling, speeds are divided by
// objectScale (pixels, see ObjectScale), and an objectScale below 1e-6 leaves the landmarks
// unfiltered and the states untouched. len(states) must be 3·len(lms). Visibility and presence
// are not changed (SmoothVisibility).
func SmoothLandmarks(p OneEuroParams, states []OneEuroState, lms []Landmark, tNs int64, imgW, imgH int, objectScale float32) {
	checkStates(len(states), 3*len(lms))
	valueScale, filter := smoothingScale(p, objectScale)
	w, h := float32(imgW), float32(imgH)
	for i := range lms {
		lm := &lms[i]
		x, y, z := lm.X*w, lm.Y*h, lm.Z*w
		if filter {
			x = p.Filter(&states[3*i], tNs, x, valueScale)
			y = p.Filter(&states[3*i+1], tNs, y, valueScale)
			z = p.Filter(&states[3*i+2], tNs, z, valueScale)
		}
		lm.X, lm.Y, lm.Z = x/w, y/h, z/w
	}
}

// SmoothWorldLandmarks filters world landmarks (metres) in place, as LandmarksSmoothingCalculator
// on a LANDMARKS stream: each of x, y, z through its own filter, states[3i..3i+2] for landmark i.
// Unless p.DisableValueScaling (PoseWorldLandmarkFilter sets it), speeds are divided by the
// landmarks' own size, half the sum of their bounding box's width and height, and a size below
// 1e-6 leaves them unfiltered. len(states) must be 3·len(lms).
func SmoothWorldLandmarks(p OneEuroParams, states []OneEuroState, lms []WorldLandmark, tNs int64) {
	checkStates(len(states), 3*len(lms))
	if len(lms) == 0 {
		return
	}
	valueScale, filter := smoothingScale(p, boundsScale(lms))
	if !filter {
		return
	}
	for i := range lms {
		lm := &lms[i]
		lm.X = p.Filter(&states[3*i], tNs, lm.X, valueScale)
		lm.Y = p.Filter(&states[3*i+1], tNs, lm.Y, valueScale)
		lm.Z = p.Filter(&states[3*i+2], tNs, lm.Z, valueScale)
	}
}

// smoothingScale is the value scale of OneEuroFilterImpl::Apply, and whether to filter at all.
func smoothingScale(p OneEuroParams, objectScale float32) (float32, bool) {
	if p.DisableValueScaling {
		return 1, true
	}
	if objectScale < minAllowedObjectScale {
		return 0, false
	}
	return 1 / objectScale, true
}

// boundsScale is GetObjectScale(LandmarkList): half the sum of the width and height of the
// landmarks' bounding box.
func boundsScale(lms []WorldLandmark) float32 {
	xmin, xmax, ymin, ymax := lms[0].X, lms[0].X, lms[0].Y, lms[0].Y
	for _, lm := range lms[1:] {
		if lm.X < xmin {
			xmin = lm.X
		}
		if lm.X >= xmax { // std::minmax_element returns the last largest
			xmax = lm.X
		}
		if lm.Y < ymin {
			ymin = lm.Y
		}
		if lm.Y >= ymax {
			ymax = lm.Y
		}
	}
	return ((xmax - xmin) + (ymax - ymin)) / 2
}

// SmoothVisibility low-pass filters the landmarks' visibility in place, one state per landmark,
// as VisibilitySmoothingCalculator with a low_pass_filter
// (mediapipe/calculators/util/visibility_smoothing_calculator.cc): alpha·v + (1−alpha)·previous
// output, the first value passing through. len(states) must be len(lms).
func SmoothVisibility(states []LowPassState, lms []Landmark, alpha float32) {
	checkStates(len(states), len(lms))
	for i := range lms {
		lms[i].Visibility = LowPass(&states[i], lms[i].Visibility, alpha)
	}
}

// SmoothWorldVisibility is SmoothVisibility for world landmarks.
func SmoothWorldVisibility(states []LowPassState, lms []WorldLandmark, alpha float32) {
	checkStates(len(states), len(lms))
	for i := range lms {
		lms[i].Visibility = LowPass(&states[i], lms[i].Visibility, alpha)
	}
}

// ObjectScale is the object size, in pixels, that scales landmark speeds in
// pose_landmark_filtering.pbtxt: the AlignmentPointsRects rectangle of the two auxiliary landmarks
// (without the 1.25 enlargement), (width·W + height·H)/2, which is 2·|aux1 − aux0| in pixels
// (landmarks_smoothing_calculator_utils.cc: GetObjectScale). Pass the unsmoothed landmarks.
func ObjectScale(aux0, aux1 Landmark, imgW, imgH int) float32 {
	r := AlignmentRect(Point{aux0.X, aux0.Y}, Point{aux1.X, aux1.Y}, imgW, imgH, math.Pi/2)
	return (float32(r.Width*float32(imgW)) + float32(r.Height*float32(imgH))) / 2
}

func checkStates(have, want int) {
	if have != want {
		panic(fmt.Sprintf("model: smoothing needs %d filter states, have %d", want, have))
	}
}
