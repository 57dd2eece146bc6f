package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/holostream/holostream/pixels"
)

// Border says what a crop samples outside the image.
type Border int

const (
	// BorderReplicate repeats the nearest edge pixel (cv::BORDER_REPLICATE), MediaPipe's default
	// and the landmark model's crop.
	BorderReplicate Border = iota
	// BorderZero samples black (cv::BORDER_CONSTANT with 0), the detector's letterbox, which
	// becomes the low end of the value range.
	BorderZero
)

// ErrBadROI is returned by Crop for a region whose size is not positive or not finite, which
// MediaPipe's ImageToTensorCalculator rejects too.
var ErrBadROI = errors.New("model: degenerate region of interest")

// OpenCV's fixed-point bilinear sampling (imgproc/src/imgwarp.cpp, warpPerspective and
// remapBilinear): source coordinates are rounded to 1/32 pixel (INTER_BITS = 5) and the four
// weights are products of those fractions; OpenCV scales them to 15 bits, which on uint8 comes
// to exactly (sum + 2^9) >> 10 with 10-bit weights.
const (
	interBits  = 5
	interScale = 1 << interBits // 32 sub-pixel positions
	interMask  = interScale - 1
	// maxCoord bounds a coordinate in 1/32 pixels, as OpenCV saturates the integer part to a
	// short: ±32767 pixels is far outside any image here and samples the border either way.
	maxCoord = 32767 * interScale
)

// Crop fills dst with the tensorW x tensorH RGB tensor (NHWC, float32) that MediaPipe's
// ImageToTensorCalculator makes on the CPU, with keep_aspect_ratio, from the rotated region roi
// of img (mediapipe/calculators/tensor/image_to_tensor_converter_opencv.cc), value for value:
// the region in pixels (GetRoi), widened or heightened to the tensor's aspect ratio (PadRoi),
// its corners (cv::RotatedRect::points) mapped onto the tensor's by cv::getPerspectiveTransform
// and cv::warpPerspective with INTER_LINEAR, then convertTo the value range [lo, hi]. roi is
// normalized to img; Rect{0.5, 0.5, 1, 1, 0} is the whole image, letterboxed (LetterboxROI gives
// the padding). See warpMatrix and warpCoords for the arithmetic.
//
// Tensor pixel (i, j) samples the source at about c + R(θ)·((i/tensorW − ½)·w, (j/tensorH − ½)·h),
// pixel k of the source being centred at k: the coordinate is rounded to 1/32 pixel, the four
// neighbours are blended with integer weights and the result rounded to uint8, then mapped to
// v·(hi−lo)/255 + lo with one rounding. Outside the image, border decides the neighbours.
// Crop makes one pass over dst and allocates nothing; dst's previous contents do not matter.
// On amd64 it runs in C (crop_amd64.c), 8 pixels at a time with AVX2 where the CPU has it, bit
// for bit the same as the portable Go code.
func Crop(img pixels.Image, roi Rect, dst []float32, tensorW, tensorH int, lo, hi float32, border Border) error {
	return crop(img, roi, dst, tensorW, tensorH, lo, hi, border, true, bestKernel)
}

// CropStretched is Crop without keep_aspect_ratio: the region is stretched onto the tensor
// as it is (face_landmark's ImageToTensorCalculator).
func CropStretched(img pixels.Image, roi Rect, dst []float32, tensorW, tensorH int, lo, hi float32, border Border) error {
	return crop(img, roi, dst, tensorW, tensorH, lo, hi, border, false, bestKernel)
}

// crop is Crop filled by kernel, with or without keep_aspect_ratio.
func crop(img pixels.Image, roi Rect, dst []float32, tensorW, tensorH int, lo, hi float32, border Border, keepAspect bool, kernel cropKernel) error {
	if tensorW <= 0 || tensorH <= 0 {
		return fmt.Errorf("model: crop: tensor size %dx%d", tensorW, tensorH)
	}
	if len(dst) != tensorW*tensorH*3 {
		return fmt.Errorf("model: crop: dst has %d values, a %dx%dx3 tensor needs %d", len(dst), tensorW, tensorH, tensorW*tensorH*3)
	}
	if img.Width <= 0 || img.Height <= 0 || len(img.Pix) < img.Width*img.Height*3 {
		return fmt.Errorf("model: crop: image %dx%d with %d bytes of RGB", img.Width, img.Height, len(img.Pix))
	}
	if !(lo < hi) {
		return fmt.Errorf("model: crop: value range [%g, %g]", lo, hi)
	}
	m, err := warpMatrix(roi, img.Width, img.Height, tensorW, tensorH, keepAspect)
	if err != nil {
		return err
	}
	var lut [256]float32
	scale := valueMap(&lut, lo, hi)
	s := sampler{pix: img.Pix[:img.Width*img.Height*3], w: img.Width, h: img.Height, border: border}
	fill(kernel, &s, dst, &m, tensorW, tensorH, &lut, scale, lo)
	return nil
}

