package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/holostream/holostream/pixels"
)

// testImage returns a w x h image whose pixel (x, y) is f(x, y).
func testImage(w, h int, f func(x, y int) [3]uint8) pixels.Image {
	img := pixels.Image{Pix: make([]uint8, w*h*3), Width: w, Height: h}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := f(x, y)
			copy(img.Pix[(y*w+x)*3:], p[:])
		}
	}
	return img
}

func randomImage(w, h int, seed uint64) pixels.Image {
	r := rand.New(rand.NewPCG(seed, 1))
	return testImage(w, h, func(int, int) [3]uint8 {
		return [3]uint8{uint8(r.UintN(256)), uint8(r.UintN(256)), uint8(r.UintN(256))}
	})
}

// pixelAt returns the tensor pixel (i, j) of a tw-wide RGB tensor.
func pixelAt(t []float32, tw, i, j int) [3]float32 {
	o := (j*tw + i) * 3
	return [3]float32{t[o], t[o+1], t[o+2]}
}

func imagePixel(img pixels.Image, x, y int) [3]float32 {
	o := (y*img.Width + x) * 3
	return [3]float32{float32(img.Pix[o]), float32(img.Pix[o+1]), float32(img.Pix[o+2])}
}

func TestCropIdentity(t *testing.T) {
	t.Parallel()
	img := randomImage(5, 3, 1)
	dst := make([]float32, 5*3*3)
	for _, border := range []Border{BorderReplicate, BorderZero} {
		// The whole image onto a tensor of its size: tensor pixel i samples source pixel i.
		if err := Crop(img, Rect{0.5, 0.5, 1, 1, 0}, dst, 5, 3, 0, 255, border); err != nil {
			t.Fatal(err)
		}
		for k, v := range img.Pix {
			if dst[k] != float32(v) {
				t.Fatalf("border %d: value %d = %g, want %d", border, k, dst[k], v)
			}
		}
	}
}

func TestCropRotated(t *testing.T) {
	t.Parallel()
	img := randomImage(4, 4, 2)
	dst := make([]float32, 4*4*3)
	// Rotation +π/2 turns the crop's up toward image +x: tensor (i, j) samples image (3-j, i).
	// Centre (1, 2) px makes that mapping land on whole pixels.
	if err := Crop(img, Rect{0.25, 0.5, 1, 1, math.Pi / 2}, dst, 4, 4, 0, 255, BorderReplicate); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 4; j++ {
		for i := 0; i < 4; i++ {
			if got, want := pixelAt(dst, 4, i, j), imagePixel(img, 3-j, i); got != want {
				t.Errorf("tensor (%d,%d) = %v, want image (%d,%d) = %v", i, j, got, 3-j, i, want)
			}
		}
	}
}

func TestCropBorders(t *testing.T) {
	t.Parallel()
	img := testImage(2, 2, func(x, y int) [3]uint8 { return [3]uint8{uint8(10 + x), uint8(20 + y), 255} })
	// A 4x4 px region centred on the 2x2 image: tensor (i, j) samples (i-1, j-1).
	roi := Rect{0.5, 0.5, 2, 2, 0}
	dst := make([]float32, 4*4*3)
	tests := []struct {
		border Border
		lo, hi float32
		want   func(x, y int) [3]float32
	}{
		{BorderReplicate, 0, 255, func(x, y int) [3]float32 {
			return imagePixel(img, min(max(x, 0), 1), min(max(y, 0), 1))
		}},
		{BorderZero, 0, 255, func(x, y int) [3]float32 {
			if x < 0 || x > 1 || y < 0 || y > 1 {
				return [3]float32{}
			}
			return imagePixel(img, x, y)
		}},
		// The detector's range: black padding becomes -1, 255 becomes 1.
		{BorderZero, -1, 1, func(x, y int) [3]float32 {
			if x < 0 || x > 1 || y < 0 || y > 1 {
				return [3]float32{-1, -1, -1}
			}
			p := imagePixel(img, x, y)
			return [3]float32{p[0]*(2.0/255) - 1, p[1]*(2.0/255) - 1, 1}
		}},
	}
	for n, tt := range tests {
		if err := Crop(img, roi, dst, 4, 4, tt.lo, tt.hi, tt.border); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 4; j++ {
			for i := 0; i < 4; i++ {
				got, want := pixelAt(dst, 4, i, j), tt.want(i-1, j-1)
				for c := range got {
					if !approx(float64(got[c]), float64(want[c]), 1e-6) {
						t.Errorf("%d: tensor (%d,%d) = %v, want %v", n, i, j, got, want)
						break
					}
				}
			}
		}
	}
}

