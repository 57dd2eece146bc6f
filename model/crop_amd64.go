package model

/*
#cgo CFLAGS: -O3
#cgo noescape crop_warp
#cgo nocallback crop_warp
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

// fill fills the tensW x tensH tensor dst from s through w and lut with kernel, in one cgo call;
// lut is valueMap's for scale and lo.
func fill(kernel cropKernel, s *sampler, dst []float32, w *warp, tensW, tensH int, lut *[256]float32, scale, lo float32) {
	if kernel == kernelGo {
		fillGo(s, dst, w, tensW, tensH, lut)
		return
	}
	// The AVX2 loop gathers with 32-bit offsets.
	avx2 := kernel == kernelAVX2 && len(s.pix) < math.MaxInt32
	C.crop_warp((*C.float)(unsafe.Pointer(&dst[0])), (*C.uint8_t)(unsafe.Pointer(&s.pix[0])),
		C.int64_t(s.w), C.int64_t(s.h), C.int(boolInt(s.border == BorderZero)), (*C.double)(unsafe.Pointer(&w.m[0])),
		C.int64_t(tensW), C.int64_t(tensH), C.int64_t(w.block), (*C.float)(unsafe.Pointer(&lut[0])), C.float(scale), C.float(lo), C.int(boolInt(avx2)))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
