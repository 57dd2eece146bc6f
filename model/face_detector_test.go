package model

import "testing"

func TestFaceDetectorAnchors(t *testing.T) {
	t.Parallel()
	a := GenerateAnchors(FaceDetectorAnchors())
	if len(a) != faceDetectorBoxes {
		t.Fatalf("%d anchors, want %d", len(a), faceDetectorBoxes)
	}
	// Stride 8: a 16x16 grid, 2 anchors a cell; stride 16: 8x8, 6 a cell.
	checks := []struct {
		i    int
		want Anchor
	}{
		{0, Anchor{0.5 / 16, 0.5 / 16, 1, 1}}, {1, Anchor{0.5 / 16, 0.5 / 16, 1, 1}},
		{2, Anchor{1.5 / 16, 0.5 / 16, 1, 1}}, {511, Anchor{15.5 / 16, 15.5 / 16, 1, 1}},
		{512, Anchor{0.5 / 8, 0.5 / 8, 1, 1}}, {517, Anchor{0.5 / 8, 0.5 / 8, 1, 1}},
		{518, Anchor{1.5 / 8, 0.5 / 8, 1, 1}}, {895, Anchor{7.5 / 8, 7.5 / 8, 1, 1}},
	}
	for _, c := range checks {
		if a[c.i] != c.want {
			t.Errorf("anchor %d: %+v, want %+v", c.i, a[c.i], c.want)
		}
	}
}