func TestCropBilinear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  pixels.Image
		roi  Rect // onto a 1x1 tensor: samples the region's top-left corner
		want float32
	}{
		// The middle of four pixels: (0+10+20+32)/4 = 15.5, rounded half up as OpenCV does.
		{"centre", testImage(2, 2, func(x, y int) [3]uint8 { return [3]uint8{uint8(10*x + 20*y + 2*x*y)} }),
			Rect{0.5, 0.5, 0.5, 0.5, 0}, 16},
		// x = 33/128 px between 0 and 128: exact bilinear gives 33, but OpenCV first rounds the
		// coordinate to 1/32 px (8/32), giving 32.
		{"1/32 px quantization", testImage(2, 2, func(x, y int) [3]uint8 { return [3]uint8{uint8(128 * x)} }),
			Rect{0.37890625, 0.25, 0.5, 0.5, 0}, 32},
		// Half a pixel left of the image with a zero border: half of pixel 0.
		{"zero edge", testImage(2, 2, func(x, y int) [3]uint8 { return [3]uint8{100} }),
			Rect{0, 0.25, 0.5, 0.5, 0}, 50},
	}
	for i, tt := range tests {
		dst := make([]float32, 3)
		if err := Crop(tt.img, tt.roi, dst, 1, 1, 0, 255, BorderZero); err != nil {
			t.Fatal(err)
		}
		if dst[0] != tt.want {
			t.Errorf("%d %s: got %g, want %g", i, tt.name, dst[0], tt.want)
		}
	}
}

func TestCropErrors(t *testing.T) {
	t.Parallel()
	img := randomImage(4, 4, 3)
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	good := Rect{0.5, 0.5, 1, 1, 0}
	tests := []struct {
		name   string
		img    pixels.Image
		roi    Rect
		n      int
		tw, th int
		lo, hi float32
		badROI bool
	}{
		{"zero width", img, Rect{0.5, 0.5, 0, 1, 0}, 48, 4, 4, 0, 1, true},
		{"negative height", img, Rect{0.5, 0.5, 1, -1, 0}, 48, 4, 4, 0, 1, true},
		{"NaN size", img, Rect{0.5, 0.5, nan, 1, 0}, 48, 4, 4, 0, 1, true},
		{"NaN centre", img, Rect{nan, 0.5, 1, 1, 0}, 48, 4, 4, 0, 1, true},
		{"infinite rotation", img, Rect{0.5, 0.5, 1, 1, inf}, 48, 4, 4, 0, 1, true},
		{"infinite size", img, Rect{0.5, 0.5, inf, 1, 0}, 48, 4, 4, 0, 1, true},
		{"dst too short", img, good, 47, 4, 4, 0, 1, false},
		{"dst too long", img, good, 49, 4, 4, 0, 1, false},
		{"zero tensor", img, good, 0, 0, 4, 0, 1, false},
		{"short image", pixels.Image{Pix: img.Pix[:47], Width: 4, Height: 4}, good, 48, 4, 4, 0, 1, false},
		{"empty image", pixels.Image{}, good, 48, 4, 4, 0, 1, false},
		{"empty range", img, good, 48, 4, 4, 1, 1, false},
	}
	for i, tt := range tests {
		err := Crop(tt.img, tt.roi, make([]float32, tt.n), tt.tw, tt.th, tt.lo, tt.hi, BorderReplicate)
		if err == nil {
			t.Errorf("%d %s: no error", i, tt.name)
			continue
		}
		if errors.Is(err, ErrBadROI) != tt.badROI {
			t.Errorf("%d %s: %v, want ErrBadROI %v", i, tt.name, err, tt.badROI)
		}
	}
}