// valueMap fills lut with GetValueRangeTransformation's map of [0, 255] onto [lo, hi] as
// OpenCV's convertTo applies it: scale = (hi−lo)/255 in float32, then v·scale + lo rounded once
// to float32 (its SIMD loop is a fused multiply-add): MediaPipe's detector input, [-1, 1], has
// 59% of its values one ulp away from two roundings' (v·scale, then + lo). It returns scale.
func valueMap(lut *[256]float32, lo, hi float32) float32 {
	scale := (hi - lo) / 255
	for v := range lut {
		lut[v] = fmaf(float32(v), scale, lo)
	}
	return scale
}

// fmaf is a·b + c rounded once to float32, as C's fmaf. The product of two float32 values is
// exact in float64; the sum, rounded to float64 by round-to-odd, then rounds correctly to
// float32 (a float64 has more than twice float32's precision plus two bits).
func fmaf(a, b, c float32) float32 {
	p, q := float64(a)*float64(b), float64(c)
	s := p + q
	// TwoSum: the exact error of s. Explicit conversions keep the compiler from fusing.
	bv := float64(s - p)
	err := float64(p-float64(s-bv)) + float64(q-bv)
	if bits := math.Float64bits(s); err != 0 && bits&1 == 0 && !math.IsInf(s, 0) {
		// Round to odd: move s one ulp toward the exact sum.
		if (err > 0) == (s > 0) {
			s = math.Float64frombits(bits + 1)
		} else {
			s = math.Float64frombits(bits - 1)
		}
	}
	return float32(s)
}

// warp is the tensor-to-image map of cv::warpPerspective: m is the inverse of the matrix that
// getPerspectiveTransform makes from the region's corners, and block the width of the column
// blocks whose first column anchors OpenCV's evaluation (warpCoords).
type warp struct {
	m     [9]float64
	block int
}

// warpMatrix is ImageToTensorOpenCvConverter's matrix for roi, as MediaPipe computes it. In
// float32: the region in pixels (GetRoi: centre and size times the image's size), padded to the
// tensor's aspect ratio when keepAspect (PadRoi), the angle in degrees, and the corners of
// cv::RotatedRect::points (cos and sin of the angle in double, then halved in float32),
// bottom-left, top-left, top-right, bottom-right, mapped to the tensor's (0, H), (0, 0), (W, 0),
// (W, H). Then getPerspectiveTransform's 8x8 system (its products of two float32 values rounded
// to float32) solved by LU decomposition with partial pivoting in float64, and the 3x3 result
// inverted by its adjugate, as warpPerspective does. The four float32 corners are not quite a
// parallelogram, so the map is not quite affine: an affine map through three of them put 7 of
// the astronaut's 65536 landmark-crop pixels a few levels off MediaPipe's.
func warpMatrix(roi Rect, imgW, imgH, tensorW, tensorH int, keepAspect bool) (warp, error) {
	w, h := float32(imgW), float32(imgH)
	cx, cy := roi.XCenter*w, roi.YCenter*h
	rw, rh := roi.Width*w, roi.Height*h
	if !(rw > 0 && rh > 0) || !finite32(cx) || !finite32(cy) || !finite32(rw) || !finite32(rh) || !finite32(roi.Rotation) {
		return warp{}, fmt.Errorf("%w: centre (%g, %g) size %gx%g px rotation %g", ErrBadROI, cx, cy, rw, rh, roi.Rotation)
	}
	if keepAspect {
		tensorAspect := float32(tensorH) / float32(tensorW)
		if tensorAspect > rh/rw {
			rh = rw * tensorAspect
		} else {
			rw = rh / tensorAspect
		}
	}
	deg := float32(float64(roi.Rotation*180) / math.Pi)
	rad := float64(deg) * math.Pi / 180
	b := float32(cos(rad)) * 0.5
	a := float32(sin(rad)) * 0.5
	var src [4][2]float32
	src[0] = [2]float32{cx - float32(a*rh) - float32(b*rw), cy + float32(b*rh) - float32(a*rw)}
	src[1] = [2]float32{cx + float32(a*rh) - float32(b*rw), cy - float32(b*rh) - float32(a*rw)}
	src[2] = [2]float32{2*cx - src[0][0], 2*cy - src[0][1]}
	src[3] = [2]float32{2*cx - src[1][0], 2*cy - src[1][1]}
	tw, th := float32(tensorW), float32(tensorH)
	dst := [4][2]float32{{0, th}, {0, 0}, {tw, 0}, {tw, th}}
	var sys [8][8]float64
	var rhs [8]float64
	for i := range src {
		sx, sy, dx, dy := src[i][0], src[i][1], dst[i][0], dst[i][1]
		sys[i] = [8]float64{float64(sx), float64(sy), 1, 0, 0, 0, float64(-sx * dx), float64(-sy * dx)}
		sys[i+4] = [8]float64{0, 0, 0, float64(sx), float64(sy), 1, float64(-sx * dy), float64(-sy * dy)}
		rhs[i], rhs[i+4] = float64(dx), float64(dy)
	}
	if !luSolve(&sys, &rhs) {
		return warp{}, fmt.Errorf("%w: its corners map to no perspective", ErrBadROI)
	}
	m, ok := invert3([9]float64{rhs[0], rhs[1], rhs[2], rhs[3], rhs[4], rhs[5], rhs[6], rhs[7], 1})
	if !ok {
		return warp{}, fmt.Errorf("%w: its perspective is singular", ErrBadROI)
	}
	// WarpPerspectiveInvoker's blocks: 16 rows (fewer if the tensor has fewer), and as many
	// columns as make 1024 pixels.
	return warp{m: m, block: min(1024/min(16, tensorH), tensorW)}, nil
}

