package pixels

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"
)

// pngHeader builds the signature and IHDR chunk of a PNG that claims w x h pixels, followed by
// nothing: a decompression-bomb-shaped header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecodeImageRejectsBadInput(t *testing.T) {
	t.Parallel()
	photo, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		max  float64
		want error
	}{
		{"empty", nil, 0, ErrEmptyImage},
		{"text", []byte("camera frame goes here"), 0, ErrNotImage},
		{"garbage", bytes.Repeat([]byte{0x13, 0x37}, 500), 0, ErrNotImage},
		{"truncated jpeg", photo[:len(photo)/3], 0, ErrCorruptImage},
		{"jpeg header only", photo[:200], 0, ErrCorruptImage},
		{"png bomb header", pngHeader(100000, 100000), 0, ErrImageTooLarge},
		{"over a small limit", photo, 0.1, ErrImageTooLarge},
		{"zero width png", pngHeader(0, 10), 0, ErrCorruptImage},
		{"jpeg bomb header", jpegWithSize(t, photo, 65000, 65000), 0, ErrImageTooLarge},
		{"jpeg zero height", jpegWithSize(t, photo, 548, 0), 0, ErrCorruptImage},
	}
	for i, tc := range tests {
		_, _, err := DecodeImage(tc.data, tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d %s: err = %v, want %v", i, tc.name, err, tc.want)
		}
	}
}

// TestDecodeMatchesOpenCV checks every test JPEG decodes to exactly the RGB bytes OpenCV's
// imdecode gives (the sha256 digests in testdata/golden/decode.json, from golden.py): the landmark
// models see the same pixels as in MediaPipe's Python pipeline. The images are the photos (JPEG
// and PNG), the footage, the CMYK, grayscale and progressive JPEGs of testdata/decode, and
// messi5.jpg with each EXIF orientation.
func TestDecodeMatchesOpenCV(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/golden/decode.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Digests map[string]string `json:"rgb_sha256"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Digests) < 10 {
		t.Fatalf("only %d digests", len(golden.Digests))
	}
	for path, want := range golden.Digests {
		raw := exifGoldenJPEG(t, path)
		img, format, err := DecodeImage(raw, 0)
		if want := map[bool]string{true: "png", false: "jpeg"}[strings.HasSuffix(strings.Split(path, "#")[0], ".png")]; err != nil || format != want {
			t.Fatalf("%s: %s %v, want %s", path, format, err, want)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(img.Pix)); got != want {
			t.Errorf("%s: RGB differs from OpenCV's decode", path)
		}
	}
}

// jpegWithSize rewrites the frame header (SOF0) of a baseline JPEG to declare w x h.
func jpegWithSize(t *testing.T, data []byte, w, h uint16) []byte {
	t.Helper()
	out := append([]byte(nil), data...)
	i := bytes.Index(out, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(out[i+5:], h)
	binary.BigEndian.PutUint16(out[i+7:], w)
	return out
}

func TestToRGBDropsAlphaAndHandlesGray(t *testing.T) {
	t.Parallel()
	n := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	n.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 0})
	n.SetNRGBA(1, 0, color.NRGBA{40, 50, 60, 128})
	if got := ToRGB(n).Pix; !bytes.Equal(got, []byte{10, 20, 30, 40, 50, 60}) {
		t.Errorf("NRGBA: %v", got)
	}
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.Pix = []uint8{7, 9}
	if got := ToRGB(g).Pix; !bytes.Equal(got, []byte{7, 7, 7, 9, 9, 9}) {
		t.Errorf("Gray: %v", got)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	img, format, err := DecodeImage(buf.Bytes(), 0)
	if err != nil || format != "png" || !bytes.Equal(img.Pix, []byte{7, 7, 7, 9, 9, 9}) {
		t.Errorf("gray png: %v %s %v", img.Pix, format, err)
	}
}

// FuzzDecodeImage checks that no input (JPEG, PNG, WebP, or none of them) makes DecodeImage panic, that every failure is one of the
// four documented errors, and that every success is a well-formed image within the limit.
func FuzzDecodeImage(f *testing.F) {
	for _, p := range []string{"../testdata/images/messi5.jpg", "../testdata/images/fruits.jpg",
		"../testdata/webp/basketball1.odd.q80.webp", "../testdata/webp/astronaut.lossless.webp"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data[:min(len(data), 4096)])
		}
	}
	f.Add(pngHeader(100000, 100000))
	f.Add(webpHeader(16384, 16384))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := DecodeImage(data, 1)
		if err != nil {
			for _, want := range []error{ErrEmptyImage, ErrNotImage, ErrImageTooLarge, ErrCorruptImage} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("undocumented error: %v", err)
		}
		if img.Width <= 0 || img.Height <= 0 || img.Width*img.Height > 1e6 || len(img.Pix) != 3*img.Width*img.Height {
			t.Fatalf("bad image %dx%d, %d bytes", img.Width, img.Height, len(img.Pix))
		}
	})
}
