package model

import (
	"errors"
	"fmt"
	"math"
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
	// maxCoord keeps a scaled coordinate where OpenCV's int and short saturations cannot bite:
	// an integer part of ±32767 is far outside any image here and samples the border either way.
	maxCoord = 32767 * interScale
)

// Along a tensor row the source coordinate advances by a constant step, so rows are walked in
// fixed point: 1/32-pixel units with 40 more fractional bits, biased by half a unit so that the
// integer part is the coordinate rounded to the nearest 1/32 pixel. OpenCV rounds a double per
// pixel (cvRound, ties to even); the two differ only within 2^-40 of a tie, far below the
// rounding of OpenCV's own double matrix. |coordinate| < maxCoord keeps values below 2^60.
const (
	fixedBits = 40
	fixedOne  = 1 << fixedBits
	fixedHalf = fixedOne / 2
)

// Crop fills dst with the tensorW x tensorH RGB tensor (NHWC, float32) that MediaPipe's
// ImageToTensorCalculator makes on the CPU from the rotated region roi of img
// (mediapipe/calculators/tensor/image_to_tensor_converter_opencv.cc): cv::warpPerspective with
// INTER_LINEAR of the region's corners (cv::boxPoints) onto the tensor's, then convertTo the
// value range [lo, hi]. roi is normalized to img; its pixel size is (Width·W, Height·H), so pass
// a rectangle already padded to the tensor's aspect ratio (PadRect, LetterboxROI) when the
// aspect ratio must be kept.
//
// Tensor pixel (i, j) samples the source at c + R(θ)·((i/tensorW − ½)·w, (j/tensorH − ½)·h),
// pixel k of the source being centred at k, as OpenCV does it: the coordinate is rounded to
// 1/32 pixel, the four neighbours are blended with integer weights and the result rounded to
// uint8, then mapped to v·(hi−lo)/255 + lo. Outside the image, border decides the neighbours.
// Crop makes one pass over dst and allocates nothing; dst's previous contents do not matter.
// On amd64 the rows go through C (crop_amd64.c), the pixels whose neighbours are all inside the
// image with AVX2 where the CPU has it, bit for bit the same as the portable Go code.
func Crop(img Image, roi Rect, dst []float32, tensorW, tensorH int, lo, hi float32, border Border) error {
	return crop(img, roi, dst, tensorW, tensorH, lo, hi, border, bestKernel)
}

// crop is Crop with the interior runs filled by kernel.
func crop(img Image, roi Rect, dst []float32, tensorW, tensorH int, lo, hi float32, border Border, kernel cropKernel) error {
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
	m, err := cropMap(roi, img.Width, img.Height, tensorW, tensorH)
	if err != nil {
		return err
	}
	var lut [256]float32 // GetValueRangeTransformation from [0, 255]
	scale := (hi - lo) / 255
	for v := range lut {
		lut[v] = float32(float32(v)*scale) + lo
	}
	s := sampler{pix: img.Pix[:img.Width*img.Height*3], w: img.Width, h: img.Height, border: border}
	// The rows in fixed-point range are batched, so that the kernel is called once per crop.
	var batch [rowBatch]cropRow
	rows := batch[:0]
	dx, dy := toFixed(m.xi), toFixed(m.yi)
	for j := 0; j < tensorH; j++ {
		x0, y0 := m.x0+m.xj*float64(j), m.y0+m.yj*float64(j)
		x1, y1 := x0+m.xi*float64(tensorW-1), y0+m.yi*float64(tensorW-1)
		if inRange(x0) && inRange(y0) && inRange(x1) && inRange(y1) && inRange(m.xi) && inRange(m.yi) {
			// The row is affine, so it stays in range between its ends.
			rows = append(rows, s.split(toFixed(x0)+fixedHalf, dx, toFixed(y0)+fixedHalf, dy, j*tensorW, tensorW))
			if len(rows) == len(batch) {
				fillRows(kernel, &s, dst, rows, tensorW, dx, dy, &lut, scale, lo)
				rows = rows[:0]
			}
			continue
		}
		row := dst[j*tensorW*3 : (j+1)*tensorW*3]
		for i := 0; i < tensorW; i++ { // a region thousands of pixels off the image
			r, g, b := s.at(saturate(x0+m.xi*float64(i)), saturate(y0+m.yi*float64(i)))
			o := row[i*3 : i*3+3 : i*3+3]
			o[0], o[1], o[2] = lut[r], lut[g], lut[b]
		}
	}
	fillRows(kernel, &s, dst, rows, tensorW, dx, dy, &lut, scale, lo)
	return nil
}

// rowBatch is how many rows Crop hands the kernel at once.
const rowBatch = 256

