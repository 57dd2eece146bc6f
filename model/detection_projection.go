package model

import "math"

// ProjectDetection maps a detection from the normalized coordinates of the crop of roi to the
// image's in place, as DetectionProjectionCalculator with the matrix of
// GetRotatedSubRectToRectTransformMatrix (mediapipe/calculators/util/detection_projection_calculator.cc,
// mediapipe/calculators/tensor/image_to_tensor_utils.cc): a point goes to
// (a·c·(x−½) − b·s·(y−½) + e)/W, (a·s·(x−½) + b·c·(y−½) + f)/H with a, b the ROI's size and e, f
// its centre in pixels; the box becomes the axis-aligned box of its four projected corners.
func ProjectDetection(d *Detection, roi Rect, imgW, imgH int) {
	w, h := float32(imgW), float32(imgH)
	a, b := roi.Width*w, roi.Height*h
	e, f := roi.XCenter*w, roi.YCenter*h
	c, s := cosSin(roi.Rotation)
	project := func(x, y float32) (float32, float32) {
		dx, dy := float32(a*(x-0.5)), float32(b*(y-0.5))
		return (float32(c*dx) - float32(s*dy) + e) / w, (float32(s*dx) + float32(c*dy) + f) / h
	}
	for i, k := range d.Keypoints {
		d.Keypoints[i].X, d.Keypoints[i].Y = project(k.X, k.Y)
	}
	xmin, ymin := float32(math.MaxFloat32), float32(math.MaxFloat32)
	xmax, ymax := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	for _, p := range [4][2]float32{{d.XMin, d.YMin}, {d.XMax, d.YMin}, {d.XMax, d.YMax}, {d.XMin, d.YMax}} {
		x, y := project(p[0], p[1])
		xmin, xmax = min(xmin, x), max(xmax, x)
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	d.XMin, d.YMin, d.XMax, d.YMax = xmin, ymin, xmax, ymax
}
