package model

import (
	"time"

	"github.com/holostream/holostream/pixels"
)

// Output is the JSON contract of one image's landmarks: the line `holostream infer` prints, the
// body `POST /v1/infer` returns. Field names and conventions mirror MediaPipe's (see Landmark).
type Output struct {
	Source    string        `json:"source"`
	Width     int           `json:"width,omitempty"`
	Height    int           `json:"height,omitempty"`
	Model     Kind          `json:"model,omitempty"`
	Pose      *PoseOutput   `json:"pose"`
	Face      []PointOutput `json:"face"`
	LeftHand  []PointOutput `json:"left_hand"`
	RightHand []PointOutput `json:"right_hand"`
	Timings   *TimingsMs    `json:"timings_ms,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// PoseOutput holds 33 image landmarks and 33 world landmarks.
type PoseOutput struct {
	Landmarks      []LandmarkOutput `json:"landmarks"`
	WorldLandmarks []PointOutput    `json:"world_landmarks"`
}

// LandmarkOutput is a Landmark as JSON.
type LandmarkOutput struct {
	X          float32 `json:"x"`
	Y          float32 `json:"y"`
	Z          float32 `json:"z"`
	Visibility float32 `json:"visibility"`
	Presence   float32 `json:"presence"`
}

// PointOutput is a 3-D point as JSON (world landmarks in metres, face and hand landmarks
// normalized like Landmark).
type PointOutput struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
	Z float32 `json:"z"`
}

// TimingsMs are stage costs in milliseconds. Hands and Face are the holistic branches (absent
// for the pose pipelines).
type TimingsMs struct {
	Decode    float64 `json:"decode"`
	Detect    float64 `json:"detect"`
	Landmarks float64 `json:"landmarks"`
	Hands     float64 `json:"hands,omitempty"`
	Face      float64 `json:"face,omitempty"`
	Total     float64 `json:"total"`
}

// NewOutput converts a pipeline result to the JSON contract. decode is the time spent decoding
// the image, total the time from receiving its bytes to the landmarks. Face, LeftHand and
// RightHand are null unless the Holistic pipeline found them.
func NewOutput(source string, img pixels.Image, kind Kind, r Result, decode, total time.Duration) Output {
	o := Output{Source: source, Width: img.Width, Height: img.Height, Model: kind,
		Timings: &TimingsMs{Decode: ms(decode), Detect: ms(r.Timings.Detect), Landmarks: ms(r.Timings.Landmarks),
			Hands: ms(r.Timings.Hands), Face: ms(r.Timings.Face), Total: ms(total)}}
	if p := r.Pose; p != nil {
		po := &PoseOutput{Landmarks: make([]LandmarkOutput, NumPoseLandmarks), WorldLandmarks: make([]PointOutput, NumPoseLandmarks)}
		for i, l := range p.Landmarks {
			po.Landmarks[i] = LandmarkOutput(l)
		}
		for i, w := range p.World {
			po.WorldLandmarks[i] = PointOutput{w.X, w.Y, w.Z}
		}
		o.Pose = po
	}
	if f := r.Face; f != nil {
		o.Face = pointOutputs(f.Landmarks[:])
	}
	if h := r.LeftHand; h != nil {
		o.LeftHand = pointOutputs(h.Landmarks[:])
	}
	if h := r.RightHand; h != nil {
		o.RightHand = pointOutputs(h.Landmarks[:])
	}
	return o
}

func pointOutputs(lms []Landmark) []PointOutput {
	out := make([]PointOutput, len(lms))
	for i, l := range lms {
		out[i] = PointOutput{l.X, l.Y, l.Z}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
