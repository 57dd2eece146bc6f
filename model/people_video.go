package model

import (
	"math"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Several people in video mode (Track with WithMaxPeople(n > 1)) follow MediaPipe Tasks'
// PoseLandmarker in VIDEO mode (google-ai-edge/mediapipe v0.10.14):
//
//   - mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarker_graph.cc, use_stream_mode: the
//     ROIs for this frame are last frame's landmark ROIs (PreviousLoopbackCalculator). The
//     detector runs only when there are fewer than num_poses of them
//     (NormalizedRectVectorHasMinSizeCalculator, min_size = num_poses, gating the detector with
//     DisallowIf, whose empty packets allow: the first frame runs it). The tracked ROIs, then
//     the detector's (all of them: only its detections output is cut to num_poses), are merged by AssociationNormRectCalculator
//     with min_similarity_threshold = min_tracking_confidence (associate below), and the result
//     is cut to num_poses (ClipNormalizedRectVectorSizeCalculator).
//   - pose_landmarks_detector_graph.cc: per ROI the landmark model as in image mode (people.go);
//     an ROI whose pose flag is not above min_tracking_confidence gives nobody and is dropped
//     (the tensors' GateCalculator, EndLoop collecting only what came out); each person found
//     gives the next frame's ROI from its auxiliary landmarks, unsmoothed (LandmarksToDetection,
//     AlignmentPointsRects keypoints 0 and 1 at 90 degrees, RectTransformation 1.25 square_long:
//     ConfigureAlignmentPointsRectsCalculator, ConfigureRectTransformationCalculator).
//   - No smoothing: pose_landmarker_graph.cc refuses smooth_landmarks with num_poses > 1
//     ("Currently pose landmarks smoothing only supports a single pose"), so with n > 1 neither
//     the landmarks nor the auxiliary landmarks are filtered, whatever WithSmoothing says.
//
// Track ids are ours: Tasks has none. They ride on the association: every element of the merge
// carries an id (0 for a detection), and an element that replaces overlapping ones takes the id
// of the last of them that has one, the rule AssociationCalculator::AddElementToList applies to
// ids (mediapipe/calculators/util/association_calculator.h) for the types that have them
// (AssociationNormRectCalculator reads none, NormalizedRect's rect_id unused). So a tracked
// person keeps its id while its ROI survives the merge, or when a detection replaces it (IoU
// above the threshold); a person found from an ROI without an id (a new detection) gets the
// Track's next id, and ids are never reused within a Track. A person Tasks' tracking loses (no
// pose from its ROI, or cut by num_poses) is forgotten: found again, they get a new id.

// TrackedPerson is one person a Track follows into the next frame (WithMaxPeople(n > 1)).
type TrackedPerson struct {
	// ID is the person's track id, from 1, unique within the Track.
	ID int64 `json:"id"`
	// ROI is the landmark model's region for the next frame, from this frame's auxiliary
	// landmarks.
	ROI Rect `json:"roi"`
}

// trackPeople runs one video frame with several people on w; tr holds the people tracked from
// the previous frame and the id counter.
func (l *Landmarker) trackPeople(w *poseWorker, img pixels.Image, tr *Track, ts time.Duration) (Result, error) {
	var res Result
	tr.LastTimestamp = ts
	var dets []TrackedPerson
	if len(tr.People) < l.cfg.maxPeople {
		res.DetectorRan = true
		start := time.Now()
		rois, err := w.detectorROIs(l, img, math.MaxInt) // not cut: see detectorROIs
		res.Timings.Detect = time.Since(start)
		if err != nil {
			return res, err
		}
		for _, r := range rois {
			dets = append(dets, TrackedPerson{ROI: r})
		}
	}
	merged := associate(l.cfg.minTracking, tr.People, dets)
	if len(merged) > l.cfg.maxPeople {
		merged = merged[:l.cfg.maxPeople]
	}
	rois := make([]Rect, len(merged))
	for i, m := range merged {
		rois[i] = m.ROI
	}
	people, next, from, timings, err := l.peopleFound(w, img, rois)
	if err != nil {
		return res, err
	}
	res.Timings.Landmarks, res.Timings.Hands, res.Timings.Face = timings.Landmarks, timings.Hands, timings.Face
	tracked := make([]TrackedPerson, len(people))
	for k := range people {
		id := merged[from[k]].ID
		if id == 0 {
			tr.LastID++
			id = tr.LastID
		}
		people[k].ID = id
		tracked[k] = TrackedPerson{ID: id, ROI: next[k]}
	}
	tr.People = tracked
	res.People = people
	if len(people) > 0 {
		p := people[0]
		res.Pose, res.Face, res.LeftHand, res.RightHand = p.Pose, p.Face, p.LeftHand, p.RightHand
	}
	return res, nil
}

// associate is AssociationNormRectCalculator over its inputs in order (the tracked ROIs, then the
// detector's: later inputs win), with ids carried as described above.
func associate(threshold float32, inputs ...[]TrackedPerson) []TrackedPerson {
	var out []TrackedPerson
	for _, in := range inputs {
		for _, e := range in {
			out = addAssociated(out, e, threshold)
		}
	}
	return out
}

// addAssociated is association_calculator.h's AddElementToList: every element of list whose
// rectangle overlaps e's by IoU above threshold is removed, e takes the id of the last of them
// with one, and e goes at the end.
func addAssociated(list []TrackedPerson, e TrackedPerson, threshold float32) []TrackedPerson {
	cur := normRectBox(e.ROI)
	kept := list[:0]
	for _, u := range list {
		if boxIoU32(cur, normRectBox(u.ROI)) > threshold {
			if u.ID != 0 {
				e.ID = u.ID
			}
			continue
		}
		kept = append(kept, u)
	}
	return append(kept, e)
}

// box32 is a Rectangle_f: min and max corners, float32.
type box32 struct{ xmin, ymin, xmax, ymax float32 }

// normRectBox is AssociationNormRectCalculator::GetRectangle: the axis-aligned rectangle of the
// rect's centre and size, rotation ignored ("TODO: Support rotation"). The corner is
// x_center - width / 2.0 in double, stored as float; the far corner xmin + width in float
// (Rectangle<T>::Set, mediapipe/framework/deps/rectangle.h).
func normRectBox(r Rect) box32 {
	xmin := float32(float64(r.XCenter) - float64(r.Width)/2.0)
	ymin := float32(float64(r.YCenter) - float64(r.Height)/2.0)
	return box32{xmin, ymin, xmin + r.Width, ymin + r.Height}
}

// area is Rectangle<T>::Area, width times height in float; the conversion keeps the compiler
// from fusing it into a later addition.
func (b box32) area() float32 { return float32((b.xmax - b.xmin) * (b.ymax - b.ymin)) }

// boxIoU32 is CalculateIou (mediapipe/util/rectangle_util.cc) in float: 0 without intersection
// (Rectangle<T>::Intersects counts touching edges as intersecting), else intersection over
// union, 0 for an empty union.
func boxIoU32(a, b box32) float32 {
	empty := func(r box32) bool { return r.xmin > r.xmax || r.ymin > r.ymax }
	if empty(a) || empty(b) || b.xmax < a.xmin || a.xmax < b.xmin || b.ymax < a.ymin || a.ymax < b.ymin {
		return 0
	}
	in := box32{max(a.xmin, b.xmin), max(a.ymin, b.ymin), min(a.xmax, b.xmax), min(a.ymax, b.ymax)}
	inter := in.area()
	norm := float32(a.area()+b.area()) - inter
	if norm > 0 {
		return inter / norm
	}
	return 0
}

// nextFrameROI is the ROI the landmark graph gives the next frame from a person's auxiliary
// landmarks (pose_landmarks_detector_graph.cc: AlignmentPointsRects keypoints 0 to 1 at 90
// degrees, RectTransformation 1.25, square_long), unsmoothed.
func nextFrameROI(aux []Landmark, imgW, imgH int) Rect {
	r := AlignmentRect(Point{aux[0].X, aux[0].Y}, Point{aux[1].X, aux[1].Y}, imgW, imgH, math.Pi/2)
	return RectTransform{ScaleX: roiScale, ScaleY: roiScale, SquareLong: true}.Apply(r, imgW, imgH)
}
