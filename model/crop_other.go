//go:build !amd64

package model

// bestKernel is the portable Go code: crop_amd64.c is for amd64 only.
const bestKernel = kernelGo

// fillRows fills rows of dst, n pixels each, with the Go code.
func fillRows(_ cropKernel, s *sampler, dst []float32, rows []cropRow, n int, dx, dy int64, lut *[256]float32, _, _ float32) {
	fillRowsGo(s, dst, rows, n, dx, dy, lut)
}
