package model

import (
	"math"
	"testing"
)

// cellCentre is where an anchor of cell (x, y) of an fw x fh feature map sits, computed as
// ssd_anchors_calculator.cc does, in float32.
func cellCentre(x, y, fw, fh int) (float32, float32) {
	return (float32(x) + 0.5) / float32(fw), (float32(y) + 0.5) / float32(fh)
}

func TestPoseDetectorAnchors(t *testing.T) {
	t.Parallel()
	anchors := GenerateAnchors(PoseDetectorAnchors())
	if len(anchors) != 2254 {
		t.Fatalf("got %d anchors, want 2254", len(anchors))
	}
	// Stride 8: 28x28 cells x 2 anchors from index 0; stride 16: 14x14 x 2 from 1568;
	// stride 32 (three layers merged): 7x7 x 6 from 1960.
	tests := []struct {
		index, x, y, fm int
	}{
		{0, 0, 0, 28}, {1, 0, 0, 28}, {2, 1, 0, 28}, {56, 0, 1, 28}, {1566, 27, 27, 28}, {1567, 27, 27, 28},
		{1568, 0, 0, 14}, {1569, 0, 0, 14}, {1568 + 2*(3*14+5), 5, 3, 14}, {1959, 13, 13, 14},
		{1960, 0, 0, 7}, {1965, 0, 0, 7}, {1966, 1, 0, 7}, {2253, 6, 6, 7},
	}
	for i, tt := range tests {
		wx, wy := cellCentre(tt.x, tt.y, tt.fm, tt.fm)
		if got, want := anchors[tt.index], (Anchor{X: wx, Y: wy, W: 1, H: 1}); got != want {
			t.Errorf("%d: anchor %d = %+v, want %+v", i, tt.index, got, want)
		}
	}
}

func TestFaceShortRangeAnchors(t *testing.T) {
	t.Parallel()
	// face_detection_short_range.pbtxt: 128x128, strides 8, 16, 16, 16.
	o := PoseDetectorAnchors()
	o.NumLayers, o.InputWidth, o.InputHeight, o.Strides = 4, 128, 128, []int{8, 16, 16, 16}
	anchors := GenerateAnchors(o)
	if len(anchors) != 896 {
		t.Fatalf("got %d anchors, want 896", len(anchors))
	}
	wx, wy := cellCentre(7, 7, 8, 8)
	if got, want := anchors[512+6*(7*8+7)+5], (Anchor{X: wx, Y: wy, W: 1, H: 1}); got != want {
		t.Errorf("last anchor %+v, want %+v", got, want)
	}
}

func TestAnchorShapes(t *testing.T) {
	t.Parallel()
	// The classic SSD MobileNet's 1917 anchors (the example of ssd_anchors_calculator.cc), which
	// the SSD person detector uses (object_detection_oid_v4_cpu.pbtxt).
	o := SSDPersonAnchors()
	anchors := GenerateAnchors(o)
	if len(anchors) != 19*19*3+(10*10+5*5+3*3+2*2+1)*6 {
		t.Fatalf("got %d anchors, want 1917", len(anchors))
	}
	r2 := math.Sqrt2
	layer1 := 19 * 19 * 3
	last := len(anchors) - 6
	tests := []struct {
		index int
		w, h  float64
	}{
		{0, 0.1, 0.1},              // reduced lowest layer: scale 0.1, ratio 1
		{1, 0.2 * r2, 0.2 / r2},    // ratio 2 at min_scale
		{2, 0.2 / r2, 0.2 * r2},    // ratio 0.5
		{layer1, 0.35, 0.35},       // layer 1: 0.2 + 0.75/5
		{layer1 + 5, 0.4183300, 0}, // interpolated: sqrt(0.35 * 0.5), ratio 1
		{last + 5, 0.9746794, 0},   // last layer: sqrt(0.95 * 1)
		{last + 3, 0.95 * 1.7320508, 0.95 / 1.7320508},
	}
	for i, tt := range tests {
		a := anchors[tt.index]
		h := tt.h
		if h == 0 {
			h = tt.w
		}
		if math.Abs(float64(a.W)-tt.w) > 1e-5 || math.Abs(float64(a.H)-h) > 1e-5 {
			t.Errorf("%d: anchor %d is %gx%g, want %gx%g", i, tt.index, a.W, a.H, tt.w, h)
		}
	}
	if a := anchors[len(anchors)-1]; a.X != 0.5 || a.Y != 0.5 {
		t.Errorf("1x1 feature map anchor at (%g, %g), want the centre", a.X, a.Y)
	}
}

func TestGenerateAnchorsRejectsBadOptions(t *testing.T) {
	t.Parallel()
	bad := []AnchorOptions{
		{NumLayers: 2, Strides: []int{8}, InputWidth: 8, InputHeight: 8, AspectRatios: []float32{1}},
		{NumLayers: 1, Strides: []int{0}, InputWidth: 8, InputHeight: 8, AspectRatios: []float32{1}},
	}
	for i, o := range bad {
		if got := GenerateAnchors(o); got != nil {
			t.Errorf("%d: got %d anchors, want nil", i, len(got))
		}
	}
}
