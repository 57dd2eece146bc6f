//go:build !amd64

package model

// bestKernel is the portable Go code: crop_amd64.c is for amd64 only.
const bestKernel = kernelGo

// fill fills the tensor with the Go code.
func fill(_ cropKernel, s *sampler, dst []float32, w *warp, tensW, tensH int, lut *[256]float32, _, _ float32) {
	fillGo(s, dst, w, tensW, tensH, lut)
}
