package pixels

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"
)

// rawGolden is testdata/raw/raw.json, from scripts/mediapipe/raw_golden.py.
type rawGolden struct {
	Width   int               `json:"width"`
	Height  int               `json:"height"`
	Digests map[string]string `json:"rgb_sha256"`
}

func readRawGolden(t testing.TB) (rawGolden, []byte) {
	t.Helper()
	data, err := os.ReadFile("../testdata/raw/raw.json")
	if err != nil {
		t.Fatal(err)
	}
	var g rawGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	i420, err := os.ReadFile("../testdata/raw/messi5.i420")
	if err != nil {
		t.Fatal(err)
	}
	return g, i420
}

// i420ToNV12 interleaves the U and V planes of an even-sized I420 frame, as NV12 lays them out.
func i420ToNV12(i420 []byte, w, h int) []byte {
	ys, cs := w*h, (w/2)*(h/2)
	out := append([]byte(nil), i420[:ys]...)
	for i := 0; i < cs; i++ {
		out = append(out, i420[ys+i], i420[ys+cs+i])
	}
	return out
}

// TestDecodeRawYUVMatchesOpenCV checks NV12 and I420 convert to exactly the RGB bytes of OpenCV's
// cvtColor on the same bytes (testdata/raw/raw.json): BT.601 limited range, bit for bit.
func TestDecodeRawYUVMatchesOpenCV(t *testing.T) {
	t.Parallel()
	g, i420 := readRawGolden(t)
	frames := map[RawFormat][]byte{RawI420: i420, RawNV12: i420ToNV12(i420, g.Width, g.Height)}
	for format, data := range frames {
		img, err := DecodeRaw(data, RawLayout{Format: format, Width: g.Width, Height: g.Height}, 0)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(img.Pix)); got != g.Digests[string(format)] {
			t.Errorf("%s: RGB differs from OpenCV's cvtColor", format)
		}
	}
}

// encodeRaw lays out RGB pixels as a packed raw format with stride bytes a row (padding 0xEE).
func encodeRaw(img Image, f RawFormat, stride int) []byte {
	bpp := f.bytesPerPixel()
	out := bytes.Repeat([]byte{0xEE}, stride*img.Height)
	for y := 0; y < img.Height; y++ {
		for x := 0; x < img.Width; x++ {
			p := img.Pix[3*(y*img.Width+x):]
			d := out[y*stride+bpp*x:]
			switch f {
			case RawRGB24:
				copy(d, p[:3])
			case RawBGR24:
				d[0], d[1], d[2] = p[2], p[1], p[0]
			case RawRGBA:
				d[0], d[1], d[2], d[3] = p[0], p[1], p[2], 77
			case RawGray8:
				d[0] = p[1]
			}
		}
	}
	return out
}

// TestDecodeRawPackedIsExact checks the packed layouts give back exactly the pixels they were
// made from, with and without row padding, on a real photo.
func TestDecodeRawPackedIsExact(t *testing.T) {
	t.Parallel()
	photo := readPhoto(t, "../testdata/images/messi5.jpg")
	gray := Image{Pix: make([]uint8, len(photo.Pix)), Width: photo.Width, Height: photo.Height}
	for i := 0; i < len(gray.Pix); i += 3 {
		g := photo.Pix[i+1]
		gray.Pix[i], gray.Pix[i+1], gray.Pix[i+2] = g, g, g
	}
	for _, tc := range []struct {
		format RawFormat
		want   Image
	}{{RawBGR24, photo}, {RawRGB24, photo}, {RawRGBA, photo}, {RawGray8, gray}} {
		for _, pad := range []int{0, 13} {
			stride := photo.Width*tc.format.bytesPerPixel() + pad
			data := encodeRaw(photo, tc.format, stride)
			img, err := DecodeRaw(data, RawLayout{Format: tc.format, Width: photo.Width, Height: photo.Height, Stride: stride}, 0)
			if err != nil {
				t.Fatalf("%s pad %d: %v", tc.format, pad, err)
			}
			if !bytes.Equal(img.Pix, tc.want.Pix) || img.Width != photo.Width || img.Height != photo.Height {
				t.Errorf("%s pad %d: pixels differ", tc.format, pad)
			}
		}
	}
}

