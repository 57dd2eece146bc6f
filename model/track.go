package model

import (
	"math"
	"time"
)

// Track is the video-mode state of one stream: where to look in the next frame and the memory of
// the smoothing filters (and, for Holistic, each face and hand branch's previous landmarks). It is plain data so a caller can keep it anywhere (a Kafka table, a file)
// and hand it back with the next frame, to this Landmarker or another. The zero Track starts a
// new stream. A Track must not be used by two calls at once.
type Track struct {
	// ROI is the landmark model's region for the next frame, from this frame's smoothed auxiliary
	// landmarks; nil makes the detector run (first frame, or the person was lost).
	ROI *Rect `json:"roi,omitempty"`
	// One Euro filter state, 3 per landmark (x, y, z): pose landmarks, world landmarks, and the
	// two auxiliary landmarks that steer tracking.
	Landmarks []OneEuroState `json:"landmarks,omitempty"`
	World     []OneEuroState `json:"world,omitempty"`
	Aux       []OneEuroState `json:"aux,omitempty"`
	// Visibility low-pass state, one per landmark, for image and world landmarks.
	Visibility      []LowPassState `json:"visibility,omitempty"`
	WorldVisibility []LowPassState `json:"world_visibility,omitempty"`
	// LastTimestamp is the timestamp of the last frame seen, for callers that order frames.
	LastTimestamp time.Duration `json:"last_timestamp"`

	// Holistic only: the landmarks (x, y, normalized) each branch output on the previous frame,
	// raw, before any smoothing; empty when it found none there (or the kind is not Holistic).
	// The ROI a branch may keep tracking with is built from them on the next frame
	// (hand_tracking.pbtxt, face_tracking.pbtxt).
	FaceLandmarks      []Point `json:"face_landmarks,omitempty"`
	LeftHandLandmarks  []Point `json:"left_hand_landmarks,omitempty"`
	RightHandLandmarks []Point `json:"right_hand_landmarks,omitempty"`

	// With WithMaxPeople(n > 1) only (the fields above stay empty then): the people tracked into
	// the next frame, with their ids, and the last id given, so that ids are never reused
	// (people_video.go); the people lost within the re-identification window, whose ids a person found
	// again may take back.
	People []TrackedPerson `json:"people,omitempty"`
	LastID int64           `json:"last_id,omitempty"`
	Lost   []LostPerson    `json:"lost,omitempty"`
}

// Reset forgets everything: the next frame runs the detector and starts the filters afresh
// (a gap in a stream, a camera that moved).
func (t *Track) Reset() { *t = Track{} }

// lost is MediaPipe's behaviour when no pose comes out of a frame: no ROI for the next one, and
// the landmark and auxiliary One Euro filters reset (their calculator still runs on the image
// size). The visibility filters and the world-landmark filter see no packet, so they keep their
// state (pose_landmark_filtering.pbtxt: the filters' inputs are gated by the pose being present,
// the visibility and world-landmark streams are not).
func (t *Track) lost() {
	if t == nil {
		return
	}
	t.ROI = nil
	t.Landmarks = nil
	t.Aux = nil
	t.forgetHolistic()
}

// forgetHolistic is a frame without a pose for the holistic branches: none outputs landmarks,
// so none has previous landmarks on the next frame.
func (t *Track) forgetHolistic() {
	t.FaceLandmarks = nil
	t.LeftHandLandmarks = nil
	t.RightHandLandmarks = nil
}

// update smooths p in place and sets the next frame's ROI, per pose_landmark_filtering.pbtxt and
// pose_landmarks_to_roi.pbtxt. aux are this frame's two auxiliary landmarks, projected, unsmoothed.
func (t *Track) update(l *Landmarker, p *Pose, aux []Landmark, imgW, imgH int, ts time.Duration) {
	tNs := ts.Nanoseconds()
	t.LastTimestamp = ts
	t.Landmarks = sized(t.Landmarks, 3*NumPoseLandmarks)
	t.World = sized(t.World, 3*NumPoseLandmarks)
	t.Aux = sized(t.Aux, 3*numAux)
	t.Visibility = sized(t.Visibility, NumPoseLandmarks)
	t.WorldVisibility = sized(t.WorldVisibility, NumPoseLandmarks)

	// The object scale comes from the unsmoothed auxiliary landmarks, without the 1.25 factor.
	scale := ObjectScale(aux[0], aux[1], imgW, imgH)
	// Auxiliary landmarks are always smoothed: they steer tracking. (Their visibility is smoothed
	// too in MediaPipe, but nothing reads it, so it is not kept.)
	var smoothAux [numAux]Landmark
	copy(smoothAux[:], aux)
	SmoothLandmarks(PoseAuxLandmarkFilter(), t.Aux, smoothAux[:], tNs, imgW, imgH, scale)

	if l.cfg.smoothLandmarks {
		SmoothVisibility(t.Visibility, p.Landmarks[:], visibilityAlpha)
		SmoothLandmarks(PoseLandmarkFilter(), t.Landmarks, p.Landmarks[:], tNs, imgW, imgH, scale)
		SmoothWorldVisibility(t.WorldVisibility, p.World[:], visibilityAlpha)
		SmoothWorldLandmarks(PoseWorldLandmarkFilter(), t.World, p.World[:], tNs)
	}

	r := AlignmentRect(Point{smoothAux[0].X, smoothAux[0].Y}, Point{smoothAux[1].X, smoothAux[1].Y}, imgW, imgH, math.Pi/2)
	r = RectTransform{ScaleX: roiScale, ScaleY: roiScale, SquareLong: true}.Apply(r, imgW, imgH)
	t.ROI = &r
}

func sized[T any](s []T, n int) []T {
	if len(s) != n {
		return make([]T, n)
	}
	return s
}
