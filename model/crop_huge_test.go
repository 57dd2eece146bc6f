package model

import (
	"math"
	"testing"

	"github.com/holostream/holostream/pixels"
)

// TestCropPastTwoGiB: the AVX2 kernel gathers with 32-bit offsets, so an image of 2 GiB of pixels
// or more goes to the scalar C loop instead (fill); both must give the reference crop's bits
// at the far end of such an image, where the offsets pass 2^31. The image is 32768x22000 (2.16
// GB, allocated lazily: only the corner the crops read is written).
func TestCropPastTwoGiB(t *testing.T) {
	const W, H = 32768, 22000
	if 3*W*H < math.MaxInt32 {
		t.Fatal("the image must pass 2^31 bytes")
	}
	img := pixels.Image{Pix: make([]uint8, 3*W*H), Width: W, Height: H}
	const corner = 700
	for y := H - corner; y < H; y++ {
		row := img.Pix[3*(y*W+W-corner) : 3*(y*W+W)]
		for i := range row {
			row[i] = uint8((i*7 + y*13) ^ (i >> 3))
		}
	}
	ref, got := make([]float32, 256*256*3), make([]float32, 256*256*3)
	for i, roi := range []Rect{
		{XCenter: 1 - 300.0/W, YCenter: 1 - 300.0/H, Width: 400.0 / W, Height: 400.0 / H, Rotation: 0.4},
		{XCenter: 1 - 100.0/W, YCenter: 1 - 150.0/H, Width: 500.0 / W, Height: 500.0 / H, Rotation: -2.1}, // past the edge
		{XCenter: 1 - 250.0/W, YCenter: 1 - 250.0/H, Width: 256.0 / W, Height: 256.0 / H},
	} {
		border := Border(i % 2)
		if err := referenceCrop(img, roi, ref, 256, 256, 0, 1, border); err != nil {
			t.Fatal(err)
		}
		for _, k := range kernels()[1:] {
			if err := crop(img, roi, got, 256, 256, 0, 1, border, true, k); err != nil {
				t.Fatal(err)
			}
			if j := sameBits(got, ref); j >= 0 {
				t.Errorf("roi %d, kernel %d: value %d = %g, reference %g", i, k, j, got[j], ref[j])
			}
		}
	}
}
