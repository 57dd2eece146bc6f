package model

import (
	"fmt"
	"slices"

	"github.com/holostream/holostream/pixels"
)

// PersonDetector names the detector that finds people for the landmark model when a frame may
// hold several (WithPersonDetector).
type PersonDetector string

// The person detectors.
//
// PoseDetector is MediaPipe's BlazePose detector (pose_detection.tflite), the one every pose
// pipeline runs: made for a person near the camera, it sees the whole frame letterboxed to
// 224x224, where a person 90 px tall in a 768x576 frame is 26 px, too small to find. With it the
// pipeline is MediaPipe's (legacy Pose for one person, Tasks' PoseLandmarker for several).
//
// SSDDetector is the SSD MobileNetV2 of MediaPipe's Objectron (Open Images v4 classes, one of
// them Person), on the whole frame stretched to 300x300: it finds people from about 30 px tall
// up, as on a street or a shop floor seen by a camera above head height. Each person box
// becomes a landmark ROI (personROI), and the landmark model's presence flag rejects the boxes
// that hold nobody. Measured on 10 frames of pedestrians (testdata/surveillance, 59 hand-labelled
// people 32-147 px tall): recall 0.90 of people >= 80 px, 0.86 of all, 0.2 false people a
// frame, where the pose detector finds 1 of the 59 (README, "People far from the camera").
const (
	PoseDetector PersonDetector = "pose"
	SSDDetector  PersonDetector = "ssd"
)

// PersonDetectors lists the detectors WithPersonDetector accepts.
func PersonDetectors() []PersonDetector { return []PersonDetector{PoseDetector, SSDDetector} }