func readPhoto(t testing.TB, path string) Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := DecodeImage(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodeRawRejectsBadInput(t *testing.T) {
	t.Parallel()
	bgr := make([]byte, 640*480*3)
	tests := []struct {
		name   string
		data   []byte
		layout RawLayout
		max    float64
		want   error
	}{
		{"empty", nil, RawLayout{RawBGR24, 640, 480, 0}, 0, ErrEmptyImage},
		{"short buffer", bgr[:len(bgr)-1], RawLayout{RawBGR24, 640, 480, 0}, 0, ErrBadRaw},
		{"long buffer", append(bgr, 0), RawLayout{RawBGR24, 640, 480, 0}, 0, ErrBadRaw},
		{"wrong format for the size", bgr, RawLayout{RawNV12, 640, 480, 0}, 0, ErrBadRaw},
		{"zero width", bgr, RawLayout{RawBGR24, 0, 480, 0}, 0, ErrBadRaw},
		{"negative height", bgr, RawLayout{RawBGR24, 640, -480, 0}, 0, ErrBadRaw},
		{"stride below a row", bgr, RawLayout{RawBGR24, 640, 480, 1919}, 0, ErrBadRaw},
		{"huge declared size", bgr[:16], RawLayout{RawRGBA, 1 << 30, 1 << 30, 0}, 0, ErrImageTooLarge},
		{"over a small limit", bgr, RawLayout{RawBGR24, 640, 480, 0}, 0.3, ErrImageTooLarge},
		{"huge stride", bgr[:16], RawLayout{RawGray8, 4, 4, 1 << 40}, 0, ErrBadRaw},
		{"unknown layout", bgr, RawLayout{"yuy2", 640, 480, 0}, 0, ErrUnknownRawFormat},
	}
	for i, tc := range tests {
		_, err := DecodeRaw(tc.data, tc.layout, tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d %s: err = %v, want %v", i, tc.name, err, tc.want)
		}
	}
}

func TestRawFormatNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType string
		want        RawFormat
		err         error
	}{
		{"video/x-raw; format=BGR", RawBGR24, nil},
		{"video/x-raw,format=NV12", RawNV12, nil}, // GStreamer's caps syntax
		{"video/x-raw;format=nv12", RawNV12, nil},
		{"Video/X-Raw; format=I420; width=640", RawI420, nil},
		{"video/x-raw; format=bgr24", RawBGR24, nil},
		{"video/x-raw", "", ErrUnknownRawFormat},
		{"video/x-raw; format=YUY2", "", ErrUnknownRawFormat},
	}
	for _, tc := range tests {
		if !IsRawContentType(tc.contentType) {
			t.Errorf("%q: not raw", tc.contentType)
		}
		got, err := RawFormatOf(tc.contentType)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%q: %q %v, want %q %v", tc.contentType, got, err, tc.want, tc.err)
		}
	}
	for _, f := range RawFormats() {
		if got, err := RawFormatOf(f.ContentType()); got != f || err != nil {
			t.Errorf("%s: %s round-trips to %q %v", f, f.ContentType(), got, err)
		}
	}
	for _, ct := range []string{"image/jpeg", "image/png", "", "video/x-rawx"} {
		if IsRawContentType(ct) {
			t.Errorf("%q taken as raw", ct)
		}
	}
}

// FuzzDecodeRaw checks that no bytes and no declared layout make DecodeRaw panic or allocate
// past the limit: every failure is one of the documented errors, and every success is a
// well-formed image of exactly the declared size, within the limit.
func FuzzDecodeRaw(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, "bgr24", 2, 1, 0)
	f.Add(make([]byte, 6), "nv12", 2, 2, 0)
	f.Add(make([]byte, 10), "i420", 3, 2, 0)
	f.Add(make([]byte, 10), "nv12", 3, 2, 0)
	f.Add(make([]byte, 8), "rgba", 1<<30, 1<<30, 0)
	f.Add(make([]byte, 20), "gray8", 3, 4, 5)
	f.Fuzz(func(t *testing.T, data []byte, format string, w, h, stride int) {
		img, err := DecodeRaw(data, RawLayout{Format: RawFormat(format), Width: w, Height: h, Stride: stride}, 1)
		if err != nil {
			for _, want := range []error{ErrEmptyImage, ErrUnknownRawFormat, ErrBadRaw, ErrImageTooLarge} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("undocumented error: %v", err)
		}
		if img.Width != w || img.Height != h || w*h > 1e6 || len(img.Pix) != 3*w*h {
			t.Fatalf("bad image %dx%d, %d bytes, declared %dx%d", img.Width, img.Height, len(img.Pix), w, h)
		}
	})
}

