package gateway

import (
	"bytes"
	"image"
	"image/color/palette"
	"image/png"
	"runtime"
	"testing"

	"github.com/holostream/holostream/pixels"
)

// TestDecodeCostBoundsWhatDecodingAllocates: for real photos and PNGs of every depth, the cost
// read from the header is at least what pixels.DecodeImage allocates (so the memory budget holds),
// and not so far above it that the budget would refuse for nothing. Not parallel: it reads the
// process's allocation counter.
func TestDecodeCostBoundsWhatDecodingAllocates(t *testing.T) {
	encode := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	r := image.Rect(0, 0, 640, 480)
	for i, tc := range []struct {
		name string
		data []byte
	}{
		{"messi5.jpg", photo(t, "messi5.jpg")},
		{"fruits.jpg", photo(t, "fruits.jpg")},
		{"basketball1.png", photo(t, "basketball1.png")},
		{"astronaut.png", photo(t, "astronaut.png")},
		{"gray png", encode(image.NewGray(r))},
		{"16-bit gray png", encode(image.NewGray16(r))},
		{"16-bit rgba png", encode(image.NewNRGBA64(r))},
		{"paletted png", encode(image.NewPaletted(r, palette.Plan9))},
		{"rgba png", encode(withAlpha(image.NewNRGBA(r)))},
		{"huge rgb png", hugePNG(t, 2000, 1500)},
	} {
		h, ok := readImageHeader(tc.data)
		if !ok {
			t.Errorf("%d %s: header not read", i, tc.name)
			continue
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, _, err := pixels.DecodeImage(tc.data, 0)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Errorf("%d %s: %v", i, tc.name, err)
			continue
		}
		if img.Width != h.width || img.Height != h.height {
			t.Errorf("%d %s: header says %dx%d, decoded %dx%d", i, tc.name, h.width, h.height, img.Width, img.Height)
		}
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		if h.cost() < alloc || h.cost() > 5*alloc/2+1<<20 {
			t.Errorf("%d %s: cost %d, decoding allocated %d", i, tc.name, h.cost(), alloc)
		}
	}
}

// withAlpha fills img with a translucent pattern, so PNG stores it as RGBA.
func withAlpha(img *image.NRGBA) *image.NRGBA {
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(i), byte(i>>8), 7, 200
	}
	return img
}

// TestReadJPEGHeader: the frame header is found past the EXIF and other segments, as libjpeg
// finds it; cut short before it, there is none.
func TestReadJPEGHeader(t *testing.T) {
	t.Parallel()
	jpg := photo(t, "messi5.jpg")
	cfg, _, err := image.DecodeConfig(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	h, ok := readImageHeader(jpg)
	if !ok || h.width != cfg.Width || h.height != cfg.Height || h.format != "jpeg" {
		t.Errorf("messi5.jpg: %+v %v, want %dx%d", h, ok, cfg.Width, cfg.Height)
	}
	for i, data := range [][]byte{jpg[:40], jpg[:2], {0xff, 0xd8, 0xff, 0xd9}} {
		if h, ok := readImageHeader(data); ok {
			t.Errorf("%d: %d bytes: header %+v read, want none", i, len(data), h)
		}
	}
}
