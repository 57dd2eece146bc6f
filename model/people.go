package model

import (
	"math"
	"sync"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Several people per image (WithMaxPeople(n > 1)) follow MediaPipe Tasks' PoseLandmarker in
// IMAGE mode rather than the legacy one-person graph (line numbers at tag v0.10.14):
//
//   - mediapipe/tasks/cc/vision/pose_detector/pose_detector_graph.cc: the same detector, decoding,
//     letterbox removal and ROI (AlignmentPointsRects, then RectTransformation 1.25x square_long)
//     as pose_detection_cpu.pbtxt and pose_detection_to_roi.pbtxt, but weighted NMS keeps
//     detections whose IoU is up to tasksNMSThreshold (min_suppression_threshold, 0.5 by default
//     in pose_detector_graph_options.proto, set at pose_detector_graph.cc:118-127), where the
//     legacy graph merges above 0.3 (pose_detection_cpu.pbtxt:143, poseNMSThreshold).
//   - pose_landmarker_graph.cc:283-290, 371-379: every image runs the detector, and its ROIs,
//     in NMS order (most confident first), are cut to num_poses (ClipNormalizedRectVectorSize).
//   - mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarks_detector_graph.cc: the landmark
//     model per ROI (a BeginLoop/EndLoop over the ROIs), the same crop, decoding and
//     projection, but RefineLandmarksFromHeatmap with kernel_size 7, set explicitly (169-174),
//     where the legacy graph runs the proto default 9 (heatmapKernel). The pose presence
//     threshold is min_pose_presence_confidence (0.5 by default), here
//     WithMinTrackingConfidence, which gates presence in the legacy graph too.
//
// With n == 1 nothing here runs: the legacy graph's output stays bit for bit what it was.
const (
	tasksNMSThreshold  = 0.5 // pose_detector_graph.cc:118-127, PoseDetectorGraphOptions.min_suppression_threshold
	tasksHeatmapKernel = 7   // pose_landmarks_detector_graph.cc:169-174, RefineLandmarksFromHeatmapCalculator kernel_size
)

// detectPeople runs the Tasks graph on one image with w, the worker run borrowed: the detector,
// then the landmark model on each ROI (spread over whichever other workers are idle), then, for
// the holistic kinds, each person's face and hands.
func (l *Landmarker) detectPeople(w *poseWorker, img pixels.Image) (Result, error) {
	res := Result{DetectorRan: true}
	start := time.Now()
	rois, err := w.peopleROIs(l, img)
	res.Timings.Detect = time.Since(start)
	if err != nil || len(rois) == 0 {
		return res, err
	}
	people, timings, err := l.peopleOn(w, img, rois)
	if err != nil {
		return res, err
	}
	res.Timings.Landmarks, res.Timings.Hands, res.Timings.Face = timings.Landmarks, timings.Hands, timings.Face
	res.People = people
	if len(people) > 0 {
		p := people[0]
		res.Pose, res.Face, res.LeftHand, res.RightHand = p.Pose, p.Face, p.LeftHand, p.RightHand
	}
	return res, nil
}

// peopleROIs is pose_detector_graph.cc's detection half and the landmarker graph's clip: the
// detections after weighted NMS at tasksNMSThreshold, most confident first, at most maxPeople,
// each turned into its landmark ROI; with the SSD, its people, most confident first, at most
// maxPeople.
func (w *poseWorker) peopleROIs(l *Landmarker, img pixels.Image) ([]Rect, error) {
	if w.ssd == nil {
		return w.detectorROIs(l, img, l.cfg.maxPeople)
	}
	found, err := w.detections(l, img)
	if err != nil {
		return nil, err
	}
	rois := make([]Rect, min(len(found), l.cfg.maxPeople))
	for i := range rois {
		rois[i] = found[i].ROI
	}
	return rois, nil
}

// detectorROIs is peopleROIs cut to n. Video mode takes them all (n = len of everything): the
// detector graph's expanded_pose_rects, which the association merges, are not cut, only its
// detections output is (pose_detector_graph.cc, v0.10.14: the ClipDetectionVectorSizeCalculator
// comes after the rects are built from adjusted_detections); the cut to num_poses comes after
// the association.
func (w *poseWorker) detectorROIs(l *Landmarker, img pixels.Image, n int) ([]Rect, error) {
	pad, err := w.runDetector(img)
	if err != nil {
		return nil, err
	}
	w.dets = DecodeDetections(w.det.outputs[0], w.det.outputs[1], l.anchors, l.poseDecode(), w.dets[:0])
	kept := tasksPeople(w.dets, n)
	rois := make([]Rect, len(kept))
	for i := range kept {
		RemoveLetterbox(&kept[i], pad)
		rois[i] = detectionROI(kept[i], img.Width, img.Height)
	}
	return rois, nil
}

// detections is the detector's people, not cut (see detectorROIs): their ROIs, and with the
// SSD their boxes as extents (video mode takes them all, image mode the first maxPeople).
func (w *poseWorker) detections(l *Landmarker, img pixels.Image) ([]TrackedPerson, error) {
	if w.ssd != nil {
		dets, err := w.ssd.people(l.ssdAnchors, img)
		if err != nil {
			return nil, err
		}
		out := make([]TrackedPerson, len(dets))
		for i, d := range dets {
			out[i] = TrackedPerson{ROI: personROI(d, img.Width, img.Height), Extent: Extent{d.XMin, d.YMin, d.XMax, d.YMax}}
		}
		return out, nil
	}
	rois, err := w.detectorROIs(l, img, math.MaxInt)
	if err != nil {
		return nil, err
	}
	out := make([]TrackedPerson, len(rois))
	for i, r := range rois {
		out[i] = TrackedPerson{ROI: r}
	}
	return out, nil
}

// tasksPeople is the Tasks detector's weighted NMS at tasksNMSThreshold (pose_detector_graph.cc:
// 118-127), most confident first, cut to n (pose_landmarker_graph.cc:283-290).
func tasksPeople(dets []Detection, n int) []Detection {
	kept := WeightedNMS(dets, tasksNMSThreshold)
	if len(kept) > n {
		kept = kept[:n]
	}
	return kept
}

// peopleOn runs each ROI's person on w and on the workers of the pool that are idle now: taking
// only idle ones (never waiting) keeps a busy pool from deadlocking and a lone frame from
// queueing behind others. The people come back in ROI order, those not found left out; the
// timings are the sums over people (the stages' cost, not the frame's wall time).
func (l *Landmarker) peopleOn(w *poseWorker, img pixels.Image, rois []Rect) ([]Person, Timings, error) {
	people, _, _, timings, err := l.peopleFound(w, img, rois, nil)
	return people, timings, err
}

// peopleFound is peopleOn that also returns, for each person, the next frame's ROI from its
// auxiliary landmarks (video mode) and the index of the ROI it came from. parts, nil or one per
// ROI, are the Holistic branches' previous landmarks of the person each ROI tracks (video
// mode), updated in place; nil finds each face and hand afresh, as image mode does.
func (l *Landmarker) peopleFound(w *poseWorker, img pixels.Image, rois []Rect, parts []*Track) ([]Person, []Rect, []int, Timings, error) {
	workers := append(make([]*poseWorker, 0, len(rois)), w)
	defer func() {
		for _, o := range workers[1:] {
			l.pool <- o
		}
	}()
	workers = l.borrowIdle(workers, len(rois))
	found := make([]Person, len(rois))
	nexts := make([]Rect, len(rois))
	timings := make([]Timings, len(rois))
	errs := make([]error, len(rois))
	next := make(chan int, len(rois))
	for i := range rois {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for _, o := range workers[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.peopleFrom(l, img, rois, parts, next, found, nexts, timings, errs)
		}()
	}
	w.peopleFrom(l, img, rois, parts, next, found, nexts, timings, errs)
	wg.Wait()
	var people []Person
	var nextROIs []Rect
	var from []int
	var sum Timings
	for i := range rois {
		if errs[i] != nil {
			return nil, nil, nil, Timings{}, errs[i]
		}
		sum.Landmarks += timings[i].Landmarks
		sum.Hands += timings[i].Hands
		sum.Face += timings[i].Face
		if found[i].Pose != nil {
			people = append(people, found[i])
			nextROIs = append(nextROIs, nexts[i])
			from = append(from, i)
		}
	}
	if w.ssd != nil {
		people, nextROIs, from = dropDuplicates(people, nextROIs, from)
	}
	return people, nextROIs, from, sum, nil
}

// dropDuplicates keeps, of people whose landmarks' bounding boxes overlap by IoU above
// samePersonIoU, the first (the more confident detection). The SSD's NMS lets two boxes on one
// person through when they overlap 0.3 or less (a whole body and its upper half), and the
// landmark model finds the same person in both ROIs. The ROIs themselves cannot tell: the
// square ROIs of two people walking side by side overlap by more than that.
func dropDuplicates(people []Person, nexts []Rect, from []int) ([]Person, []Rect, []int) {
	keep := 0
	for i := range people {
		dup := false
		for k := 0; k < keep && !dup; k++ {
			dup = boxIoU32(poseExtent(people[i].Pose).box(), poseExtent(people[k].Pose).box()) > samePersonIoU
		}
		if !dup {
			people[keep], nexts[keep], from[keep] = people[i], nexts[i], from[i]
			keep++
		}
	}
	return people[:keep], nexts[:keep], from[:keep]
}

// samePersonIoU is ours, by measurement on testdata/surveillance: the landmark boxes of one
// person found twice overlap by 0.56-0.93, those of two people side by side by up to 0.40.
const samePersonIoU = 0.5

// poseExtent is the bounding box of a pose's landmarks, normalized.
func poseExtent(p *Pose) Extent {
	e := Extent{p.Landmarks[0].X, p.Landmarks[0].Y, p.Landmarks[0].X, p.Landmarks[0].Y}
	for _, l := range p.Landmarks[1:] {
		e.XMin, e.YMin = min(e.XMin, l.X), min(e.YMin, l.Y)
		e.XMax, e.YMax = max(e.XMax, l.X), max(e.YMax, l.Y)
	}
	return e
}

// borrowIdle appends to workers the pool's idle workers, until there are n.
func (l *Landmarker) borrowIdle(workers []*poseWorker, n int) []*poseWorker {
	for len(workers) < n {
		select {
		case o, ok := <-l.pool:
			if !ok || o == nil { // closing: Close waits for this call's own worker
				return workers
			}
			workers = append(workers, o)
		default:
			return workers
		}
	}
	return workers
}

// peopleFrom runs the ROIs whose indices it takes from next, writing slot i of found, nexts,
// timings and errs for ROI i.
func (w *poseWorker) peopleFrom(l *Landmarker, img pixels.Image, rois []Rect, parts []*Track, next <-chan int, found []Person, nexts []Rect, timings []Timings, errs []error) {
	for i := range next {
		var part *Track
		if parts != nil {
			part = parts[i]
		}
		found[i], nexts[i], timings[i], errs[i] = w.person(l, img, rois[i], part)
	}
}

// person is one ROI's person: the landmark model (Tasks' kernel), then for the holistic kinds
// the face and hands from that pose: with part (video mode) each branch tracked from this
// person's landmarks of the previous frame, as Holistic's video mode tracks its one person's,
// and part updated; without, as a fresh image-mode Holistic graph would find them for a frame
// holding only that pose. A nil Pose means nobody in the ROI. next is the ROI the person's
// auxiliary landmarks give the next frame (nextFrameROI), for video mode.
func (w *poseWorker) person(l *Landmarker, img pixels.Image, roi Rect, part *Track) (_ Person, next Rect, _ Timings, _ error) {
	var t Timings
	start := time.Now()
	p, aux, err := w.landmarks(l, img, roi, tasksHeatmapKernel)
	t.Landmarks = time.Since(start)
	if err != nil || p == nil {
		return Person{}, Rect{}, t, err
	}
	next = nextFrameROI(aux, img.Width, img.Height)
	if w.hol == nil {
		return Person{Pose: p}, next, t, nil
	}
	r := Result{Pose: p}
	if err := w.hol.holistic(l, img, &r, part); err != nil {
		return Person{}, Rect{}, t, err
	}
	return Person{Pose: p, Face: r.Face, LeftHand: r.LeftHand, RightHand: r.RightHand}, next, Timings{Landmarks: t.Landmarks, Hands: r.Timings.Hands, Face: r.Timings.Face}, nil
}
