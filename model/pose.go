package model

import (
	"math"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Sizes and thresholds of MediaPipe's pose graphs.
const (
	detectorInput    = 224 // pose_detection_cpu.pbtxt: ImageToTensor 224x224
	landmarkInput    = 256 // pose_landmark_by_roi_cpu.pbtxt: ImageToTensor 256x256
	heatmapSize      = 64  // pose_landmark_*.tflite output 3: [1,64,64,39]
	numRawLandmarks  = 39  // 33 pose + 2 auxiliary + 4 unused, tensors_to_pose_landmarks_and_segmentation.pbtxt
	numAux           = 2
	heatmapMinConf   = 0.5 // RefineLandmarksFromHeatmapCalculator min_confidence_to_refine default
	poseNMSThreshold = 0.3 // pose_detection_cpu.pbtxt: NonMaxSuppressionCalculator min_suppression_threshold
	roiScale         = 1.25
	visibilityAlpha  = 0.1 // VisibilitySmoothingCalculator low_pass_filter alpha
)

// heatmapKernel is the window RefineLandmarksFromHeatmapCalculator averages the heatmap over:
// 9 cells, the kernel_size default of refine_landmarks_from_heatmap_calculator.proto, not the 7
// that tensors_to_pose_landmarks_and_segmentation.pbtxt asks for. That is what MediaPipe 0.10.14
// runs: its pose graph's refined landmarks (the internal stream
// poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__all_landmarks) are a 9x9
// window's weighted mean of its own heatmap to 3e-7 of the ROI on all 39 landmarks, a 7x7
// window's only to 3e-3 to 7e-3 (scripts/mediapipe/stages.py refine). With 7, every landmark
// whose heatmap spreads past 7 cells moved: the auxiliary hip landmark by 1.9 px on
// astronaut.png, and the next frame's ROI with it, frame after frame.
const heatmapKernel = 9

// poseWorker owns one interpreter per model and the scratch buffers of one frame in flight;
// hol holds the Holistic pipeline's extra interpreters (nil for the pose kinds).
type poseWorker struct {
	det, lm *interpreter
	ssd     *ssdWorker // WithPersonDetector(SSDDetector) only
	hol     *holisticWorker
	dets    []Detection
	raw     [numRawLandmarks]Landmark
}

func newPoseWorker(det, lm *network, threads int) (*poseWorker, error) {
	d, err := newInterpreter(det, threads,
		tensorSpec{"input_1", []int{1, detectorInput, detectorInput, 3}},
		[]tensorSpec{
			{"Identity", []int{1, 2254, 12}},
			{"Identity_1", []int{1, 2254, 1}},
		})
	if err != nil {
		return nil, err
	}
	l, err := newInterpreter(lm, threads,
		tensorSpec{"input_1", []int{1, landmarkInput, landmarkInput, 3}},
		[]tensorSpec{
			{"Identity", []int{1, 5 * numRawLandmarks}},
			{"Identity_1", []int{1, 1}},
			{"Identity_2", []int{1, landmarkInput, landmarkInput, 1}},
			{"Identity_3", []int{1, heatmapSize, heatmapSize, numRawLandmarks}},
			{"Identity_4", []int{1, 3 * numRawLandmarks}},
		})
	if err != nil {
		d.close()
		return nil, err
	}
	return &poseWorker{det: d, lm: l}, nil
}

func (w *poseWorker) close() {
	w.det.close()
	w.lm.close()
	if w.ssd != nil {
		w.ssd.close()
	}
	if w.hol != nil {
		w.hol.close()
	}
}

// pose runs one frame: the detector when there is no ROI to track, then the landmark model, then
// (video mode) smoothing and the next frame's ROI. tr is nil in image mode.
// Follows pose_landmark_cpu.pbtxt.
func (w *poseWorker) pose(l *Landmarker, img pixels.Image, tr *Track, ts time.Duration) (res Result, err error) {
	var roi Rect
	tracking := tr != nil && tr.ROI != nil
	if tracking {
		roi = *tr.ROI
	} else {
		start := time.Now()
		d, found, err := w.detect(l, img)
		res.Timings.Detect = time.Since(start)
		res.DetectorRan = true
		if err != nil {
			return res, err
		}
		if !found {
			tr.lost()
			return res, nil
		}
		roi = detectionROI(d, img.Width, img.Height)
	}

	start := time.Now()
	// res is the named result, so the deferred assignment reaches the caller.
	defer func() { res.Timings.Landmarks = time.Since(start) }()
	p, aux, err := w.landmarks(l, img, roi, heatmapKernel)
	if err != nil || p == nil {
		tr.lost()
		return res, err
	}
	if tr != nil {
		tr.update(l, p, aux, img.Width, img.Height, ts)
	}
	res.Pose = p
	return res, nil
}

// landmarks runs the landmark model on one ROI and returns the person's pose projected to the
// image and the auxiliary landmarks (in w's scratch, valid until the next call), or a nil pose
// when there is nobody: a degenerate ROI, or a pose flag not above min_tracking_confidence.
// kernel is the heatmap refinement's window (heatmapKernel for the legacy graph,
// tasksHeatmapKernel for the Tasks graph). Follows pose_landmark_by_roi_cpu.pbtxt.
func (w *poseWorker) landmarks(l *Landmarker, img pixels.Image, roi Rect, kernel int) (*Pose, []Landmark, error) {
	if err := Crop(img, roi, w.lm.input, landmarkInput, landmarkInput, 0, 1, BorderReplicate); err != nil {
		return nil, nil, nil // a degenerate ROI means no person, as MediaPipe's ImageToTensor would drop it
	}
	if err := w.lm.invoke(); err != nil {
		return nil, nil, err
	}
	out := w.lm.outputs
	// The pose flag is already a probability (sigmoid inside the model); the
	// ThresholdingCalculator compares it with a strict >.
	if !(out[1][0] > l.cfg.minTracking) {
		return nil, nil, nil
	}
	raw := w.raw[:]
	DecodeLandmarks(out[0], landmarkInput, landmarkInput, raw)
	RefineFromHeatmap(raw, out[3], heatmapSize, heatmapSize, numRawLandmarks, kernel, heatmapMinConf)
	lms := raw[:NumPoseLandmarks+numAux]
	removeCropPadding(lms, roi, img.Width, img.Height, landmarkInput)
	ProjectLandmarks(lms, roi)

	p := &Pose{ROI: roi}
	copy(p.Landmarks[:], lms[:NumPoseLandmarks])
	ProjectWorldLandmarks(out[4][:3*NumPoseLandmarks], roi, p.World[:])
	for i := range p.World {
		p.World[i].Visibility = p.Landmarks[i].Visibility // VisibilityCopyCalculator, before smoothing
	}
	return p, lms[NumPoseLandmarks:], nil
}

// detect runs pose_detection on the letterboxed frame and returns the first detection after
// weighted NMS, mapped to normalized image coordinates (pose_detection_cpu.pbtxt).
func (w *poseWorker) detect(l *Landmarker, img pixels.Image) (Detection, bool, error) {
	pad, err := w.runDetector(img)
	if err != nil {
		return Detection{}, false, err
	}
	d, ok := firstDetection(w.det, l.anchors, l.poseDecode(), poseNMSThreshold, &w.dets)
	if !ok {
		return Detection{}, false, nil
	}
	RemoveLetterbox(&d, pad)
	return d, true, nil
}

// runDetector letterboxes the whole image into the detector's input and invokes it; the padding
// it returns maps the detections back to the image.
func (w *poseWorker) runDetector(img pixels.Image) (Padding, error) {
	// The whole image: Crop letterboxes it as ImageToTensorCalculator does without a rectangle.
	_, pad := LetterboxROI(img.Width, img.Height, detectorInput, detectorInput)
	if err := Crop(img, Rect{XCenter: 0.5, YCenter: 0.5, Width: 1, Height: 1}, w.det.input, detectorInput, detectorInput, -1, 1, BorderZero); err != nil {
		return Padding{}, err
	}
	return pad, w.det.invoke()
}

// poseDecode is the pose detector's decoding with this Landmarker's min_detection_confidence.
func (l *Landmarker) poseDecode() DecodeOptions {
	opts := PoseDetectorDecode()
	opts.MinScoreThresh = l.cfg.minDetection
	return opts
}

// firstDetection decodes a detector's outputs (boxes, scores) and keeps the first detection after
// weighted NMS, as MediaPipe's pose and face graphs do (SplitDetectionVectorCalculator 0..1).
// scratch is reused for the decoded detections.
func firstDetection(det *interpreter, anchors []Anchor, o DecodeOptions, iou float32, scratch *[]Detection) (Detection, bool) {
	*scratch = DecodeDetections(det.outputs[0], det.outputs[1], anchors, o, (*scratch)[:0])
	if len(*scratch) == 0 {
		return Detection{}, false
	}
	kept := WeightedNMS(*scratch, iou)
	if len(kept) == 0 {
		return Detection{}, false
	}
	return kept[0], true
}

// detectionROI is pose_detection_to_roi.pbtxt: keypoint 0 (hip centre) and keypoint 1 (full body
// scale and rotation) give a rectangle rotated to make the body upright, enlarged 1.25x and made
// square in pixels.
func detectionROI(d Detection, imgW, imgH int) Rect {
	r := AlignmentRect(d.Keypoints[0], d.Keypoints[1], imgW, imgH, math.Pi/2)
	return RectTransform{ScaleX: roiScale, ScaleY: roiScale, SquareLong: true}.Apply(r, imgW, imgH)
}