// cropRow is one tensor row for a kernel (crop.h's crop_row): its n pixels are tensor pixels
// first to first+n-1, pixel k sampling fixed-point (ax + k·dx, ay + k·dy). Pixels k0 to k1-1
// have their 2x2 neighbourhood inside the image, the interior; those z0 to z1-1 touch the
// image, which with a replicated border is all of them; the rest are black.
type cropRow struct {
	ax, ay, first  int64
	k0, k1, z0, z1 int32
}

// cropKernel says what fills the rows.
type cropKernel int

const (
	kernelGo   cropKernel = iota // fillRowsGo, the portable reference
	kernelC                      // crop_amd64.c, scalar
	kernelAVX2                   // crop_amd64.c, the interior with AVX2, 8 pixels at a time
)

// fillRowsGo fills rows of dst, n pixels each: the interior through interior, the edges
// through at.
func fillRowsGo(s *sampler, dst []float32, rows []cropRow, n int, dx, dy int64, lut *[256]float32) {
	for _, r := range rows {
		row := dst[r.first*3 : (r.first+int64(n))*3]
		k0, k1, z0, z1 := int(r.k0), int(r.k1), int(r.z0), int(r.z1)
		for k := 0; k < k0; k++ {
			s.edge(row, k, r.ax+int64(k)*dx, r.ay+int64(k)*dy, k >= z0 && k < z1, lut)
		}
		interior(row[k0*3:k1*3], s.pix, s.w*3, r.ax+int64(k0)*dx, dx, r.ay+int64(k0)*dy, dy, lut)
		for k := k1; k < n; k++ {
			s.edge(row, k, r.ax+int64(k)*dx, r.ay+int64(k)*dy, k >= z0 && k < z1, lut)
		}
	}
}

// affine maps tensor pixel (i, j) to the source point (x0 + xi·i + xj·j, y0 + yi·i + yj·j),
// scaled by 32 (OpenCV's INTER_TAB_SIZE).
type affine struct{ x0, xi, xj, y0, yi, yj float64 }

// cropMap is the tensor-to-image map of the warp. Like ImageToTensorOpenCvConverter it builds the
// region's corners in float32 (GetRoi, cv::RotatedRect with the angle in degrees, boxPoints) and
// maps the top-left corner to tensor (0, 0), top-right to (tensorW, 0), bottom-left to
// (0, tensorH); OpenCV solves and inverts that as a perspective matrix, which for these points
// is this affine map up to rounding.
func cropMap(roi Rect, imgW, imgH, tensorW, tensorH int) (affine, error) {
	w, h := float32(imgW), float32(imgH)
	cx, cy := roi.XCenter*w, roi.YCenter*h
	rw, rh := roi.Width*w, roi.Height*h
	if !(rw > 0 && rh > 0) || !finite32(cx) || !finite32(cy) || !finite32(rw) || !finite32(rh) || !finite32(roi.Rotation) {
		return affine{}, fmt.Errorf("%w: centre (%g, %g) size %gx%g px rotation %g", ErrBadROI, cx, cy, rw, rh, roi.Rotation)
	}
	deg := float32(float64(roi.Rotation*180) / math.Pi)
	rad := float64(deg) * math.Pi / 180
	b := float32(math.Cos(rad)) * 0.5
	a := float32(math.Sin(rad)) * 0.5
	blx := cx - float32(a*rh) - float32(b*rw) // boxPoints order: bottom-left,
	bly := cy + float32(b*rh) - float32(a*rw)
	tlx := cx + float32(a*rh) - float32(b*rw) // top-left,
	tly := cy - float32(b*rh) - float32(a*rw)
	trx, try := 2*cx-blx, 2*cy-bly // top-right
	tw, th := float64(tensorW), float64(tensorH)
	return affine{
		x0: interScale * float64(tlx),
		xi: interScale * (float64(trx) - float64(tlx)) / tw,
		xj: interScale * (float64(blx) - float64(tlx)) / th,
		y0: interScale * float64(tly),
		yi: interScale * (float64(try) - float64(tly)) / tw,
		yj: interScale * (float64(bly) - float64(tly)) / th,
	}, nil
}

func toFixed(v float64) int64 { return int64(math.Round(v * fixedOne)) }

func inRange(v float64) bool { return v > -maxCoord && v < maxCoord }

// saturate rounds a coordinate in 1/32 pixels, saturated to where it still samples the border.
func saturate(v float64) int {
	if !(v > -maxCoord) { // NaN too; cropMap rejects non-finite regions, this is belt and braces
		return -maxCoord
	}
	if v > maxCoord {
		return maxCoord
	}
	return int(math.Floor(v + 0.5))
}

// sampler reads an RGB image with OpenCV's remapBilinear rules for uint8.
type sampler struct {
	pix    []uint8
	w, h   int
	border Border
}

