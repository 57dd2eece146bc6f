package gateway

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
)

// imageHeader is what an image's header says about the memory decoding it takes.
type imageHeader struct {
	format        string
	width, height int
	// bytesPerPixel is the most that decoding holds at once per pixel: the decoder's own image
	// and the packed RGB the model reads (pixels.DecodeImage).
	bytesPerPixel int
}

// decoderState is what a decoder holds besides the pixels: inflate's window and row buffers,
// libjpeg's component buffers (measured: about 80 KB for a PNG).
const decoderState = 256 << 10

// cost is the bytes decoding takes at its peak.
func (h imageHeader) cost() int64 {
	return int64(h.width)*int64(h.height)*int64(h.bytesPerPixel) + decoderState
}

// megapixels is the image's size as --max-megapixels counts it.
func (h imageHeader) megapixels() float64 { return float64(h.width) * float64(h.height) / 1e6 }

// readImageHeader reads the dimensions of a JPEG, PNG or WebP from its header alone. ok is false when
// the header cannot be read: then decoding stops at the header too (pixels.DecodeImage reads the
// same markers and chunks), with the error that says what is wrong.
func readImageHeader(data []byte) (imageHeader, bool) {
	if isJPEG(data) {
		return readJPEGHeader(data)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err == nil && format == "webp" {
		// golang.org/x/image/webp decodes lossless into ARGB words and then NRGBA (8 bytes a
		// pixel), lossy into 4:2:0 planes and an alpha plane (2.5); then the packed RGB (3).
		return imageHeader{format: "webp", width: cfg.Width, height: cfg.Height, bytesPerPixel: 8 + 3}, true
	}
	if err != nil || format != "png" {
		return imageHeader{}, false
	}
	// image/png decodes into an image of the PNG's colour type and depth, which pixels.ToRGB
	// then packs into RGB (3 bytes a pixel); a 16-bit or paletted image is converted pixel by
	// pixel through colour interfaces, about 16 bytes of garbage a pixel (measured) that the
	// collector only frees afterwards. An interlaced PNG is decoded pass by pass into images of
	// its own size, then copied whole.
	const perPixelConversion = 16
	decoded := 4
	switch cfg.ColorModel {
	case color.GrayModel:
		decoded = 1
	case color.Gray16Model:
		decoded = 2 + perPixelConversion
	case color.RGBA64Model, color.NRGBA64Model:
		decoded = 8 + perPixelConversion
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			decoded = 1 + perPixelConversion
		}
	}
	if len(data) > 28 && data[28] == 1 { // IHDR's interlace method: Adam7
		decoded *= 2
	}
	return imageHeader{format: "png", width: cfg.Width, height: cfg.Height, bytesPerPixel: decoded + 3}, true
}

// readJPEGHeader finds the first start-of-frame marker, as libjpeg does before it decodes a
// pixel. libjpeg-turbo decodes straight into packed RGB (3 bytes a pixel), a four-component
// (CMYK) JPEG through a CMYK copy (4 more); a progressive JPEG keeps every DCT coefficient until
// its last scan (2 bytes a sample of each component); and an EXIF orientation other than
// upright turns the RGB into a copy (3 more).
func readJPEGHeader(data []byte) (imageHeader, bool) {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			i++ // bytes between markers: libjpeg skips them with a warning
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0x01 || m == 0xd8 || (m >= 0xd0 && m <= 0xd7): // markers without a length
			i += 2
			continue
		case m == 0xd9 || m == 0xda: // end of image or start of scan before any frame header
			return imageHeader{}, false
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if isSOF(m) {
			if n < 8 || i+10 > len(data) {
				return imageHeader{}, false
			}
			h, w, comps := int(binary.BigEndian.Uint16(data[i+5:])), int(binary.BigEndian.Uint16(data[i+7:])), int(data[i+9])
			bpp := 3 + 3
			if comps == 4 {
				bpp += 4
			}
			if progressive := m&0x03 == 0x02; progressive {
				bpp += 2 * comps
			}
			return imageHeader{format: "jpeg", width: w, height: h, bytesPerPixel: bpp}, true
		}
		i += 2 + n
	}
	return imageHeader{}, false
}

// isSOF reports whether m starts a frame: SOF0-SOF15 but DHT (c4), JPG (c8) and DAC (cc).
func isSOF(m byte) bool {
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
}

func isJPEG(data []byte) bool {
	return len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff
}
