package pixels

import (
	"encoding/binary"
	"fmt"
	"image"

	_ "golang.org/x/image/webp" // WebP frames (lossy and lossless), registered with image.Decode
)

// webpToRGB converts a decoded WebP to packed RGB as libwebp gives it to OpenCV's imdecode:
// lossless (NRGBA) is exact with alpha dropped; lossy (4:2:0 YCbCr, with or without alpha) goes
// through libwebp's "fancy" upsampling of the chroma and its BT.601 limited-range arithmetic,
// not the JFIF full-range equations that image/color applies to any YCbCr.
func webpToRGB(img image.Image) Image {
	var src *image.YCbCr
	switch m := img.(type) {
	case *image.YCbCr:
		src = m
	case *image.NYCbCrA:
		src = &m.YCbCr
	}
	if src == nil || src.SubsampleRatio != image.YCbCrSubsampleRatio420 || src.Rect.Min != (image.Point{}) {
		return ToRGB(img)
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := Image{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	ch := (h + 1) / 2
	for y := 0; y < h; y++ {
		near, far := webpChromaRows(y, ch)
		webpRow(src, y, near, far, out.Pix[3*w*y:3*w*(y+1)])
	}
	return out
}

// webpChromaRows are the chroma rows a pixel row is interpolated from: the nearer one (weight
// 3/4) and the farther one (1/4); the first row, and the last of an even height, have one row only.
func webpChromaRows(y, ch int) (near, far int) {
	if y == 0 {
		return 0, 0
	}
	if y%2 == 1 { // between chroma rows (y-1)/2 and (y+1)/2, nearer the first
		return (y - 1) / 2, min((y+1)/2, ch-1)
	}
	return y / 2, y/2 - 1
}

// webpRow upsamples one pixel row's chroma across (libwebp's UpsampleRgbLinePair, for one of
// its two rows) and converts it.
func webpRow(src *image.YCbCr, y, near, far int, dst []uint8) {
	w := src.Rect.Dx()
	yrow := src.Y[y*src.YStride : y*src.YStride+w]
	nu, nv := src.Cb[near*src.CStride:], src.Cr[near*src.CStride:]
	fu, fv := src.Cb[far*src.CStride:], src.Cr[far*src.CStride:]
	put := func(x int, u, v int32) {
		yy := int32(yrow[x])
		dst[3*x] = webpClip(mulHi(yy, 19077) + mulHi(v, 26149) - 14234)
		dst[3*x+1] = webpClip(mulHi(yy, 19077) - mulHi(u, 6419) - mulHi(v, 13320) + 8708)
		dst[3*x+2] = webpClip(mulHi(yy, 19077) + mulHi(u, 33050) - 17685)
	}
	edge := func(n, f uint8) int32 { return (3*int32(n) + int32(f) + 2) >> 2 }
	put(0, edge(nu[0], fu[0]), edge(nv[0], fv[0]))
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		u0, u1 := webpPair(nu[x-1], nu[x], fu[x-1], fu[x])
		v0, v1 := webpPair(nv[x-1], nv[x], fv[x-1], fv[x])
		put(2*x-1, u0, v0)
		put(2*x, u1, v1)
	}
	if w%2 == 0 {
		put(w-1, edge(nu[last], fu[last]), edge(nv[last], fv[last]))
	}
}

// webpPair interpolates the chroma of pixels 2x-1 and 2x from the four samples around them
// (tl, t on the near row, l, r on the far row): weights 9/16, 3/16, 3/16, 1/16, rounded as
// libwebp rounds them.
func webpPair(tl, t, l, r uint8) (a, b int32) {
	avg := int32(tl) + int32(t) + int32(l) + int32(r) + 8
	d12 := (avg + 2*(int32(t)+int32(l))) >> 3
	d03 := (avg + 2*(int32(tl)+int32(r))) >> 3
	return (d12 + int32(tl)) >> 1, (d03 + int32(t)) >> 1
}

func mulHi(v, coeff int32) int32 { return (v * coeff) >> 8 }

// webpClip is libwebp's VP8Clip8: 14-bit fixed point (6 fraction bits) to 0..255.
func webpClip(v int32) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// checkWebPBitstream holds a WebP to the size its header declared. For the extended format
// (VP8X), image.DecodeConfig reports the canvas, but the decoder allocates for the size in the
// VP8 or VP8L bitstream after it, up to 16384x16384: a file may declare a 1x1 canvas over a
// 268 MP bitstream. As libwebp does, the two must agree; the bitstream's size is checked
// against the limit before any pixel is decoded.
func checkWebPBitstream(data []byte, canvasW, canvasH int, maxMegapixels float64) error {
	w, h, ok := webpBitstreamSize(data)
	if !ok {
		return nil // no bitstream header to read: the decoder fails on it
	}
	if err := checkSize("webp", w, h, maxMegapixels); err != nil {
		return err
	}
	if w != canvasW || h != canvasH {
		return fmt.Errorf("%w: webp bitstream of %dx%d in a canvas of %dx%d", ErrCorruptImage, w, h, canvasW, canvasH)
	}
	return nil
}

// webpBitstreamSize reads the size of the first VP8 or VP8L chunk of a RIFF WebP.
func webpBitstreamSize(data []byte) (w, h int, ok bool) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return 0, 0, false
	}
	for p := 12; p+8 <= len(data); {
		fourcc, size := string(data[p:p+4]), int64(binary.LittleEndian.Uint32(data[p+4:p+8]))
		payload := data[p+8:]
		if int64(len(payload)) > size {
			payload = payload[:size]
		}
		switch fourcc {
		case "VP8 ": // key frame tag (3 bytes), start code 9d 01 2a, 14-bit width and height
			if len(payload) < 10 || payload[3] != 0x9d || payload[4] != 0x01 || payload[5] != 0x2a {
				return 0, 0, false
			}
			return int(binary.LittleEndian.Uint16(payload[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(payload[8:]) & 0x3fff), true
		case "VP8L": // signature 0x2f, then 14-bit width-1 and height-1
			if len(payload) < 5 || payload[0] != 0x2f {
				return 0, 0, false
			}
			b := binary.LittleEndian.Uint32(payload[1:])
			return int(b&0x3fff) + 1, int(b>>14&0x3fff) + 1, true
		}
		next := int64(p) + 8 + size + size&1
		if next > int64(len(data)) {
			return 0, 0, false
		}
		p = int(next)
	}
	return 0, 0, false
}
