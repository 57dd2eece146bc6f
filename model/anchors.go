package model

import "math"

// Anchor is one SSD anchor box in normalized tensor coordinates: its centre and its size (1 x 1
// when the anchors have a fixed size, as in every BlazePose/BlazeFace detector).
type Anchor struct{ X, Y, W, H float32 }

// AnchorOptions are the fields of MediaPipe's SsdAnchorsCalculatorOptions that the pose and face
// detectors use (mediapipe/calculators/tflite/ssd_anchors_calculator.proto). Feature-map sizes
// are always derived from the strides, and multi-scale anchor generation is not supported.
type AnchorOptions struct {
	NumLayers int
	// MinScale and MaxScale are interpolated over the layers; they only matter when
	// FixedAnchorSize is false.
	MinScale, MaxScale      float32
	InputWidth, InputHeight int
	OffsetX, OffsetY        float32 // anchor centre within its cell, 0.5 = middle
	Strides                 []int   // one per layer; len(Strides) must equal NumLayers
	AspectRatios            []float32
	// InterpolatedScaleAspectRatio adds one anchor per layer with the geometric mean of this
	// layer's and the next layer's scale when > 0. MediaPipe's proto default is 1.0; the zero
	// value here disables it, so set it explicitly.
	InterpolatedScaleAspectRatio float32
	FixedAnchorSize              bool // every anchor 1 x 1
	ReduceBoxesInLowestLayer     bool // layer 0 gets the 3 predefined (scale, ratio) anchors
}

// PoseDetectorAnchors returns the SsdAnchorsCalculator options of pose_detection_cpu.pbtxt:
// 5 layers on a 224x224 input, strides 8, 16, 32, 32, 32, which make 2254 fixed-size anchors.
func PoseDetectorAnchors() AnchorOptions {
	return AnchorOptions{
		NumLayers:                    5,
		MinScale:                     0.1484375,
		MaxScale:                     0.75,
		InputWidth:                   224,
		InputHeight:                  224,
		OffsetX:                      0.5,
		OffsetY:                      0.5,
		Strides:                      []int{8, 16, 32, 32, 32},
		AspectRatios:                 []float32{1},
		InterpolatedScaleAspectRatio: 1,
		FixedAnchorSize:              true,
	}
}

// GenerateAnchors builds the anchors in the order the detector's output rows use, following
// SsdAnchorsCalculator::GenerateAnchors (mediapipe/calculators/tflite/ssd_anchors_calculator.cc):
// consecutive layers with the same stride share one feature map, whose cells are visited row by
// row, each cell holding the anchors of all those layers. It returns nil when len(o.Strides) does
// not equal o.NumLayers (MediaPipe CHECK-fails) or a stride is not positive.
func GenerateAnchors(o AnchorOptions) []Anchor {
	if len(o.Strides) != o.NumLayers {
		return nil
	}
	for _, s := range o.Strides {
		if s <= 0 {
			return nil
		}
	}
	var anchors []Anchor
	for layer := 0; layer < o.NumLayers; {
		var widths, heights []float32
		last := layer
		for last < len(o.Strides) && o.Strides[last] == o.Strides[layer] {
			ratios, scales := layerAnchorShapes(o, last)
			for i, r := range ratios {
				sq := float32(math.Sqrt(float64(r)))
				heights = append(heights, scales[i]/sq)
				widths = append(widths, scales[i]*sq)
			}
			last++
		}
		stride := float32(o.Strides[layer])
		fh := int(math.Ceil(float64(float32(o.InputHeight) / stride)))
		fw := int(math.Ceil(float64(float32(o.InputWidth) / stride)))
		for y := 0; y < fh; y++ {
			for x := 0; x < fw; x++ {
				cx := (float32(x) + o.OffsetX) / float32(fw)
				cy := (float32(y) + o.OffsetY) / float32(fh)
				for k := range widths {
					a := Anchor{X: cx, Y: cy, W: 1, H: 1}
					if !o.FixedAnchorSize {
						a.W, a.H = widths[k], heights[k]
					}
					anchors = append(anchors, a)
				}
			}
		}
		layer = last
	}
	return anchors
}

// layerAnchorShapes returns the aspect ratios and scales of the anchors one layer adds to each
// cell of its feature map.
func layerAnchorShapes(o AnchorOptions, layer int) (ratios, scales []float32) {
	n := len(o.Strides)
	scale := anchorScale(o.MinScale, o.MaxScale, layer, n)
	if layer == 0 && o.ReduceBoxesInLowestLayer {
		return []float32{1, 2, 0.5}, []float32{0.1, scale, scale}
	}
	for _, r := range o.AspectRatios {
		ratios = append(ratios, r)
		scales = append(scales, scale)
	}
	if o.InterpolatedScaleAspectRatio > 0 {
		next := float32(1)
		if layer != n-1 {
			next = anchorScale(o.MinScale, o.MaxScale, layer+1, n)
		}
		scales = append(scales, float32(math.Sqrt(float64(scale*next))))
		ratios = append(ratios, o.InterpolatedScaleAspectRatio)
	}
	return ratios, scales
}

// anchorScale is CalculateScale: the layer's scale, linear from min to max over the layers
// (computed in double from float inputs, as the C++ expression promotes).
func anchorScale(minScale, maxScale float32, layer, layers int) float32 {
	if layers == 1 {
		return (minScale + maxScale) * 0.5
	}
	return float32(float64(minScale) + float64(maxScale-minScale)*float64(layer)/float64(float32(layers)-1))
}
