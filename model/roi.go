package model

import "math"

// ROI rectangles, normalized to the image, as MediaPipe's rect calculators build them: from points
// (DetectionsToRectsCalculator, LandmarksToDetectionCalculator, AlignmentPointsRectsCalculator),
// transformed (RectTransformationCalculator) and padded to a tensor's aspect ratio
// (ImageToTensorCalculator), in the float32 arithmetic of their C++. Whether a tracked ROI is
// kept from one frame to the next is roi_tracking.go's.

// NormalizeRadians wraps an angle into [-π, π), as DetectionsToRectsCalculator::NormalizeRadians
// (mediapipe/calculators/util/detections_to_rects_calculator.h).
func NormalizeRadians(a float64) float64 {
	return a - 2*math.Pi*math.Floor((a+math.Pi)/(2*math.Pi))
}

// AlignmentRect is AlignmentPointsRectsCalculator
// (mediapipe/calculators/util/alignment_points_to_rects_calculator.cc) with the rotation of
// DetectionsToRectsCalculator::ComputeRotation: a rectangle centred on center whose side is twice
// the distance from center to scalePoint, measured in pixels of an imgW x imgH image, so the
// rectangle is square in pixels and its normalized width and height differ on a non-square image.
// Its rotation turns the vector center→scalePoint to targetAngle (radians, counter-clockwise from
// +x with y up): with targetAngle π/2, a scale point straight above the centre gives rotation 0
// and one to its right gives +π/2. Points are normalized; arithmetic follows the float32 C++.
func AlignmentRect(center, scalePoint Point, imgW, imgH int, targetAngle float64) Rect {
	w, h := float32(imgW), float32(imgH)
	x0, y0 := center.X*w, center.Y*h
	x1, y1 := scalePoint.X*w, scalePoint.Y*h
	dx, dy := x1-x0, y1-y0
	side := float32(math.Sqrt(float64(float32(dx*dx)+float32(dy*dy)))) * 2
	angle := float32(targetAngle) - atan2f(-dy, dx)
	return Rect{
		XCenter:  x0 / w,
		YCenter:  y0 / h,
		Width:    side / w,
		Height:   side / h,
		Rotation: float32(NormalizeRadians(float64(angle))),
	}
}

// RectTransform is RectTransformationCalculatorOptions without the rotation options
// (mediapipe/calculators/util/rect_transformation_calculator.proto). A zero ScaleX or ScaleY
// means 1, the proto default.
type RectTransform struct {
	ScaleX, ScaleY float32 // multiply the (squared) width and height
	// ShiftX and ShiftY move the centre by these fractions of the rectangle's width and height,
	// along the rectangle's own (rotated) axes.
	ShiftX, ShiftY float32
	// SquareLong makes the rectangle square in pixels on its longer side, SquareShort on its
	// shorter side; SquareLong wins if both are set (MediaPipe rejects that combination).
	SquareLong, SquareShort bool
}

// Apply transforms a normalized rectangle of an imgW x imgH image as
// RectTransformationCalculator::TransformNormalizedRect: shift (using the size before squaring),
// then square in pixels, then scale. The rotation is unchanged.
func (t RectTransform) Apply(r Rect, imgW, imgH int) Rect {
	sx, sy := t.ScaleX, t.ScaleY
	if sx == 0 {
		sx = 1
	}
	if sy == 0 {
		sy = 1
	}
	iw, ih := float32(imgW), float32(imgH)
	w, h := r.Width, r.Height
	if r.Rotation == 0 {
		r.XCenter += float32(w * t.ShiftX)
		r.YCenter += float32(h * t.ShiftY)
	} else {
		c, s := cosf(r.Rotation), sinf(r.Rotation)
		ax := float32(iw * w * t.ShiftX) // pixel shift along the rect's x axis
		ay := float32(ih * h * t.ShiftY) // and along its y axis
		r.XCenter += (float32(ax*c) - float32(ay*s)) / iw
		r.YCenter += (float32(ax*s) + float32(ay*c)) / ih
	}
	switch {
	case t.SquareLong:
		long := max(float32(w*iw), float32(h*ih))
		w, h = long/iw, long/ih
	case t.SquareShort:
		short := min(float32(w*iw), float32(h*ih))
		w, h = short/iw, short/ih
	}
	r.Width, r.Height = w*sx, h*sy
	return r
}