// FuzzCrop checks that Crop never panics, whatever the region and sizes, that a crop it
// accepts holds only values in [lo, hi], and that they are referenceCrop's bit for bit.
func FuzzCrop(f *testing.F) {
	f.Add(uint8(7), uint8(5), float32(0.5), float32(0.5), float32(1), float32(1), float32(0), uint8(4), uint8(4), false)
	f.Add(uint8(1), uint8(1), float32(-3), float32(9), float32(20), float32(0.01), float32(-2.5), uint8(9), uint8(2), true)
	f.Add(uint8(16), uint8(9), float32(0.2), float32(0.7), float32(1e9), float32(1e9), float32(1e3), uint8(3), uint8(3), false)
	f.Fuzz(func(t *testing.T, w, h uint8, cx, cy, rw, rh, rot float32, tw, th uint8, zero bool) {
		img := randomImage(int(w), int(h), uint64(w)*256+uint64(h))
		border := BorderReplicate
		if zero {
			border = BorderZero
		}
		dst := make([]float32, int(tw)*int(th)*3)
		err := Crop(img, Rect{cx, cy, rw, rh, rot}, dst, int(tw), int(th), -1, 1, border)
		if err != nil {
			return
		}
		for k, v := range dst {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("value %d = %g outside [-1, 1]", k, v)
			}
		}
		ref := make([]float32, len(dst))
		if err := referenceCrop(img, Rect{cx, cy, rw, rh, rot}, ref, int(tw), int(th), -1, 1, border); err != nil {
			t.Fatal(err)
		}
		if k := sameBits(dst, ref); k >= 0 {
			t.Fatalf("value %d = %g, reference %g", k, dst[k], ref[k])
		}
	})
}

