package pixels

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
)

// TestDecodeWebPMatchesOpenCV checks each WebP of testdata/webp (lossy at three qualities, one of
// odd size, and lossless; made from the photos by scripts/mediapipe/webp_golden.py) decodes to
// exactly the RGB bytes of OpenCV's imdecode (libwebp), whose sha256 webp.json holds.
func TestDecodeWebPMatchesOpenCV(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/webp/webp.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Digests map[string]string `json:"rgb_sha256"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Digests) < 4 {
		t.Fatalf("only %d digests", len(golden.Digests))
	}
	for path, want := range golden.Digests {
		raw, err := os.ReadFile("../" + path)
		if err != nil {
			t.Fatal(err)
		}
		img, format, err := DecodeImage(raw, 0)
		if err != nil || format != "webp" {
			t.Fatalf("%s: %s %v, want webp", path, format, err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(img.Pix)); got != want {
			t.Errorf("%s: RGB differs from OpenCV's imdecode", path)
		}
	}
}

// webpHeader is a WebP extended-format header (VP8X) declaring w x h, with no image after it.
func webpHeader(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	for _, v := range []int{w - 1, h - 1} {
		b = append(b, byte(v), byte(v>>8), byte(v>>16))
	}
	n := len(b) - 8
	b[4], b[5], b[6], b[7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return b
}

func TestDecodeWebPRejectsBadInput(t *testing.T) {
	t.Parallel()
	lossy, err := os.ReadFile("../testdata/webp/messi5.q90.webp")
	if err != nil {
		t.Fatal(err)
	}
	lossless, err := os.ReadFile("../testdata/webp/astronaut.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		max  float64
		want error
	}{
		{"bomb header", webpHeader(16384, 16384), 0, ErrImageTooLarge},
		{"over a small limit", lossy, 0.1, ErrImageTooLarge},
		{"lossless over a small limit", lossless, 0.1, ErrImageTooLarge},
		{"truncated lossy", lossy[:len(lossy)/2], 0, ErrCorruptImage},
		{"truncated lossless", lossless[:len(lossless)/2], 0, ErrCorruptImage},
		{"header only", lossy[:30], 0, ErrCorruptImage},
		{"small canvas over a huge lossless bitstream", canvasOver(webpHeader(1, 1), vp8lHeader(16384, 16384)), 0, ErrImageTooLarge},
		{"canvas and bitstream disagree", canvasOver(webpHeader(8, 8), vp8lHeader(16, 16)), 0, ErrCorruptImage},
	}
	for _, tc := range tests {
		_, format, err := DecodeImage(tc.data, tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %s %v, want %v", tc.name, format, err, tc.want)
		}
	}
}

// vp8lHeader is the start of a VP8L chunk declaring w x h.
func vp8lHeader(w, h int) []byte {
	b := uint32(w-1) | uint32(h-1)<<14
	return []byte{'V', 'P', '8', 'L', 5, 0, 0, 0, 0x2f, byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24), 0}
}

// canvasOver appends a chunk after a VP8X header and fixes the RIFF size.
func canvasOver(vp8x, chunk []byte) []byte {
	b := append(append([]byte(nil), vp8x...), chunk...)
	n := len(b) - 8
	b[4], b[5], b[6], b[7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return b
}

// BenchmarkDecodeWebP is the cost of a WebP frame to RGB: messi5.jpg (548x342) as lossy q90
// and astronaut.png (512x512) lossless, beside BenchmarkDecodeJPEG's 640x480.
func BenchmarkDecodeWebP(b *testing.B) {
	for _, name := range []string{"messi5.q90.webp", "astronaut.lossless.webp"} {
		b.Run(name, func(b *testing.B) {
			data, err := os.ReadFile("../testdata/webp/" + name)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := DecodeImage(data, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