// luSolve solves a·x = b in place (x in b) as OpenCV's LU decomposition (hal::LU64f, which
// cv::solve's DECOMP_LU calls): partial pivoting on the first largest magnitude, the pivot's
// reciprocal negated for elimination, and back substitution dividing by the pivot, as the
// OpenCV in MediaPipe's wheel does (newer OpenCV multiplies by the kept reciprocal, which put one
// crop pixel in a hundred a level off MediaPipe's: scripts/mediapipe/stages.py crop). It
// reports false for a singular system (a pivot below DBL_EPSILON·100, OpenCV's eps).
func luSolve(a *[8][8]float64, b *[8]float64) bool {
	const n = 8
	for i := 0; i < n; i++ {
		k := i
		for j := i + 1; j < n; j++ {
			if math.Abs(a[j][i]) > math.Abs(a[k][i]) {
				k = j
			}
		}
		if math.Abs(a[k][i]) < 100*2.220446049250313e-16 {
			return false
		}
		if k != i {
			a[i], a[k] = a[k], a[i]
			b[i], b[k] = b[k], b[i]
		}
		d := -1 / a[i][i]
		for j := i + 1; j < n; j++ {
			alpha := float64(a[j][i] * d)
			for c := i + 1; c < n; c++ {
				a[j][c] += float64(alpha * a[i][c])
			}
			b[j] += float64(alpha * b[i])
		}
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for c := i + 1; c < n; c++ {
			s -= float64(a[i][c] * b[c])
		}
		b[i] = s / a[i][i]
	}
	return true
}

// invert3 is cv::invert of a 3x3 matrix with DECOMP_LU: the adjugate times the reciprocal of the
// determinant, each term in the order OpenCV writes it.
func invert3(s [9]float64) ([9]float64, bool) {
	p := func(a, b, c, d int) float64 { return float64(s[a]*s[b]) - float64(s[c]*s[d]) }
	det := float64(float64(s[0]*p(4, 8, 5, 7))-float64(s[1]*p(3, 8, 5, 6))) + float64(s[2]*p(3, 7, 4, 6))
	if det == 0 {
		return s, false
	}
	d := 1 / det
	return [9]float64{
		p(4, 8, 5, 7) * d, p(2, 7, 1, 8) * d, p(1, 5, 2, 4) * d,
		p(5, 6, 3, 8) * d, p(0, 8, 2, 6) * d, p(2, 3, 0, 5) * d,
		p(3, 7, 4, 6) * d, p(1, 6, 0, 7) * d, p(0, 4, 1, 3) * d,
	}, true
}

// warpCoords fills xs and ys with the source coordinates, in 1/32 pixels, of the n tensor
// pixels of row j from column x0 on, which must lie in one block, as WarpPerspectiveInvoker
// computes them: per block, X0 = m0·x + m1·j + m2 (and Y0, W0) at its first column x; per
// pixel x1 columns on, W = 32/(W0 + m6·x1), X = (X0 + m0·x1)·W clamped to the int range and
// rounded to nearest even (cvRound); then bounded by maxCoord. crop_amd64.c's warp_coords is
// the same in C.
func (w *warp) coords(j, x0, n int, xs, ys []int32) {
	m := &w.m
	bx := x0 - x0%w.block
	fb, fj := float64(bx), float64(j)
	X0 := float64(float64(m[0]*fb)+float64(m[1]*fj)) + m[2]
	Y0 := float64(float64(m[3]*fb)+float64(m[4]*fj)) + m[5]
	W0 := float64(float64(m[6]*fb)+float64(m[7]*fj)) + m[8]
	for k := 0; k < n; k++ {
		x1 := float64(x0 - bx + k)
		W := W0 + float64(m[6]*x1)
		if W != 0 {
			W = interScale / W
		}
		xs[k] = roundCoord(float64(X0+float64(m[0]*x1)) * W)
		ys[k] = roundCoord(float64(Y0+float64(m[3]*x1)) * W)
	}
}