// PadRect is ImageToTensorCalculator's region for a normalized rectangle r of an imgW x imgH
// image with keep_aspect_ratio set (mediapipe/calculators/tensor/image_to_tensor_utils.cc: GetRoi,
// PadRoi): r is widened or heightened, in pixels, to the tensorW x tensorH aspect ratio, and the
// padding that adds is returned as fractions of the tensor, the same on both sides. A rectangle
// that is square in pixels needs no padding for a square tensor. r's size must be positive.
func PadRect(r Rect, imgW, imgH, tensorW, tensorH int) (Rect, Padding) {
	iw, ih := float32(imgW), float32(imgH)
	width, height := r.Width*iw, r.Height*ih
	tensorAspect := float32(tensorH) / float32(tensorW)
	roiAspect := height / width
	var p Padding
	if tensorAspect > roiAspect {
		height = width * tensorAspect
		p.Top = (1 - roiAspect/tensorAspect) / 2
		p.Bottom = p.Top
	} else {
		width = height / tensorAspect
		p.Left = (1 - tensorAspect/roiAspect) / 2
		p.Right = p.Left
	}
	r.Width, r.Height = width/iw, height/ih
	return r, p
}

// LetterboxROI is the region ImageToTensorCalculator crops when it gets no rectangle and keeps
// the aspect ratio: the whole imgW x imgH image, centred and padded to the tensor's aspect ratio
// (pose_detection_cpu.pbtxt). For a 640x480 frame and a square tensor it is 640x640 pixels with
// 1/8 of the tensor padded at the top and the bottom.
func LetterboxROI(imgW, imgH, tensorW, tensorH int) (Rect, Padding) {
	return PadRect(Rect{XCenter: 0.5, YCenter: 0.5, Width: 1, Height: 1}, imgW, imgH, tensorW, tensorH)
}

// floatMin is C++'s std::numeric_limits<float>::min(), the smallest positive normal float32,
// which LandmarksToDetectionCalculator and HandLandmarksToRectCalculator start their running
// maximum from (so a maximum over all-negative values comes out as this tiny positive value).
const floatMin = 0x1p-126

// pointRotation is DetectionsToRectsCalculator::ComputeRotation
// (mediapipe/calculators/util/detections_to_rects_calculator.cc) on two normalized points of an
// imgW x imgH image: the angle that turns the vector p0→p1, in pixels, to targetAngle (radians,
// counter-clockwise from +x with y up), wrapped to [-π, π).
func pointRotation(p0, p1 Point, imgW, imgH int, targetAngle float32) float32 {
	w, h := float32(imgW), float32(imgH)
	x0, y0 := p0.X*w, p0.Y*h
	x1, y1 := p1.X*w, p1.Y*h
	angle := targetAngle - atan2f(-(y1-y0), x1-x0)
	return float32(NormalizeRadians(float64(angle)))
}

// LandmarksBoxRect is LandmarksToDetectionCalculator followed by DetectionsToRectsCalculator in
// its DEFAULT conversion mode (mediapipe/calculators/util/landmarks_to_detection_calculator.cc,
// detections_to_rects_calculator.cc: RectFromBox): the axis-aligned bounding box of the points,
// normalized, unrotated. Like MediaPipe, the running maximum starts at the smallest positive
// float, so if every x (or every y) is negative that maximum is wrong in the same way.
func LandmarksBoxRect(pts []Point) Rect {
	xmin, ymin, xmax, ymax := landmarkBounds(pts)
	w, h := xmax-xmin, ymax-ymin
	return Rect{XCenter: xmin + w/2, YCenter: ymin + h/2, Width: w, Height: h}
}

// landmarkBounds is the bounding box of pts with MediaPipe's landmark-box initialization: the
// minimum starts at the largest float, the maximum at floatMin.
func landmarkBounds(pts []Point) (xmin, ymin, xmax, ymax float32) {
	xmin, ymin = math.MaxFloat32, math.MaxFloat32
	xmax, ymax = floatMin, floatMin
	for _, p := range pts {
		xmin, xmax = min(xmin, p.X), max(xmax, p.X)
		ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
	}
	return xmin, ymin, xmax, ymax
}

// KeypointsRect is DetectionsToRectsCalculator's USE_KEYPOINTS conversion
// (detections_to_rects_calculator.cc: NormRectFromKeyPoints): the axis-aligned bounding box of a
// detection's keypoints rather than its box, normalized, unrotated.
func KeypointsRect(kps []Point) Rect {
	xmin, ymin := float32(math.MaxFloat32), float32(math.MaxFloat32)
	xmax, ymax := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	for _, p := range kps {
		xmin, xmax = min(xmin, p.X), max(xmax, p.X)
		ymin, ymax = min(ymin, p.Y), max(ymax, p.Y)
	}
	return Rect{XCenter: (xmin + xmax) / 2, YCenter: (ymin + ymax) / 2, Width: xmax - xmin, Height: ymax - ymin}
}

// cosSin are the float32 cosine and sine of an angle in radians, as std::cos and std::sin on
// a float (libm.go).
func cosSin(a float32) (c, s float32) {
	return cosf(a), sinf(a)
}

// rotate turns (x, y) by the angle whose cosine and sine are c and s, counter-clockwise in a
// y-up frame (clockwise on screen).
func rotate(x, y, c, s float32) (float32, float32) {
	return float32(x*c) - float32(y*s), float32(x*s) + float32(y*c)
}