// ParsePersonDetector checks a person detector's name from a flag.
func ParsePersonDetector(s string) (PersonDetector, error) {
	for _, d := range PersonDetectors() {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown person detector %q (want one of %v)", s, PersonDetectors())
}

// The SSD person detector runs as MediaPipe Tasks' ObjectDetector runs an SSD without in-model
// post-processing (google-ai-edge/mediapipe v0.10.14, mediapipe/tasks/cc/vision/object_detector/
// object_detector_graph.cc), with the anchors and box coding of Objectron's graph for this
// model (mediapipe/modules/objectron/object_detection_oid_v4_cpu.pbtxt): the whole frame
// stretched to 300x300 (ImageToTensor without keep_aspect_ratio) in [-1, 1], 1917 SSD boxes
// (y, x, h, w; x/y_scale 10, w/h_scale 5, exponential size), a sigmoid score, and, as with
// category_allowlist ["Person"], a box's score is its Person score whatever the other 23
// classes score; then greedy non-weighted NMS at IoU 0.3, class-agnostic (the graph's
// hard-coded threshold). testdata/golden/person_ssd.json is Tasks' own output on the
// surveillance frames and the test images (scripts/mediapipe/multipose/ssd_golden.py).
const (
	ssdFile        = "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite"
	ssdInput       = 300
	ssdBoxes       = 1917
	ssdClasses     = 24
	ssdPersonClass = 4   // object_detection_oidv4_labelmap.txt: ???, Bicycle, Boot, Laptop, Person, ...
	ssdNMS         = 0.3 // object_detector_graph.cc: NonMaxSuppression min_suppression_threshold
	// ssdMinScore is Tasks' score_threshold, ours by measurement: people of 50-100 px score
	// 0.3-0.5 (0.5, Objectron's own threshold, finds 38 of the 59 labelled people; 0.4 52; 0.3
	// 54); the false boxes a low threshold lets in cost a landmark run each, whose presence
	// flag rejects them.
	ssdMinScore = 0.3
	// ssdROIScale enlarges a person box to the landmark model's square ROI: 1.25, as the pose
	// detector's ROI (roiScale); 1.5 (Objectron's box expansion) finds 2 fewer people of the 59.
	ssdROIScale = roiScale
)

// SSDPersonAnchors returns the SsdAnchorsCalculator options of object_detection_oid_v4_cpu.pbtxt:
// 6 layers on a 300x300 input, strides 16 to 512, 5 aspect ratios plus the interpolated scale,
// 3 reduced anchors in the lowest layer: 1917 anchors of varying size.
func SSDPersonAnchors() AnchorOptions {
	return AnchorOptions{
		NumLayers:                    6,
		MinScale:                     0.2,
		MaxScale:                     0.95,
		InputWidth:                   ssdInput,
		InputHeight:                  ssdInput,
		OffsetX:                      0.5,
		OffsetY:                      0.5,
		Strides:                      []int{16, 32, 64, 128, 256, 512},
		AspectRatios:                 []float32{1, 2, 0.5, 3, 0.3333},
		InterpolatedScaleAspectRatio: 1,
		ReduceBoxesInLowestLayer:     true,
	}
}

// SSDPersonDecode returns the TensorsToDetectionsCalculator options of
// object_detection_oid_v4_cpu.pbtxt for the Person class's scores (ssdPersonLogits), with ssdMinScore.
func SSDPersonDecode() DecodeOptions {
	return DecodeOptions{
		NumBoxes:                  ssdBoxes,
		NumCoords:                 4,
		XScale:                    10,
		YScale:                    10,
		WScale:                    5,
		HScale:                    5,
		ApplyExponentialOnBoxSize: true,
		SigmoidScore:              true,
		MinScoreThresh:            ssdMinScore,
	}
}

// ssdPersonLogits writes into dst each box's Person logit (the class column of the allowlist).
func ssdPersonLogits(classes []float32, dst []float32) []float32 {
	dst = slices.Grow(dst[:0], ssdBoxes)[:ssdBoxes]
	for i := range dst {
		dst[i] = classes[i*ssdClasses+ssdPersonClass]
	}
	return dst
}

// NMS is NonMaxSuppressionCalculator's default (non-weighted) algorithm with
// INTERSECTION_OVER_UNION overlap (mediapipe/calculators/util/non_max_suppression_calculator.cc:
// NonMaxSuppression): detections by descending score (ties keep input order), each kept unless
// its IoU with one already kept is above iouThreshold. dets is not modified.
func NMS(dets []Detection, iouThreshold float32) []Detection {
	var kept []Detection
	for _, i := range byScore(dets) {
		d := &dets[i]
		suppressed := false
		for k := range kept {
			if iou(d, &kept[k]) > iouThreshold {
				suppressed = true
				break
			}
		}
		if !suppressed {
			kept = append(kept, *d)
		}
	}
	return kept
}

// ssdWorker is one worker's SSD interpreter and scratch.
type ssdWorker struct {
	ip     *interpreter
	logits []float32
	dets   []Detection
}

func newSSDWorker(n *network, threads int) (*ssdWorker, error) {
	ip, err := newInterpreter(n, threads,
		tensorSpec{"normalized_input_image_tensor", []int{1, ssdInput, ssdInput, 3}},
		[]tensorSpec{
			{"raw_outputs/box_encodings", []int{1, ssdBoxes, 4}},
			{"raw_outputs/class_predictions", []int{1, ssdBoxes, ssdClasses}},
		})
	if err != nil {
		return nil, err
	}
	return &ssdWorker{ip: ip}, nil
}

func (s *ssdWorker) close() { s.ip.close() }

// people runs the SSD on the whole image and returns its person boxes after NMS, most confident
// first, normalized to the image (the stretch maps the tensor's unit square onto the image).
func (s *ssdWorker) people(anchors []Anchor, img pixels.Image) ([]Detection, error) {
	whole := Rect{XCenter: 0.5, YCenter: 0.5, Width: 1, Height: 1}
	if err := CropStretched(img, whole, s.ip.input, ssdInput, ssdInput, -1, 1, BorderZero); err != nil {
		return nil, err
	}
	if err := s.ip.invoke(); err != nil {
		return nil, err
	}
	s.logits = ssdPersonLogits(s.ip.outputs[1], s.logits)
	s.dets = DecodeDetections(s.ip.outputs[0], s.logits, anchors, SSDPersonDecode(), s.dets[:0])
	return NMS(s.dets, ssdNMS), nil
}

// personROI is a person box's landmark ROI: the box's centre, no rotation, its longer side in
// pixels enlarged ssdROIScale times, square in pixels (RectTransformationCalculator with
// square_long, as the pose detector's ROI).
func personROI(d Detection, imgW, imgH int) Rect {
	r := Rect{
		XCenter: (d.XMin + d.XMax) / 2,
		YCenter: (d.YMin + d.YMax) / 2,
		Width:   d.XMax - d.XMin,
		Height:  d.YMax - d.YMin,
	}
	return RectTransform{ScaleX: ssdROIScale, ScaleY: ssdROIScale, SquareLong: true}.Apply(r, imgW, imgH)
}