// roundCoord is OpenCV's std::max(INT_MIN, std::min(INT_MAX, v)) then cvRound (a NaN becomes
// INT_MAX), bounded by maxCoord.
func roundCoord(v float64) int32 {
	if !(v < math.MaxInt32) {
		v = math.MaxInt32
	}
	if !(math.MinInt32 < v) {
		v = math.MinInt32
	}
	return int32(min(max(math.RoundToEven(v), -maxCoord), maxCoord))
}

// cropKernel says what fills the tensor.
type cropKernel int

const (
	kernelGo   cropKernel = iota // fillGo, the portable reference
	kernelC                      // crop_amd64.c, scalar
	kernelAVX2                   // crop_amd64.c, 8 pixels at a time with AVX2
)

// fillGo fills the tensW x tensH tensor dst pixel by pixel: warp's coordinates, sampled by s,
// mapped through lut.
func fillGo(s *sampler, dst []float32, w *warp, tensW, tensH int, lut *[256]float32) {
	var xs, ys [1024]int32 // a block is at most 1024 pixels
	for j := 0; j < tensH; j++ {
		for x0 := 0; x0 < tensW; x0 += w.block {
			n := min(w.block, tensW-x0)
			w.coords(j, x0, n, xs[:n], ys[:n])
			row := dst[(j*tensW+x0)*3 : (j*tensW+x0+n)*3]
			for k := 0; k < n; k++ {
				r, g, b := s.at(int(xs[k]), int(ys[k]))
				o := row[k*3 : k*3+3 : k*3+3]
				o[0], o[1], o[2] = lut[r], lut[g], lut[b]
			}
		}
	}
}

// sampler reads an RGB image with OpenCV's remapBilinear rules for uint8.
type sampler struct {
	pix    []uint8
	w, h   int
	border Border
}

// lerp2 is the bilinear blend of four neighbours with the weights of fractions fx and fy in
// 1/32, factored: with top = 32·v00 + (v01−v00)·fx and bottom likewise,
// (32·top + (bottom−top)·fy + 512) >> 10 is the same integer as OpenCV's four products.
func lerp2(v00, v01, v10, v11 uint8, fx, fy int) uint8 {
	top := int(v00)<<interBits + (int(v01)-int(v00))*fx
	bot := int(v10)<<interBits + (int(v11)-int(v10))*fx
	return uint8((top<<interBits + (bot-top)*fy + 512) >> 10)
}

// at returns the bilinear sample at (x, y) in 1/32 pixels, wherever it falls.
func (s *sampler) at(x, y int) (r, g, b uint8) {
	ix, iy := x>>interBits, y>>interBits
	fx, fy := x&interMask, y&interMask
	if uint(ix) < uint(s.w-1) && uint(iy) < uint(s.h-1) {
		o := (iy*s.w + ix) * 3
		p := s.pix[o : o+6 : o+6]
		q := s.pix[o+s.w*3 : o+s.w*3+6 : o+s.w*3+6]
		r = lerp2(p[0], p[3], q[0], q[3], fx, fy)
		g = lerp2(p[1], p[4], q[1], q[4], fx, fy)
		b = lerp2(p[2], p[5], q[2], q[5], fx, fy)
		return r, g, b
	}
	if s.border == BorderZero && (ix >= s.w || ix+1 < 0 || iy >= s.h || iy+1 < 0) {
		return 0, 0, 0 // no neighbour in the image: the border value itself
	}
	var p [4][3]uint8 // neighbours (ix,iy), (ix+1,iy), (ix,iy+1), (ix+1,iy+1)
	for k := range p {
		x, y := ix+k&1, iy+k>>1
		if s.border == BorderReplicate {
			x, y = min(max(x, 0), s.w-1), min(max(y, 0), s.h-1)
		} else if uint(x) >= uint(s.w) || uint(y) >= uint(s.h) {
			continue // zero
		}
		o := (y*s.w + x) * 3
		p[k] = [3]uint8{s.pix[o], s.pix[o+1], s.pix[o+2]}
	}
	r = lerp2(p[0][0], p[1][0], p[2][0], p[3][0], fx, fy)
	g = lerp2(p[0][1], p[1][1], p[2][1], p[3][1], fx, fy)
	b = lerp2(p[0][2], p[1][2], p[2][2], p[3][2], fx, fy)
	return r, g, b
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
