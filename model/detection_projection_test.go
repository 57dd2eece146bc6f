package model

import (
	"math"
	"testing"
)

func TestProjectDetection(t *testing.T) {
	t.Parallel()
	// A 200 px ROI centred at (300, 200), turned a quarter turn: the crop's x axis points down
	// the image and its y axis to the left.
	roi := pxRect(300, 200, 200, 200, math.Pi/2)
	d := Detection{XMin: 0.5, YMin: 0.25, XMax: 0.75, YMax: 0.5, Keypoints: []Point{{0.5, 0.5}, {0.75, 0.25}}}
	ProjectDetection(&d, roi, imgW, imgH)
	// Crop (0.75, 0.25) is 50 px along x and -50 px along y from the centre: image (350, 250).
	wantKps := []Point{px(300, 200), px(350, 250)}
	for i, k := range d.Keypoints {
		if !approx(float64(k.X), float64(wantKps[i].X), 1e-6) || !approx(float64(k.Y), float64(wantKps[i].Y), 1e-6) {
			t.Errorf("keypoint %d: %+v, want %+v", i, k, wantKps[i])
		}
	}
	// The box's corners go to x 300..350, y 200..250.
	want := Detection{XMin: 300.0 / imgW, YMin: 200.0 / imgH, XMax: 350.0 / imgW, YMax: 250.0 / imgH}
	if !approx(float64(d.XMin), float64(want.XMin), 1e-6) || !approx(float64(d.XMax), float64(want.XMax), 1e-6) ||
		!approx(float64(d.YMin), float64(want.YMin), 1e-6) || !approx(float64(d.YMax), float64(want.YMax), 1e-6) {
		t.Errorf("box %+v, want %+v", d, want)
	}
	// For a pixel-square ROI it agrees with LandmarkProjectionCalculator.
	lms := []Landmark{{X: 0.75, Y: 0.25}}
	ProjectLandmarks(lms, roi)
	if !approx(float64(lms[0].X), float64(d.Keypoints[1].X), 1e-6) || !approx(float64(lms[0].Y), float64(d.Keypoints[1].Y), 1e-6) {
		t.Errorf("ProjectLandmarks %+v, ProjectDetection %+v", lms[0], d.Keypoints[1])
	}
}
