package model

/*
#cgo CFLAGS: -O3
#cgo noescape crop_rows
#cgo nocallback crop_rows
#include "crop.h"
*/
import "C"

import (
	"math"
	"unsafe"
)

// bestKernel is the fastest kernel this CPU runs, decided once at start-up.
var bestKernel = func() cropKernel {
	if C.crop_have_avx2() != 0 {
		return kernelAVX2
	}
	return kernelC
}()

// fillRows fills rows of dst, n pixels each, from s with kernel, in one cgo call for all rows;
// lut is Crop's value map and scale and lo the numbers it was built from.
func fillRows(kernel cropKernel, s *sampler, dst []float32, rows []cropRow, n int, dx, dy int64, lut *[256]float32, scale, lo float32) {
	if len(rows) == 0 {
		return
	}
	if kernel == kernelGo {
		fillRowsGo(s, dst, rows, n, dx, dy, lut)
		return
	}
	// The AVX2 loop gathers with 32-bit offsets; crop.h's crop_row is cropRow's layout.
	avx2 := kernel == kernelAVX2 && len(s.pix) < math.MaxInt32
	C.crop_rows((*C.float)(unsafe.Pointer(&dst[0])), (*C.uint8_t)(unsafe.Pointer(&s.pix[0])),
		C.int64_t(s.w), C.int64_t(s.h), C.int(boolInt(s.border == BorderZero)),
		(*C.crop_row)(unsafe.Pointer(&rows[0])), C.int64_t(len(rows)), C.int64_t(n), C.int64_t(dx), C.int64_t(dy),
		(*C.float)(unsafe.Pointer(&lut[0])), C.float(scale), C.float(lo), C.int(boolInt(avx2)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
