package model

import (
	"math"
	"testing"
)

// TestROITracking checks RoiTrackingCalculator's keep/replace decision against hand-worked
// cases: the re-crop rectangle C is 200 px square at (320, 240) unless stated.
func TestROITracking(t *testing.T) {
	t.Parallel()
	c := pxRect(320, 240, 200, 200, 0)
	// Previous landmarks comfortably inside C shrunk by the margin.
	inside := []Point{px(300, 220), px(340, 260), px(320, 240)}
	deg := math.Pi / 180
	tests := []struct {
		name   string
		track  ROITracking
		prev   Rect
		lms    []Point
		recrop Rect
		keep   bool
	}{
		{"same", HandROITracking(), c, inside, c, true},
		{"no previous landmarks", HandROITracking(), c, nil, c, false},
		{"rotated 39°", HandROITracking(), pxRect(320, 240, 200, 200, 39*deg), inside, c, true},
		{"rotated 41°", HandROITracking(), pxRect(320, 240, 200, 200, 41*deg), inside, c, false},
		{"face rotated 14°", FaceROITracking(), pxRect(320, 240, 200, 200, 14*deg), inside, c, true},
		{"face rotated 16°", FaceROITracking(), pxRect(320, 240, 200, 200, 16*deg), inside, c, false},
		// 170° and -170° are 20° apart across the wrap.
		{"across ±180°", HandROITracking(), pxRect(320, 240, 200, 200, 170*deg), inside, pxRect(320, 240, 200, 200, -170*deg), true},
		// Translation limit 0.2·200 = 40 px (hand), 0.1·200 = 20 px (face).
		{"moved 38 px", HandROITracking(), pxRect(358, 240, 200, 200, 0), inside, c, true},
		{"moved 42 px", HandROITracking(), pxRect(362, 240, 200, 200, 0), inside, c, false},
		{"face moved 19 px down", FaceROITracking(), pxRect(320, 259, 200, 200, 0), inside, c, true},
		{"face moved 21 px down", FaceROITracking(), pxRect(320, 261, 200, 200, 0), inside, c, false},
		// Translation is measured along C's own axes: C is 200 x 100 px and turned a quarter turn,
		// so a 30 px move along the image's x is along C's height (limit 20 px), not its width.
		{"along C's axes", HandROITracking(), pxRect(350, 240, 200, 100, math.Pi/2), inside, pxRect(320, 240, 200, 100, math.Pi/2), false},
		{"along C's axes, unturned", HandROITracking(), pxRect(350, 240, 200, 100, 0), inside, pxRect(320, 240, 200, 100, 0), true},
		// Scale limit 0.4·200 = 80 px (hand), 0.3·200 = 60 px (face).
		{"grown 78 px", HandROITracking(), pxRect(320, 240, 278, 278, 0), inside, c, true},
		{"grown 82 px", HandROITracking(), pxRect(320, 240, 282, 282, 0), inside, c, false},
		{"face shrunk 58 px", FaceROITracking(), pxRect(320, 240, 142, 142, 0), inside, c, true},
		{"face shrunk 62 px", FaceROITracking(), pxRect(320, 240, 138, 138, 0), inside, c, false},
		// Containment: C shrunk by the margin is ±90 px (hand) or ±80 px (face) about its centre,
		// and a landmark must lie strictly inside.
		{"landmark at 89 px", HandROITracking(), c, append([]Point{px(409, 240)}, inside...), c, true},
		{"landmark at 91 px", HandROITracking(), c, append([]Point{px(411, 240)}, inside...), c, false},
		{"landmark on the edge", HandROITracking(), c, []Point{px(320, 150)}, c, false},
		{"face landmark at 85 px", FaceROITracking(), c, []Point{px(320, 325)}, c, false},
		// The containment box turns with C: 120 px right of the centre is outside an upright 200
		// px square but inside one turned 45°, where it is 85 px along either axis (limit 90).
		{"corner of upright C", HandROITracking(), c, []Point{px(440, 240)}, c, false},
		{"corner of turned C", HandROITracking(), pxRect(320, 240, 200, 200, 45*deg), []Point{px(440, 240)}, pxRect(320, 240, 200, 200, 45*deg), true},
	}
	for i, tt := range tests {
		roi, kept := tt.track.Choose(tt.prev, tt.lms, tt.recrop, imgW, imgH)
		want := tt.recrop
		if tt.keep {
			want = tt.prev
		}
		if kept != tt.keep || roi != want {
			t.Errorf("%d %s: kept %v (%+v), want %v", i, tt.name, kept, roi, tt.keep)
		}
	}
}
