package model

// Sigmoid is 1/(1+e^-x) in float32, the SIGMOID activation of MediaPipe's tensor calculators,
// with the C library's expf as they call it (libm.go).
func Sigmoid(x float32) float32 {
	return 1 / (1 + expf(-x))
}

// DecodeLandmarks decodes a landmark model's flat output into len(dst) landmarks normalized to
// the model's input, as TensorsToLandmarksCalculator with visibility and presence activation
// SIGMOID and normalize_z 1 (mediapipe/calculators/tensor/tensors_to_landmarks_calculator.cc).
// raw holds len(raw)/len(dst) values per landmark, in order x, y, z, visibility logit, presence
// logit (pose: 5); x and z are divided by inputW, y by inputH. Values past the per-landmark count
// are left zero.
func DecodeLandmarks(raw []float32, inputW, inputH float32, dst []Landmark) {
	if len(dst) == 0 {
		return
	}
	dims := len(raw) / len(dst)
	for i := range dst {
		v := raw[i*dims : (i+1)*dims]
		var lm Landmark
		if dims > 0 {
			lm.X = v[0] / inputW
		}
		if dims > 1 {
			lm.Y = v[1] / inputH
		}
		if dims > 2 {
			lm.Z = v[2] / inputW
		}
		if dims > 3 {
			lm.Visibility = Sigmoid(v[3])
		}
		if dims > 4 {
			lm.Presence = Sigmoid(v[4])
		}
		dst[i] = lm
	}
}

// RefineFromHeatmap moves landmarks (normalized to the model's input) to the confidence-weighted
// centre of their heatmap near them, as RefineLandmarksFromHeatMap
// (mediapipe/calculators/util/refine_landmarks_from_heatmap_calculator.cc) without presence or
// visibility refinement. hm is an hmH x hmW x channels heatmap of logits (HWC, channel k for
// landmark k); MediaPipe requires len(lms) == channels, extra landmarks are left alone here.
//
// The centre cell is (int)(x·hmW), (int)(y·hmH), truncated toward zero, and a landmark whose
// centre falls outside the map is kept. The window is kernelSize cells wide, centred there and
// clipped to the map; confidences are sigmoids of the logits. If the largest confidence is at
// least minConfidence, x becomes Σcol·conf/Σconf/hmW and y Σrow·conf/Σconf/hmH: no half-cell
// offset. Only x and y change.
func RefineFromHeatmap(lms []Landmark, hm []float32, hmW, hmH, channels, kernelSize int, minConfidence float32) {
	if hmW <= 0 || hmH <= 0 || channels <= 0 || len(hm) < hmW*hmH*channels {
		return
	}
	off := (kernelSize - 1) / 2
	for k := range lms[:min(len(lms), channels)] {
		col, ok := heatmapCell(lms[k].X, hmW)
		if !ok {
			continue
		}
		row, ok := heatmapCell(lms[k].Y, hmH)
		if !ok {
			continue
		}
		var sum, wcol, wrow, best float32
		for r := max(0, row-off); r < min(hmH, row+off+1); r++ {
			for c := max(0, col-off); c < min(hmW, col+off+1); c++ {
				conf := Sigmoid(hm[(r*hmW+c)*channels+k])
				sum += conf
				if best < conf { // std::max, which ignores a NaN second argument
					best = conf
				}
				wcol += float32(float32(c) * conf)
				wrow += float32(float32(r) * conf)
			}
		}
		if best >= minConfidence && sum > 0 {
			lms[k].X = wcol / float32(hmW) / sum
			lms[k].Y = wrow / float32(hmH) / sum
		}
	}
}

// heatmapCell is C++'s `int c = v * size` (truncation toward zero) with the range check that
// follows it; NaN and values that would not fit an int are outside.
func heatmapCell(v float32, size int) (int, bool) {
	p := v * float32(size)
	if !(p > -1 && p < float32(size)) {
		return 0, false
	}
	return int(p), true
}

// ProjectLandmarks maps landmarks from ROI-normalized to image-normalized coordinates in place, as
// LandmarkProjectionCalculator with a NORM_RECT (mediapipe/calculators/util/landmark_projection_calculator.cc):
// the offset from the ROI centre is rotated by the ROI's rotation and scaled by its normalized
// size; z is scaled by its normalized width. It inverts Crop's mapping for the same ROI.
func ProjectLandmarks(lms []Landmark, roi Rect) {
	c, s := cosf(roi.Rotation), sinf(roi.Rotation)
	for i := range lms {
		lm := &lms[i]
		x, y := lm.X-0.5, lm.Y-0.5
		nx := float32(c*x) - float32(s*y)
		ny := float32(s*x) + float32(c*y)
		lm.X = float32(nx*roi.Width) + roi.XCenter
		lm.Y = float32(ny*roi.Height) + roi.YCenter
		lm.Z *= roi.Width
	}
}

// RemoveLandmarkLetterbox maps landmarks from a letterboxed tensor's normalized coordinates to
// the unpadded region's in place, as LandmarkLetterboxRemovalCalculator
// (mediapipe/calculators/util/landmark_letterbox_removal_calculator.cc); z scales like x.
func RemoveLandmarkLetterbox(lms []Landmark, p Padding) {
	sx, sy := 1-(p.Left+p.Right), 1-(p.Top+p.Bottom)
	for i := range lms {
		lm := &lms[i]
		lm.X = (lm.X - p.Left) / sx
		lm.Y = (lm.Y - p.Top) / sy
		lm.Z /= sx
	}
}

// removeCropPadding is the LandmarkLetterboxRemovalCalculator after a landmark model whose
// ImageToTensorCalculator keeps the aspect ratio (pose, hand recrop, hand): Crop padded the
// size x size tensor's region, roi in pixels, to a square, and the landmarks are mapped back out
// of that padding. A region that is square in pixels is padded by nothing, but one whose width
// and height in float32 pixels differ by an ulp is padded by a few 1e-8, which moves x or y (and
// z) by an ulp: enough to set tracking apart from MediaPipe's frames later.
func removeCropPadding(lms []Landmark, roi Rect, imgW, imgH, size int) {
	if _, pad := PadRect(roi, imgW, imgH, size, size); pad != (Padding{}) {
		RemoveLandmarkLetterbox(lms, pad)
	}
}

// ProjectWorldLandmarks decodes len(dst) world landmarks from raw (x, y, z in metres, 3 values
// each) and rotates x and y by the ROI's rotation, as TensorsToLandmarksCalculator then
// WorldLandmarkProjectionCalculator (mediapipe/calculators/util/world_landmark_projection_calculator.cc).
// z is unchanged and so is each Visibility, which the caller copies from the image landmarks.
func ProjectWorldLandmarks(raw []float32, roi Rect, dst []WorldLandmark) {
	c, s := cosf(roi.Rotation), sinf(roi.Rotation)
	for i := range dst {
		v := raw[i*3 : i*3+3 : i*3+3]
		dst[i].X = float32(c*v[0]) - float32(s*v[1])
		dst[i].Y = float32(s*v[0]) + float32(c*v[1])
		dst[i].Z = v[2]
	}
}
