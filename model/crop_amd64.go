package model

/*
#cgo CFLAGS: -O3
#cgo noescape crop_spans
#cgo nocallback crop_spans
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

// interiorSpans fills every span of dst from pix (stride bytes a row) with kernel; lut is
// Crop's value map and scale and lo the numbers it was built from. One cgo call for all spans.
func interiorSpans(kernel cropKernel, dst []float32, pix []uint8, stride int, spans []span, dx, dy int64, lut *[256]float32, scale, lo float32) {
	if len(spans) == 0 {
		return
	}
	if kernel == kernelGo {
		interiorSpansGo(dst, pix, stride, spans, dx, dy, lut)
		return
	}
	// The AVX2 loop gathers with 32-bit offsets; crop.h's crop_span is span's layout.
	avx2 := kernel == kernelAVX2 && len(pix) < math.MaxInt32
	C.crop_spans((*C.float)(unsafe.Pointer(&dst[0])), (*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int64_t(stride),
		(*C.crop_span)(unsafe.Pointer(&spans[0])), C.int64_t(len(spans)), C.int64_t(dx), C.int64_t(dy),
		(*C.float)(unsafe.Pointer(&lut[0])), C.float(scale), C.float(lo), C.int(boolInt(avx2)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
