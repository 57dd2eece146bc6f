package pixels

import (
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"
)

// withOrientation returns a JPEG with an APP1 Exif segment right after SOI whose first IFD holds
// one entry, Orientation = o, in the TIFF byte order bo ("II" or "MM"). golden.py builds the
// same bytes (little-endian) for the OpenCV digests in decode.json.
func withOrientation(jpeg []byte, o uint16, bo string) []byte {
	var order interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	if bo == "MM" {
		order = binary.BigEndian
	}
	tiff := []byte(bo)
	tiff = order.AppendUint16(tiff, 42)
	tiff = order.AppendUint32(tiff, 8)
	tiff = order.AppendUint16(tiff, 1) // one entry
	tiff = order.AppendUint16(tiff, orientationTag)
	tiff = order.AppendUint16(tiff, 3) // SHORT
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, o)
	tiff = order.AppendUint16(tiff, 0)
	tiff = order.AppendUint32(tiff, 0) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte(nil), jpeg[:2]...)
	out = append(out, seg...)
	return append(out, jpeg[2:]...)
}

// exifGoldenJPEG builds the bytes a decode.json key names: a file path, or a path with
// "#exif-orientation=N" for that file with an Orientation tag added.
func exifGoldenJPEG(t *testing.T, key string) []byte {
	t.Helper()
	path, frag, _ := strings.Cut(key, "#")
	raw, err := os.ReadFile("../" + path)
	if err != nil {
		t.Fatal(err)
	}
	if frag == "" {
		return raw
	}
	o, err := strconv.Atoi(strings.TrimPrefix(frag, "exif-orientation="))
	if err != nil || !strings.HasPrefix(frag, "exif-orientation=") {
		t.Fatalf("decode.json key %q: unknown fragment", key)
	}
	return withOrientation(raw, uint16(o), "II")
}

// TestDecodeAppliesEXIFOrientation decodes messi5.jpg with each of the eight orientations, in
// both TIFF byte orders, and checks the size and where each corner of the stored pixels ends up,
// as the EXIF specification draws them (the full pixels are checked against OpenCV's digests
// in TestDecodeMatchesOpenCV).
func TestDecodeAppliesEXIFOrientation(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := DecodeImage(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	W, H := base.Width, base.Height
	px := func(img Image, x, y int) [3]uint8 {
		i := 3 * (y*img.Width + x)
		return [3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}
	}
	tl, tr, bl, br := px(base, 0, 0), px(base, W-1, 0), px(base, 0, H-1), px(base, W-1, H-1)
	// The stored corner shown at the output's top-left and top-right, per orientation.
	want := map[uint16][2][3]uint8{
		1: {tl, tr}, 2: {tr, tl}, 3: {br, bl}, 4: {bl, br},
		5: {tl, bl}, 6: {bl, tl}, 7: {br, tr}, 8: {tr, br},
	}
	for _, bo := range []string{"II", "MM"} {
		for o := uint16(1); o <= 8; o++ {
			data := withOrientation(raw, o, bo)
			if got := jpegOrientation(data); got != int(o) {
				t.Fatalf("%s %d: jpegOrientation = %d", bo, o, got)
			}
			img, _, err := DecodeImage(data, 0)
			if err != nil {
				t.Fatalf("%s %d: %v", bo, o, err)
			}
			w, h := W, H
			if o >= 5 {
				w, h = H, W
			}
			if img.Width != w || img.Height != h {
				t.Fatalf("%s %d: %dx%d, want %dx%d", bo, o, img.Width, img.Height, w, h)
			}
			if got := [2][3]uint8{px(img, 0, 0), px(img, w-1, 0)}; got != want[o] {
				t.Errorf("%s %d: top corners %v, want %v", bo, o, got, want[o])
			}
			// Turning back: 6 and 8 undo each other, the others are their own inverse.
			back := map[uint16]int{6: 8, 8: 6}[o]
			if back == 0 {
				back = int(o)
			}
			if !bytes.Equal(img.oriented(back).Pix, base.Pix) {
				t.Errorf("%s %d: orientation %d does not turn it back", bo, o, back)
			}
		}
	}
}

// TestJPEGOrientationIgnoresDamage: a damaged, truncated or out-of-range tag leaves the image as
// stored (OpenCV ignores it too), and nothing panics.
func TestJPEGOrientationIgnoresDamage(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	good := withOrientation(raw, 6, "II")
	// Offsets into good: SOI 2, marker 2, length 2, "Exif\0\0" 6: the TIFF header starts at 12.
	const tiff = 12
	cases := map[string][]byte{
		"orientation 0":     withOrientation(raw, 0, "II"),
		"orientation 9":     withOrientation(raw, 9, "MM"),
		"no exif":           raw,
		"bad byte order":    patch(good, tiff, 'X', 'X'),
		"bad magic":         patch(good, tiff+2, 43, 0),
		"IFD past the end":  patch(good, tiff+4, 0xff, 0xff, 0, 0),
		"IFD inside header": patch(good, tiff+4, 2, 0, 0, 0),
		"wrong type":        patch(good, tiff+8+2+2, 4, 0),
		"two values":        patch(good, tiff+8+2+4, 2, 0, 0, 0),
		"entries past end":  patch(patch(good, tiff+8, 0xff, 0xff), tiff+10, 0x11, 0x01),
		"truncated segment": good[:30],
		"segment too short": patch(good, 4, 0, 1),
		"soi only":          raw[:2],
	}
	for name, data := range cases {
		if got := jpegOrientation(data); got != 1 {
			t.Errorf("%s: orientation %d, want 1", name, got)
		}
	}
	// The orientation of a later APP1 is found past other segments (APP0 JFIF first).
	if i := bytes.Index(raw, []byte{0xff, 0xe0}); i == 2 {
		n := int(binary.BigEndian.Uint16(raw[4:]))
		later := append(append([]byte(nil), raw[:4+n]...), withOrientation(append([]byte{0xff, 0xd8}, raw[4+n:]...), 3, "MM")[2:]...)
		if got := jpegOrientation(later); got != 3 {
			t.Errorf("Exif after JFIF: orientation %d, want 3", got)
		}
	}
}

func patch(b []byte, at int, v ...byte) []byte {
	out := append([]byte(nil), b...)
	copy(out[at:], v)
	return out
}

func FuzzJPEGOrientation(f *testing.F) {
	raw, err := os.ReadFile("../testdata/images/messi5.jpg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withOrientation(raw[:64], 6, "II"))
	f.Add(withOrientation(raw[:64], 8, "MM"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
