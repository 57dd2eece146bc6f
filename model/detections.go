package model

import (
	"fmt"
	"math"
	"slices"
)

// DecodeOptions are the fields of MediaPipe's TensorsToDetectionsCalculatorOptions that an
// anchor-based detector without in-model post-processing uses
// (mediapipe/calculators/tensor/tensors_to_detections_calculator.proto), for one class.
type DecodeOptions struct {
	NumBoxes            int // rows of the regressor and score tensors
	NumCoords           int // values per regressor row: 4 box values + 2 per keypoint
	BoxCoordOffset      int // index of the first box value in a row
	KeypointCoordOffset int // index of the first keypoint value in a row
	NumKeypoints        int
	// NumValuesPerKeypoint is the stride between keypoints in a row; MediaPipe only supports 2.
	NumValuesPerKeypoint int
	// XScale, YScale, WScale and HScale divide the raw offsets and sizes (the input size, for
	// BlazePose and BlazeFace).
	XScale, YScale, WScale, HScale float32
	// ReverseOutputOrder selects the XYWH layout (x before y); false is MediaPipe's YXHW default.
	ReverseOutputOrder        bool
	ApplyExponentialOnBoxSize bool // size = exp(raw/scale)*anchor size instead of raw/scale*anchor size
	SigmoidScore              bool
	// ScoreClippingThresh clamps the raw score to [-t, t] before the sigmoid when > 0.
	ScoreClippingThresh float32
	// MinScoreThresh rejects a box whose score is below it (a score equal to it is kept).
	MinScoreThresh float32
}

// PoseDetectorDecode returns the TensorsToDetectionsCalculator options of pose_detection_cpu.pbtxt:
// 2254 boxes of 12 values (box XYWH then 4 keypoints), offsets in 224-pixel units, scores
// clipped to ±100 and squashed by a sigmoid, kept at >= 0.5 (Python's min_detection_confidence).
func PoseDetectorDecode() DecodeOptions {
	return DecodeOptions{
		NumBoxes:             2254,
		NumCoords:            12,
		BoxCoordOffset:       0,
		KeypointCoordOffset:  4,
		NumKeypoints:         4,
		NumValuesPerKeypoint: 2,
		XScale:               224,
		YScale:               224,
		WScale:               224,
		HScale:               224,
		ReverseOutputOrder:   true,
		SigmoidScore:         true,
		ScoreClippingThresh:  100,
		MinScoreThresh:       0.5,
	}
}

// DecodeDetections turns a detector's raw outputs into detections, in anchor order, following
// TensorsToDetectionsCalculator (mediapipe/calculators/tensor/tensors_to_detections_calculator.cc:
// ProcessCPU, DecodeBoxes, ConvertToDetections). boxes holds NumBoxes rows of NumCoords values,
// scores one logit per box, anchors one anchor per box; a length mismatch is a programming error
// and panics. Boxes whose score is below MinScoreThresh (or NaN), or whose width or height is
// negative or NaN, are dropped. Coordinates are normalized to the detector's input tensor.
//
// The detections are appended to dst and the extended slice returned. The Keypoints of the
// detections in dst's spare capacity (between len and cap) are reused, so a caller that passes
// dst[:0] must not hold on to the detections of an earlier call.
func DecodeDetections(boxes, scores []float32, anchors []Anchor, o DecodeOptions, dst []Detection) []Detection {
	n := o.NumBoxes
	if n < 0 || len(boxes) < n*o.NumCoords || len(scores) < n || len(anchors) < n {
		panic(fmt.Sprintf("model: DecodeDetections: %d boxes need %d regressor values, %d scores and %d anchors; have %d, %d, %d",
			n, n*o.NumCoords, n, n, len(boxes), len(scores), len(anchors)))
	}
	if o.NumKeypoints > 0 && o.KeypointCoordOffset+(o.NumKeypoints-1)*o.NumValuesPerKeypoint+2 > o.NumCoords ||
		o.BoxCoordOffset+4 > o.NumCoords {
		panic(fmt.Sprintf("model: DecodeDetections: %d coords per box cannot hold the box at %d and %d keypoints at %d",
			o.NumCoords, o.BoxCoordOffset, o.NumKeypoints, o.KeypointCoordOffset))
	}
	for i := 0; i < n; i++ {
		score, ok := boxScore(scores[i], o)
		if !ok {
			continue
		}
		row := boxes[i*o.NumCoords : (i+1)*o.NumCoords]
		d, ok := decodeBox(row, anchors[i], o)
		if !ok {
			continue
		}
		d.Score = score
		dst = slices.Grow(dst, 1)
		kps := dst[: len(dst)+1 : cap(dst)][len(dst)].Keypoints[:0]
		for k := 0; k < o.NumKeypoints; k++ {
			kps = append(kps, decodeKeypoint(row[o.KeypointCoordOffset+k*o.NumValuesPerKeypoint:], anchors[i], o))
		}
		d.Keypoints = kps
		dst = append(dst, d)
	}
	return dst
}