// rawFrames lays out the 640x480 frames of testdata/video in format (NV12 and I420 with chroma
// 128: the conversion's cost does not depend on the values).
func rawFrames(b *testing.B, format RawFormat) [][]byte {
	b.Helper()
	var out [][]byte
	for _, img := range decodeAll(b, videoFrames(b)) {
		switch format {
		case RawNV12, RawI420:
			y := encodeRaw(img, RawGray8, img.Width)
			out = append(out, append(y, bytes.Repeat([]byte{128}, len(y)/2)...))
		default:
			out = append(out, encodeRaw(img, format, img.Width*format.bytesPerPixel()))
		}
	}
	return out
}

// BenchmarkDecodeRaw is the cost of a 640x480 raw frame to RGB, per layout, beside
// BenchmarkDecodeJPEG's for the same frames.
func BenchmarkDecodeRaw(b *testing.B) {
	for _, format := range RawFormats() {
		b.Run(string(format), func(b *testing.B) {
			frames := rawFrames(b, format)
			layout := RawLayout{Format: format, Width: 640, Height: 480}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := DecodeRaw(frames[i%len(frames)], layout, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestDecodeFrameByContentType(t *testing.T) {
	t.Parallel()
	photo := readPhoto(t, "../testdata/images/messi5.jpg")
	w, h := photo.Width, photo.Height
	padded := encodeRaw(photo, RawBGR24, 3*w+4)
	jpeg, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType string
		data              []byte
		w, h              int
		attrs             map[string]string
		format            string
		err               error
	}{
		{"jpeg whatever its type says", "image/png", jpeg, 0, 0, nil, "jpeg", nil},
		{"bgr24", RawBGR24.ContentType(), encodeRaw(photo, RawBGR24, 3*w), w, h, nil, "bgr24", nil},
		{"bgr24 with stride", RawBGR24.ContentType(), padded, w, h, map[string]string{"stride": fmt.Sprint(3*w + 4)}, "bgr24", nil},
		{"stride missing", RawBGR24.ContentType(), padded, w, h, nil, "bgr24", ErrBadRaw},
		{"stride not a number", RawBGR24.ContentType(), padded, w, h, map[string]string{"stride": "wide"}, "", ErrBadRaw},
		{"no width", RawBGR24.ContentType(), padded, 0, h, nil, "bgr24", ErrBadRaw},
		{"jpeg sent as raw", RawBGR24.ContentType(), jpeg, w, h, nil, "bgr24", ErrBadRaw},
		{"unknown layout", "video/x-raw; format=YUY2", padded, w, h, nil, "", ErrUnknownRawFormat},
		{"empty raw", RawNV12.ContentType(), nil, w, h, nil, "", ErrEmptyImage},
	}
	for _, tc := range tests {
		img, format, err := DecodeFrame(tc.data, tc.contentType, tc.w, tc.h, tc.attrs, 0)
		if format != tc.format || !errors.Is(err, tc.err) {
			t.Errorf("%s: %q %v, want %q %v", tc.name, format, err, tc.format, tc.err)
			continue
		}
		if err == nil && !bytes.Equal(img.Pix, photo.Pix) {
			t.Errorf("%s: pixels differ from the photo's", tc.name)
		}
	}
}

// TestEncodeRawRoundTrips checks EncodeRaw is DecodeRaw's inverse: exact for the packed formats,
// and for NV12 and I420 within what limited range and 4:2:0 chroma cost (mean error in a few
// levels) on a real photo.
func TestEncodeRawRoundTrips(t *testing.T) {
	t.Parallel()
	photo := readPhoto(t, "../testdata/images/messi5.jpg")
	for _, f := range RawFormats() {
		data, err := EncodeRaw(photo, f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := DecodeRaw(data, RawLayout{Format: f, Width: photo.Width, Height: photo.Height}, 0)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var sum float64
		for i := range img.Pix {
			sum += math.Abs(float64(img.Pix[i]) - float64(photo.Pix[i]))
		}
		mean := sum / float64(len(img.Pix))
		switch f {
		case RawGray8:
			continue // gray is not the photo's colours
		case RawNV12, RawI420:
			if mean > 6 {
				t.Errorf("%s: mean error %.2f levels, want <= 6", f, mean)
			}
		default:
			if mean != 0 {
				t.Errorf("%s: mean error %.2f levels, want 0", f, mean)
			}
		}
	}
	if _, err := EncodeRaw(photo, "yuy2"); !errors.Is(err, ErrUnknownRawFormat) {
		t.Errorf("yuy2: %v", err)
	}
}
