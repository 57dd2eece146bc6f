package model

import (
	"math"
	"slices"
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
// With the SSD person detector (person_detector.go, ours) the association compares the people's
// extents instead of their ROIs (associationIoU): each tracked person's landmark box and each
// detection's box. The square ROIs of two small people side by side overlap by more than 0.5, so
// Tasks' rule kept one of them (on surveillance footage 0.84 of the people >= 80 px were found
// in video mode against 0.90 with extents).
//
// Track ids are ours: Tasks has none. They ride on the association: every element of the merge
// carries an id (0 for a detection), and an element that replaces overlapping ones takes the id
// of the last of them that has one, the rule AssociationCalculator::AddElementToList applies to
// ids (mediapipe/calculators/util/association_calculator.h) for the types that have them
// (AssociationNormRectCalculator reads none, NormalizedRect's rect_id unused). So a tracked
// person keeps its id while its ROI survives the merge, or when a detection replaces it (IoU
// above the threshold); a person found from an ROI without an id (a new detection) gets the
// Track's next id, and ids are never reused within a Track.
//
// Re-identification (ours too): a person Tasks' tracking loses (no pose from its ROI, or cut by
// num_poses) is kept in Track.Lost for the re-identification window (WithReidWindow) of stream
// time (Track timestamps) with their id, last ROI and the timestamp of the first frame without
// them; someone tracked into a frame and not found in it is lost from that frame on, so a
// detection beside their ROI in the same frame can take their id back. A person found from an
// ROI without an id first looks there: the lost person whose last ROI overlaps the new ROI by
// IoU above ReidMinIoU (the highest), or failing that whose centre is nearest within
// ReidMaxCentre ROI sizes, gives back their id and leaves the list; only with no match is a new
// id given. Entries older than the window are dropped. This is id bookkeeping only: the ROIs and
// landmarks are Tasks' whatever the ids.

// Re-identification (see above).
const (
	// DefaultReidWindow is how long a lost person's id waits to be given back
	// (WithReidWindow): an occlusion or a few frames the landmark model misses. 1 s of stream
	// time is 10 frames at 10 fps, 30 at 30: on 200 frames of pedestrians 30-150 px tall
	// (vtest.avi at 10 fps, SSD person detector), people found again after 5-11 frames near
	// where they were lost are the commonest break: 300 ms gives 49 ids (median track 15
	// frames), 1 s 36 (25 frames), with 3 and 4 id switches.
	// Beyond it a different person may well stand where they were, and gets a new id.
	DefaultReidWindow = time.Second
	// ReidMinIoU is the overlap above which a new ROI is the lost person's: below
	// Tasks' association threshold (min_tracking_confidence, 0.5 by default) because the person
	// may have moved while hidden, and the new ROI is a detection's, the old one from landmarks.
	ReidMinIoU = 0.3
	// ReidMaxCentre is the centre distance, in ROI sizes (dx over the lost ROI's width and dy
	// over its height, so the measure does not depend on the image's aspect), below which a
	// new ROI that overlaps too little is still the lost person's: within half an ROI (which is
	// 1.25 times the body) the person is still about where they were, while another person
	// next to them is a body width or more away. It catches a person that comes back partly
	// hidden, whose ROI is much smaller or larger than their last.
	ReidMaxCentre = 0.5
)

// LostPerson is a person tracking lost recently, whose id a person found again may take back.
type LostPerson struct {
	ID int64 `json:"id"`
	// ROI is the person's last ROI (their TrackedPerson.ROI when lost).
	ROI Rect `json:"roi"`
	// LostAt is the timestamp of the first frame without them.
	LostAt time.Duration `json:"lost_at"`
}

// TrackedPerson is one person a Track follows into the next frame (WithMaxPeople(n > 1)).
type TrackedPerson struct {
	// ID is the person's track id, from 1, unique within the Track.
	ID int64 `json:"id"`
	// ROI is the landmark model's region for the next frame, from this frame's auxiliary
	// landmarks.
	ROI Rect `json:"roi"`
	// Extent is the person's box, normalized: with the SSD person detector, the bounding box
	// of this frame's landmarks for a tracked person, the detector's box for a detection; the
	// association compares extents when both sides have one (associationIoU). Zero otherwise.
	Extent Extent `json:"extent,omitzero"`
	// FaceLandmarks, LeftHandLandmarks and RightHandLandmarks are the Holistic branches'
	// landmarks of this frame, which the next frame tracks the person's face and hands from
	// (empty for a branch that found nothing, and for the pose kinds).
	FaceLandmarks      []Point `json:"face_landmarks,omitempty"`
	LeftHandLandmarks  []Point `json:"left_hand_landmarks,omitempty"`
	RightHandLandmarks []Point `json:"right_hand_landmarks,omitempty"`
}

// Extent is a person's axis-aligned box, normalized to the image.
type Extent struct{ XMin, YMin, XMax, YMax float32 }

func (e Extent) box() box32 { return box32{e.XMin, e.YMin, e.XMax, e.YMax} }

// trackPeople runs one video frame with several people on w; tr holds the people tracked from
// the previous frame and the id counter.
func (l *Landmarker) trackPeople(w *poseWorker, img pixels.Image, tr *Track, ts time.Duration) (Result, error) {
	var res Result
	tr.LastTimestamp = ts
	var dets []TrackedPerson
	if len(tr.People) < l.cfg.maxPeople {
		res.DetectorRan = true
		start := time.Now()
		var err error
		dets, err = w.detections(l, img)
		res.Timings.Detect = time.Since(start)
		if err != nil {
			return res, err
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
	var parts []*Track
	if w.hol != nil {
		parts = previousParts(tr.People, merged)
	}
	people, next, from, timings, err := l.peopleFound(w, img, rois, parts)
	if err != nil {
		return res, err
	}
	res.Timings.Landmarks, res.Timings.Hands, res.Timings.Face = timings.Landmarks, timings.Hands, timings.Face
	found := make([]TrackedPerson, len(people))
	for k := range people {
		found[k] = merged[from[k]]
	}
	ids := tr.giveIDs(found, ts, l.cfg.reidWindow)
	tracked := make([]TrackedPerson, len(people))
	for k := range people {
		people[k].ID = ids[k]
		tracked[k] = TrackedPerson{ID: ids[k], ROI: next[k]}
		if parts != nil {
			p := parts[from[k]]
			tracked[k].FaceLandmarks, tracked[k].LeftHandLandmarks, tracked[k].RightHandLandmarks = p.FaceLandmarks, p.LeftHandLandmarks, p.RightHandLandmarks
		}
		if w.ssd != nil {
			tracked[k].Extent = poseExtent(people[k].Pose)
		}
	}
	tr.People = tracked
	res.People = people
	if len(people) > 0 {
		p := people[0]
		res.Pose, res.Face, res.LeftHand, res.RightHand = p.Pose, p.Face, p.LeftHand, p.RightHand
	}
	return res, nil
}

// previousParts returns, for each ROI of this frame, the Holistic branches' landmarks of the
// previous frame of the person it tracks: those of the tracked person with its id (the
// association carries ids, so a detection that replaced a tracked ROI has them too), none for a
// person found afresh. They are copies: the branches write this frame's landmarks over them.
func previousParts(tracked []TrackedPerson, merged []TrackedPerson) []*Track {
	parts := make([]*Track, len(merged))
	for i, m := range merged {
		parts[i] = &Track{}
		if m.ID == 0 {
			continue
		}
		for _, p := range tracked {
			if p.ID == m.ID {
				parts[i].FaceLandmarks = slices.Clone(p.FaceLandmarks)
				parts[i].LeftHandLandmarks = slices.Clone(p.LeftHandLandmarks)
				parts[i].RightHandLandmarks = slices.Clone(p.RightHandLandmarks)
				break
			}
		}
	}
	return parts
}

// giveIDs returns the ids of this frame's people, found from the merged ROIs found (their ids
// carried by the association, 0 for a fresh detection), and moves tr's lost list to ts: the
// people tracked into this frame whose id no one carries are lost now, and a person found afresh
// in this very frame may be one of them (their tracked ROI gave no pose, a detection beside it
// did), so they join the lost before any new id is given. tr.People is left to the caller.
func (tr *Track) giveIDs(found []TrackedPerson, ts, window time.Duration) []int64 {
	lost := recentlyLost(tr.Lost, ts, window)
	for _, p := range tr.People {
		carried := false
		for _, f := range found {
			carried = carried || f.ID == p.ID
		}
		if !carried {
			lost = append(lost, LostPerson{ID: p.ID, ROI: p.ROI, LostAt: ts})
		}
	}
	ids := make([]int64, len(found))
	for k, f := range found {
		ids[k] = f.ID
		if f.ID != 0 {
			continue
		}
		if j := reidentify(lost, f.ROI); j >= 0 {
			ids[k] = lost[j].ID
			lost = append(lost[:j:j], lost[j+1:]...)
		} else {
			tr.LastID++
			ids[k] = tr.LastID
		}
	}
	if len(lost) == 0 {
		lost = nil
	}
	tr.Lost = lost
	return ids
}

// recentlyLost returns a copy of the lost people still within window at ts.
func recentlyLost(lost []LostPerson, ts, window time.Duration) []LostPerson {
	var out []LostPerson
	for _, p := range lost {
		if ts-p.LostAt <= window {
			out = append(out, p)
		}
	}
	return out
}

// reidentify returns the index in lost of the person a new ROI is, -1 for none: the highest IoU
// above ReidMinIoU, else the nearest centre within ReidMaxCentre ROI sizes (first on ties).
func reidentify(lost []LostPerson, roi Rect) int {
	best, bestIoU := -1, float32(ReidMinIoU)
	cur := normRectBox(roi)
	for j, p := range lost {
		if iou := boxIoU32(cur, normRectBox(p.ROI)); iou > bestIoU {
			best, bestIoU = j, iou
		}
	}
	if best >= 0 {
		return best
	}
	bestD := ReidMaxCentre
	for j, p := range lost {
		if p.ROI.Width <= 0 || p.ROI.Height <= 0 {
			continue
		}
		dx := float64(roi.XCenter-p.ROI.XCenter) / float64(p.ROI.Width)
		dy := float64(roi.YCenter-p.ROI.YCenter) / float64(p.ROI.Height)
		if d := math.Hypot(dx, dy); d < bestD {
			best, bestD = j, d
		}
	}
	return best
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
	kept := list[:0]
	for _, u := range list {
		if associationIoU(e, u) > threshold {
			if u.ID != 0 {
				e.ID = u.ID
			}
			continue
		}
		kept = append(kept, u)
	}
	return append(kept, e)
}

// associationIoU is the overlap the association compares: of the two people's extents when both
// have one (the SSD person detector), else of their ROIs as AssociationNormRectCalculator does.
// Square ROIs 1.25 times a person's height overlap by more than 0.5 for two small people
// walking side by side, and the association would keep one of them; their extents, tall and
// narrow, barely overlap.
func associationIoU(a, b TrackedPerson) float32 {
	if a.Extent != (Extent{}) && b.Extent != (Extent{}) {
		return boxIoU32(a.Extent.box(), b.Extent.box())
	}
	return boxIoU32(normRectBox(a.ROI), normRectBox(b.ROI))
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