// boxScore is the score filter of ProcessCPU and ConvertToDetection: clamp, sigmoid, threshold.
// A NaN score never beats MediaPipe's initial -FLT_MAX, so it is rejected.
func boxScore(raw float32, o DecodeOptions) (float32, bool) {
	s := raw
	if o.SigmoidScore {
		if t := o.ScoreClippingThresh; t > 0 {
			if s < -t {
				s = -t
			}
			if s > t {
				s = t
			}
		}
		s = Sigmoid(s)
	}
	best := float32(-math.MaxFloat32)
	if best < s {
		best = s
	}
	return best, !(best < o.MinScoreThresh)
}

// decodeBox is DecodeBoxes for one row, then the width/height check of ConvertToDetections.
// MediaPipe stores a box as xmin, ymin, width, height; XMax and YMax here are xmin + width and
// ymin + height in float32, the values MediaPipe's Rectangle_f sees.
func decodeBox(row []float32, a Anchor, o DecodeOptions) (Detection, bool) {
	b := row[o.BoxCoordOffset:]
	yc, xc, h, w := b[0], b[1], b[2], b[3]
	if o.ReverseOutputOrder {
		xc, yc, w, h = b[0], b[1], b[2], b[3]
	}
	xc = float32(xc/o.XScale*a.W) + a.X
	yc = float32(yc/o.YScale*a.H) + a.Y
	if o.ApplyExponentialOnBoxSize {
		h = expf(h/o.HScale) * a.H
		w = expf(w/o.WScale) * a.W
	} else {
		h = h / o.HScale * a.H
		w = w / o.WScale * a.W
	}
	ymin, xmin := yc-h/2, xc-w/2
	ymax, xmax := yc+h/2, xc+w/2
	width, height := xmax-xmin, ymax-ymin
	if width < 0 || height < 0 || isNaN32(width) || isNaN32(height) {
		return Detection{}, false
	}
	return Detection{XMin: xmin, YMin: ymin, XMax: xmin + width, YMax: ymin + height}, true
}

// decodeKeypoint is the keypoint part of DecodeBoxes; kp starts at the keypoint's first value.
func decodeKeypoint(kp []float32, a Anchor, o DecodeOptions) Point {
	y, x := kp[0], kp[1]
	if o.ReverseOutputOrder {
		x, y = kp[0], kp[1]
	}
	return Point{X: float32(x/o.XScale*a.W) + a.X, Y: float32(y/o.YScale*a.H) + a.Y}
}

// WeightedNMS merges overlapping detections as NonMaxSuppressionCalculator's WEIGHTED algorithm
// with INTERSECTION_OVER_UNION overlap (mediapipe/calculators/util/non_max_suppression_calculator.cc:
// WeightedNonMaxSuppression). Detections are taken by descending score (ties keep input order);
// the best remaining one, T, collects every remaining detection (itself included) whose IoU with
// T's own, unmerged box is strictly above iouThreshold, and is output with its box corners and
// keypoints replaced by the score-weighted means of that group and its score unchanged. It stops
// when a round removes nothing. dets is not modified; the result has fresh Keypoints slices.
func WeightedNMS(dets []Detection, iouThreshold float32) []Detection {
	order := byScore(dets)
	var out []Detection
	candidates := make([]int, 0, len(order))
	remained := make([]int, 0, len(order))
	for len(order) > 0 {
		t := &dets[order[0]]
		candidates, remained = candidates[:0], remained[:0]
		for _, i := range order {
			if iou(&dets[i], t) > iouThreshold {
				candidates = append(candidates, i)
			} else {
				remained = append(remained, i)
			}
		}
		out = append(out, weightedMean(dets, t, candidates))
		if len(remained) == len(order) {
			break
		}
		order, remained = remained, order
	}
	return out
}