// split finds the runs of the n-pixel tensor row that starts at tensor pixel first, pixel k
// sampling (ax + k·dx, ay + k·dy) >> fixedBits in 1/32 pixels, arithmetically: the pixels whose
// 2x2 neighbourhood lies inside the image form one run, and so do those that touch the image.
func (s *sampler) split(ax, dx, ay, dy int64, first, n int) cropRow {
	// Inside means 0 <= X < 32(w-1), that is 0 <= ix <= w-2, and the same for y. Coordinates
	// here are below maxCoord, so capping the bound there changes nothing and avoids overflow.
	x0, x1 := run(ax, dx, int64(min(interScale*(s.w-1), maxCoord))<<fixedBits, n)
	y0, y1 := run(ay, dy, int64(min(interScale*(s.h-1), maxCoord))<<fixedBits, n)
	k0, k1 := max(x0, y0), min(x1, y1)
	if k0 >= k1 {
		k0, k1 = n, n
	}
	// With a zero border, the pixels with no neighbour in the image, X < -32 or X >= 32w, are
	// black, lut[0], as at would say; the others form a run [z0, z1) around [k0, k1). Shifted by
	// 32, coordinates stay below maxCoord + 64, so that cap changes nothing either.
	z0, z1 := 0, n
	if s.border == BorderZero {
		const one = interScale << fixedBits
		zx0, zx1 := run(ax+one, dx, int64(min(interScale*(s.w+1), maxCoord+2*interScale))<<fixedBits, n)
		zy0, zy1 := run(ay+one, dy, int64(min(interScale*(s.h+1), maxCoord+2*interScale))<<fixedBits, n)
		z0, z1 = max(zx0, zy0), min(zx1, zy1)
	}
	return cropRow{ax: ax, ay: ay, first: int64(first), k0: int32(k0), k1: int32(k1), z0: int32(z0), z1: int32(z1)}
}

// edge samples tensor pixel k of row at the fixed-point coordinates (fx, fy) through at, or
// makes it black when it touches no pixel of the image (touches is then false).
func (s *sampler) edge(row []float32, k int, fx, fy int64, touches bool, lut *[256]float32) {
	o := row[k*3 : k*3+3 : k*3+3]
	if !touches {
		o[0], o[1], o[2] = lut[0], lut[0], lut[0]
		return
	}
	r, g, b := s.at(int(fx>>fixedBits), int(fy>>fixedBits))
	o[0], o[1], o[2] = lut[r], lut[g], lut[b]
}

// run returns the indices [k0, k1) within [0, n) for which 0 <= a + k·d < hi, an interval
// because the sequence is monotonic; (n, n) when there are none.
func run(a, d, hi int64, n int) (k0, k1 int) {
	lo, up := int64(0), int64(n)
	switch {
	case d > 0:
		lo = max(lo, ceilDiv(-a, d))   // a + k·d >= 0
		up = min(up, ceilDiv(hi-a, d)) // a + k·d < hi
	case d < 0:
		lo = max(lo, floorDiv(a-hi, -d)+1) // a + k·d < hi
		up = min(up, floorDiv(a, -d)+1)    // a + k·d >= 0
	case a < 0 || a >= hi:
		return n, n
	}
	if lo >= up {
		return n, n
	}
	return int(lo), int(up)
}

// floorDiv and ceilDiv divide by b > 0, rounding toward −∞ and +∞.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// interior fills row from samples whose 2x2 neighbourhoods all lie in the image, tensor pixel k
// at fixed-point (ax + k·dx, ay + k·dy). It is the portable kernel's hot loop and the reference
// for crop_amd64.c's, kept small so its values stay in registers.
func interior(row []float32, pix []uint8, stride int, ax, dx, ay, dy int64, lut *[256]float32) {
	for k := 0; k+3 <= len(row); k += 3 {
		x, y := int(ax>>fixedBits), int(ay>>fixedBits)
		ax += dx
		ay += dy
		fx, fy := x&interMask, y&interMask
		off := (y>>interBits)*stride + (x>>interBits)*3
		p := pix[off : off+6 : off+6]
		q := pix[off+stride : off+stride+6 : off+stride+6]
		o := row[k : k+3 : k+3]
		o[0] = lut[lerp2(p[0], p[3], q[0], q[3], fx, fy)]
		o[1] = lut[lerp2(p[1], p[4], q[1], q[4], fx, fy)]
		o[2] = lut[lerp2(p[2], p[5], q[2], q[5], fx, fy)]
	}
}

// lerp2 is blend with the weights of fractions fx and fy, factored: with top = 32·v00 +
// (v01−v00)·fx and bottom likewise, (32·top + (bottom−top)·fy + 512) >> 10 is the same integer
// as blend's four products.
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
