package model

import (
	"time"

	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/schemas"
)

// NewLandmarks converts a pipeline result to the contract of one image's landmarks: the one
// conversion from Result, which the keypoint events (Avro) and Output (the infer JSON) both
// carry. Face, LeftHand and RightHand are nil unless the Holistic pipeline found them; their
// points keep the model's visibility (0 where it gives none), world landmarks theirs.
func NewLandmarks(r Result) schemas.Landmarks {
	var l schemas.Landmarks
	if p := r.Pose; p != nil {
		l.Pose = &schemas.Pose{Landmarks: make([]schemas.Landmark, len(p.Landmarks)), WorldLandmarks: make([]schemas.Point, len(p.World))}
		for i, lm := range p.Landmarks {
			l.Pose.Landmarks[i] = schemas.Landmark(lm)
		}
		for i, w := range p.World {
			l.Pose.WorldLandmarks[i] = schemas.Point(w)
		}
	}
	if f := r.Face; f != nil {
		l.Face = schemaPoints(f.Landmarks)
	}
	if h := r.LeftHand; h != nil {
		l.LeftHand = schemaPoints(h.Landmarks[:])
	}
	if h := r.RightHand; h != nil {
		l.RightHand = schemaPoints(h.Landmarks[:])
	}
	return l
}

func schemaPoints(lms []Landmark) []schemas.Point {
	out := make([]schemas.Point, len(lms))
	for i, l := range lms {
		out[i] = schemas.Point{X: l.X, Y: l.Y, Z: l.Z, Visibility: l.Visibility}
	}
	return out
}

// Output is the JSON of one image's landmarks: the line `holostream infer` prints, the body
// `POST /v1/infer` returns. Its landmarks are a view of schemas.Landmarks (NewLandmarks), in the
// JSON this API has always had: image landmarks as they are, 3-D points (world, face, hands)
// without visibility. Null means not found.
type Output struct {
	Source    string        `json:"source"`
	Width     int           `json:"width,omitempty"`
	Height    int           `json:"height,omitempty"`
	Model     Kind          `json:"model,omitempty"`
	Pose      *PoseOutput   `json:"pose"`
	Face      []PointOutput `json:"face"`
	LeftHand  []PointOutput `json:"left_hand"`
	RightHand []PointOutput `json:"right_hand"`
	// People is every person found (NewPeopleOutput), for a Landmarker with WithMaxPeople(n > 1);
	// nil leaves the field out, so the JSON of one person is what it has always been.
	People  []PersonOutput `json:"people,omitzero"`
	Timings *TimingsMs     `json:"timings_ms,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// PersonOutput is one person of People: ID is its track id in video mode (Person.ID, the same
// for a person from frame to frame), its index in the image in image mode (most confident
// detection first); Pose as Output's. Face and the hands are left out when not found, and always
// for the pose pipelines.
type PersonOutput struct {
	ID        int64         `json:"id"`
	Pose      *PoseOutput   `json:"pose"`
	Face      []PointOutput `json:"face,omitempty"`
	LeftHand  []PointOutput `json:"left_hand,omitempty"`
	RightHand []PointOutput `json:"right_hand,omitempty"`
}

// NewPeopleOutput converts every person of a result to JSON, in order; an empty, non-nil slice
// when nobody was found, so that the field says so. A person's id is its track id (video mode),
// else its index.
func NewPeopleOutput(r Result) []PersonOutput {
	out := make([]PersonOutput, 0, len(r.People))
	for i, p := range r.People {
		o := NewOutput("", pixels.Image{}, "", Result{Pose: p.Pose, Face: p.Face, LeftHand: p.LeftHand, RightHand: p.RightHand}, 0, 0)
		id := p.ID // the track id in video mode
		if id == 0 {
			id = int64(i)
		}
		out = append(out, PersonOutput{ID: id, Pose: o.Pose, Face: o.Face, LeftHand: o.LeftHand, RightHand: o.RightHand})
	}
	return out
}

// PoseOutput holds 33 image landmarks and 33 world landmarks.
type PoseOutput struct {
	Landmarks      []LandmarkOutput `json:"landmarks"`
	WorldLandmarks []PointOutput    `json:"world_landmarks"`
}

// LandmarkOutput is an image landmark as JSON: the contract's own type.
type LandmarkOutput = schemas.Landmark

// PointOutput is a 3-D point as JSON: a schemas.Point without its visibility (world landmarks in
// metres, face and hand landmarks normalized like Landmark).
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
// the image, total the time from receiving its bytes to the landmarks.
func NewOutput(source string, img pixels.Image, kind Kind, r Result, decode, total time.Duration) Output {
	l := NewLandmarks(r)
	o := Output{Source: source, Width: img.Width, Height: img.Height, Model: kind,
		Face: pointOutputs(l.Face), LeftHand: pointOutputs(l.LeftHand), RightHand: pointOutputs(l.RightHand),
		Timings: &TimingsMs{Decode: ms(decode), Detect: ms(r.Timings.Detect), Landmarks: ms(r.Timings.Landmarks),
			Hands: ms(r.Timings.Hands), Face: ms(r.Timings.Face), Total: ms(total)}}
	if p := l.Pose; p != nil {
		o.Pose = &PoseOutput{Landmarks: p.Landmarks, WorldLandmarks: pointOutputs(p.WorldLandmarks)}
	}
	return o
}

// pointOutputs drops the points' visibility; nil stays nil (null: not found).
func pointOutputs(ps []schemas.Point) []PointOutput {
	if ps == nil {
		return nil
	}
	out := make([]PointOutput, len(ps))
	for i, p := range ps {
		out[i] = PointOutput{p.X, p.Y, p.Z}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