// weightedMean returns a copy of t with its box corners and keypoints replaced by the
// score-weighted means over candidates, accumulated in float32 in candidate order as MediaPipe
// does. With no candidates (t's box is empty), t is returned as is.
func weightedMean(dets []Detection, t *Detection, candidates []int) Detection {
	w := *t
	w.Keypoints = slices.Clone(t.Keypoints)
	if len(candidates) == 0 {
		return w
	}
	var xmin, ymin, xmax, ymax, total float32
	kps := make([]float32, 2*len(t.Keypoints))
	for _, c := range candidates {
		d := &dets[c]
		s := d.Score
		total += s
		xmin += float32(d.XMin * s)
		ymin += float32(d.YMin * s)
		xmax += float32(d.XMax * s)
		ymax += float32(d.YMax * s)
		for k := range t.Keypoints {
			kps[2*k] += float32(d.Keypoints[k].X * s)
			kps[2*k+1] += float32(d.Keypoints[k].Y * s)
		}
	}
	w.XMin, w.YMin = xmin/total, ymin/total
	w.XMax = w.XMin + (xmax/total - w.XMin)
	w.YMax = w.YMin + (ymax/total - w.YMin)
	for k := range w.Keypoints {
		w.Keypoints[k] = Point{X: kps[2*k] / total, Y: kps[2*k+1] / total}
	}
	return w
}

// byScore returns the indices of dets by descending score, ties in input order (the stable sort
// of NonMaxSuppressionCalculator's indexed scores).
func byScore(dets []Detection) []int {
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
	return order
}

// iou is OverlapSimilarity for INTERSECTION_OVER_UNION on MediaPipe's Rectangle_f: 0 when the
// boxes do not touch (or one is empty), intersection / (area a + area b - intersection)
// otherwise, 0 when that denominator is not positive.
func iou(a, b *Detection) float32 {
	if a.XMin > a.XMax || a.YMin > a.YMax || b.XMin > b.XMax || b.YMin > b.YMax ||
		b.XMax < a.XMin || a.XMax < b.XMin || b.YMax < a.YMin || a.YMax < b.YMin {
		return 0
	}
	iw := min(a.XMax, b.XMax) - max(a.XMin, b.XMin)
	ih := min(a.YMax, b.YMax) - max(a.YMin, b.YMin)
	inter := iw * ih
	union := (a.XMax-a.XMin)*(a.YMax-a.YMin) + (b.XMax-b.XMin)*(b.YMax-b.YMin) - inter
	if !(union > 0) {
		return 0
	}
	return inter / union
}

// Padding is the letterbox an ImageToTensorCalculator added around the image, as fractions of
// the tensor's width (Left, Right) and height (Top, Bottom): its LETTERBOX_PADDING output.
type Padding struct{ Left, Top, Right, Bottom float32 }

// RemoveLetterbox maps a detection from letterboxed-tensor coordinates to image coordinates in
// place, as DetectionLetterboxRemovalCalculator
// (mediapipe/calculators/util/detection_letterbox_removal_calculator.cc).
func RemoveLetterbox(d *Detection, p Padding) {
	lr, tb := p.Left+p.Right, p.Top+p.Bottom
	sx, sy := 1-lr, 1-tb
	width, height := d.XMax-d.XMin, d.YMax-d.YMin
	d.XMin = (d.XMin - p.Left) / sx
	d.YMin = (d.YMin - p.Top) / sy
	d.XMax = d.XMin + width/sx
	d.YMax = d.YMin + height/sy
	for i := range d.Keypoints {
		k := &d.Keypoints[i]
		k.X = (k.X - p.Left) / sx
		k.Y = (k.Y - p.Top) / sy
	}
}

func isNaN32(v float32) bool { return v != v }