func BenchmarkCrop(b *testing.B) {
	img := randomImage(640, 480, 4)
	rotated := Rect{XCenter: 0.45, YCenter: 0.55, Width: 300.0 / 640, Height: 300.0 / 480, Rotation: 0.3}
	letterbox, _ := LetterboxROI(640, 480, 224, 224)
	// Holistic's crops: a hand (hand_landmark) and a face (face_landmark, and its detector's
	// zero-bordered crop), smaller regions scaled up.
	hand := Rect{XCenter: 0.3, YCenter: 0.4, Width: 120.0 / 640, Height: 120.0 / 480, Rotation: 1.1}
	face := Rect{XCenter: 0.6, YCenter: 0.3, Width: 150.0 / 640, Height: 150.0 / 480, Rotation: -0.2}
	tests := []struct {
		name   string
		roi    Rect
		size   int
		lo     float32
		border Border
	}{
		{"rotated256", rotated, 256, 0, BorderReplicate},
		{"letterbox224", letterbox, 224, -1, BorderZero},
		{"hand224", hand, 224, 0, BorderReplicate},
		{"face192", face, 192, 0, BorderReplicate},
		{"face128zero", face, 128, -1, BorderZero},
		// A region that crosses the image's corner: a third of it samples the replicated border.
		{"corner256", Rect{XCenter: 0.9, YCenter: 0.1, Width: 300.0 / 640, Height: 300.0 / 480, Rotation: 0.5}, 256, 0, BorderReplicate},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			dst := make([]float32, tt.size*tt.size*3)
			b.ReportAllocs()
			for b.Loop() {
				if err := Crop(img, tt.roi, dst, tt.size, tt.size, tt.lo, 1, tt.border); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// kernels returns the kernels this machine runs: the Go reference first.
func kernels() []cropKernel {
	ks := []cropKernel{kernelGo}
	if bestKernel != kernelGo {
		ks = append(ks, kernelC)
	}
	if bestKernel == kernelAVX2 {
		ks = append(ks, kernelAVX2)
	}
	return ks
}

// sameBits reports the first value where a and b differ in any bit, or -1.
func sameBits(a, b []float32) int {
	for k := range a {
		if math.Float32bits(a[k]) != math.Float32bits(b[k]) {
			return k
		}
	}
	return -1
}

// referenceCrop is Crop through the portable Go code, pixel by pixel: what every kernel must
// reproduce bit for bit.
func referenceCrop(img pixels.Image, roi Rect, dst []float32, tw, th int, lo, hi float32, border Border) error {
	return crop(img, roi, dst, tw, th, lo, hi, border, true, kernelGo)
}

// TestCropKernels requires every kernel to give referenceCrop's values bit for bit: random
// regions (rotated, scaled up and down, partly or wholly outside the image, the whole image 1:1)
// onto the tensor sizes the models use and odd ones, both borders, random value ranges.
func TestCropKernels(t *testing.T) {
	t.Parallel()
	ks := kernels()
	if len(ks) == 1 {
		t.Log("only the Go kernel on this machine")
	}
	r := rand.New(rand.NewPCG(10, 11))
	imgs := []pixels.Image{randomImage(640, 480, 12), randomImage(37, 23, 13), randomImage(2, 2, 14),
		randomImage(1, 1, 15), randomImage(301, 7, 16), randomImage(5, 400, 17)}
	sizes := []int{1, 2, 7, 8, 9, 15, 16, 17, 24, 128, 192, 224, 256}
	ranges := [][2]float32{{0, 1}, {-1, 1}, {0, 255}}
	ref, got := []float32{}, []float32{}
	for n := 0; n < 3000; n++ {
		img := imgs[n%len(imgs)]
		roi := Rect{
			XCenter:  float32(r.Float64()*1.6 - 0.3),
			YCenter:  float32(r.Float64()*1.6 - 0.3),
			Width:    float32(math.Exp(r.Float64()*5 - 4)),
			Height:   float32(math.Exp(r.Float64()*5 - 4)),
			Rotation: float32(r.Float64()*8 - 4),
		}
		tw, th := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
		switch n % 7 {
		case 0:
			roi.Rotation = 0
		case 1:
			tw, th = 1+r.IntN(300), 1+r.IntN(300)
		case 2: // the whole image 1:1: every source value lands on the tensor unblended
			roi, tw, th = Rect{0.5, 0.5, 1, 1, 0}, img.Width, img.Height
		}
		lo, hi := ranges[n%len(ranges)][0], ranges[n%len(ranges)][1]
		if n%4 == 3 {
			lo = float32(r.NormFloat64() * 10)
			hi = lo + float32(math.Exp(r.NormFloat64()*3))
		}
		border := Border(n % 2)
		ref, got = make([]float32, tw*th*3), make([]float32, tw*th*3)
		if err := referenceCrop(img, roi, ref, tw, th, lo, hi, border); err != nil {
			t.Fatal(err)
		}
		for _, k := range ks[1:] {
			for i := range got {
				got[i] = float32(math.NaN())
			}
			if err := crop(img, roi, got, tw, th, lo, hi, border, true, k); err != nil {
				t.Fatal(err)
			}
			if i := sameBits(got, ref); i >= 0 {
				t.Fatalf("%d: kernel %d, image %dx%d, roi %+v onto %dx%d, [%g, %g], border %d: value %d (tensor (%d,%d) channel %d) = %g (%#x), reference %g (%#x)",
					n, k, img.Width, img.Height, roi, tw, th, lo, hi, border, i, i/3%tw, i/3/tw, i%3,
					got[i], math.Float32bits(got[i]), ref[i], math.Float32bits(ref[i]))
			}
		}
	}
}

// TestCropKernelsEveryValue crops every 8-bit value, unblended, into value ranges whose
// multiply or add rounds.
func TestCropKernelsEveryValue(t *testing.T) {
	t.Parallel()
	img := testImage(17, 16, func(x, y int) [3]uint8 {
		v := uint8(y*16 + x)
		return [3]uint8{v, 255 - v, v ^ 0x5a}
	})
	r := rand.New(rand.NewPCG(18, 19))
	ref, got := make([]float32, 17*16*3), make([]float32, 17*16*3)
	for n := 0; n < 2000; n++ {
		lo := float32(r.NormFloat64() * math.Exp(r.NormFloat64()*4))
		hi := lo + float32(math.Exp(r.NormFloat64()*4))
		if !(lo < hi) {
			continue
		}
		roi := Rect{0.5, 0.5, 1, 1, 0}
		if err := crop(img, roi, ref, 17, 16, lo, hi, BorderReplicate, true, kernelGo); err != nil {
			t.Fatal(err)
		}
		for _, k := range kernels()[1:] {
			if err := crop(img, roi, got, 17, 16, lo, hi, BorderReplicate, true, k); err != nil {
				t.Fatal(err)
			}
			if i := sameBits(got, ref); i >= 0 {
				t.Fatalf("kernel %d, [%g, %g]: value %d = %g, Go kernel %g", k, lo, hi, i, got[i], ref[i])
			}
		}
	}
}
