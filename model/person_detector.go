package model

import (
	"fmt"
	"math"
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
// people 32-147 px tall): recall 0.87 of people >= 80 px, 0.85 of all, 0.3 false people a
// frame, where the pose detector finds 1 of the 59 (README, "Several people").
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

// The SSD person detector: MediaPipe's mediapipe/modules/objectron/object_detection_oid_v4_cpu.pbtxt
// (google-ai-edge/mediapipe) runs it on the whole frame stretched to 300x300
// (ImageTransformationCalculator, no letterbox) in [-1, 1] (TfLiteConverterCalculator's
// zero_center), decodes 1917 SSD boxes of 24 classes with a sigmoid (TfLiteTensorsToDetections:
// num_classes 24, ignore_classes 0, x/y_scale 10, w/h_scale 5, exponential box size) and keeps
// one detection after non-weighted NMS at IoU 0.4. We keep every person it finds: a box whose
// best class (of 1..23, as TensorsToDetections picks a detection's label) is Person, scored at
// least ssdMinScore, after the same NMS.
const (
	ssdFile        = "object_detection_ssd_mobilenetv2_oidv4_fp16.tflite"
	ssdInput       = 300
	ssdBoxes       = 1917
	ssdClasses     = 24
	ssdPersonClass = 4 // object_detection_oidv4_labelmap.txt: ???, Bicycle, Boot, Laptop, Person, ...
	ssdNMS         = 0.4
	// ssdMinScore is ours, by measurement: people of 50-100 px score 0.3-0.5 (objectron's 0.6
	// finds 1 of the 59 labelled people, 0.5 38, 0.4 52, 0.3 54); the false boxes a low
	// threshold lets in cost a landmark run each and are rejected by its presence flag (0.3 false
	// people a frame at 0.3, against 2.7 false boxes).
	ssdMinScore = 0.3
	// ssdROIScale enlarges a person box to the landmark model's square ROI: 1.25, as the pose
	// detector's ROI (roiScale); 1.5 (objectron's box expansion) finds 2 fewer people of the 59.
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

// SSDPersonDecode returns the TfLiteTensorsToDetectionsCalculator options of
// object_detection_oid_v4_cpu.pbtxt for one class's scores (ssdPersonLogits), with ssdMinScore.
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

// ssdPersonLogits writes into dst, for each box, its Person logit when Person is the box's best
// class among 1..ssdClasses-1 (TensorsToDetections' argmax with class 0 ignored; the sigmoid is
// monotonic, so comparing logits picks the same class), and -Inf otherwise, which the decode's
// threshold rejects.
func ssdPersonLogits(classes []float32, dst []float32) []float32 {
	dst = slices.Grow(dst[:0], ssdBoxes)[:ssdBoxes]
	for i := range dst {
		row := classes[i*ssdClasses : (i+1)*ssdClasses]
		best := 1
		for c := 2; c < ssdClasses; c++ {
			if row[c] > row[best] {
				best = c
			}
		}
		dst[i] = float32(math.Inf(-1))
		if best == ssdPersonClass {
			dst[i] = row[ssdPersonClass]
		}
	}
	return dst
}

// NMS is NonMaxSuppressionCalculator's default (non-weighted) algorithm with
// INTERSECTION_OVER_UNION overlap (mediapipe/calculators/util/non_max_suppression_calculator.cc:
// NonMaxSuppression): detections by descending score (ties keep input order), each kept unless
// its IoU with one already kept is above iouThreshold. dets is not modified.
func NMS(dets []Detection, iouThreshold float32) []Detection {
	order := make([]int, len(dets))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch sa, sb := dets[a].Score, dets[b].Score; {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	var kept []Detection
	for _, i := range order {
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
