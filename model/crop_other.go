//go:build !amd64

package model

// bestKernel is the portable Go loop: crop_amd64.c is for amd64 only.
const bestKernel = kernelGo

// interiorSpans fills every span of dst from pix (stride bytes a row) with the Go loop.
func interiorSpans(_ cropKernel, dst []float32, pix []uint8, stride int, spans []span, dx, dy int64, lut *[256]float32, _, _ float32) {
	interiorSpansGo(dst, pix, stride, spans, dx, dy, lut)
}
