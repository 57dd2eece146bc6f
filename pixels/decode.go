package pixels

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG frames from cameras
	_ "image/png"  // PNG photos and overlays
)

// DefaultMaxMegapixels bounds the pixels of an image accepted for decoding: 50 MP is a 8K frame
// with room to spare, and about 150 MB of RGB. Anything larger is rejected from its header, before
// a single pixel is decoded, so a decompression bomb costs nothing.
const DefaultMaxMegapixels = 50

var (
	// ErrEmptyImage is returned for zero-length input.
	ErrEmptyImage = errors.New("empty image: 0 bytes")
	// ErrNotImage is returned when the bytes are not a JPEG, PNG or WebP image.
	ErrNotImage = errors.New("not a JPEG, PNG or WebP image")
	// ErrImageTooLarge is returned when the header declares more pixels than allowed.
	ErrImageTooLarge = errors.New("image too large")
	// ErrCorruptImage is returned when the header is valid but the data cannot be decoded
	// (truncated or damaged).
	ErrCorruptImage = errors.New("corrupt image data")
)

// DecodeImage decodes a JPEG (libjpeg-turbo), PNG (image/png) or WebP (golang.org/x/image/webp,
// converted as libwebp does: webpToRGB) image into packed RGB, a JPEG
// turned upright by its EXIF orientation as OpenCV's imdecode does. It reads the header first and rejects
// images with more than maxMegapixels million pixels (DefaultMaxMegapixels when <= 0) or with a
// zero dimension. Errors wrap ErrEmptyImage, ErrNotImage, ErrImageTooLarge or ErrCorruptImage.
func DecodeImage(data []byte, maxMegapixels float64) (Image, string, error) {
	if len(data) == 0 {
		return Image{}, "", ErrEmptyImage
	}
	if maxMegapixels <= 0 {
		maxMegapixels = DefaultMaxMegapixels
	}
	if isJPEG(data) {
		img, err := decodeJPEG(data, maxMegapixels, nil)
		if err != nil {
			return Image{}, "jpeg", err
		}
		return img.oriented(jpegOrientation(data)), "jpeg", nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return Image{}, "", fmt.Errorf("%w (first bytes % x)", ErrNotImage, head(data))
		}
		return Image{}, format, fmt.Errorf("%w: header: %v", ErrCorruptImage, err)
	}
	if err := checkSize(format, cfg.Width, cfg.Height, maxMegapixels); err != nil {
		return Image{}, format, err
	}
	if format == "webp" {
		if err := checkWebPBitstream(data, cfg.Width, cfg.Height, maxMegapixels); err != nil {
			return Image{}, format, err
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Image{}, format, fmt.Errorf("%w: %s %dx%d: %v", ErrCorruptImage, format, cfg.Width, cfg.Height, err)
	}
	if format == "webp" {
		return webpToRGB(img), format, nil
	}
	return ToRGB(img), format, nil
}

// checkSize rejects dimensions from a header before any pixel is decoded.
func checkSize(format string, w, h int, maxMegapixels float64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: %s header declares %dx%d", ErrCorruptImage, format, w, h)
	}
	if mp := float64(w) * float64(h) / 1e6; mp > maxMegapixels {
		return fmt.Errorf("%w: %s header declares %dx%d (%.1f MP), limit %.1f MP",
			ErrImageTooLarge, format, w, h, mp, maxMegapixels)
	}
	return nil
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

// ToRGB converts a decoded image to packed RGB, dropping alpha without compositing (as OpenCV's
// IMREAD_COLOR does, which is how MediaPipe's Python examples read images).
func ToRGB(img image.Image) Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := Image{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	switch src := img.(type) {
	case *image.YCbCr:
		if b.Min == (image.Point{}) {
			ycbcrToRGB(src, out)
		} else {
			convertAny(img, out)
		}
	// The decoders' own layouts are the raw layouts of DecodeRaw, rows Stride apart.
	case *image.Gray:
		grayToRGB(src.Pix, src.Stride, out)
	case *image.NRGBA:
		packedToRGB(src.Pix, src.Stride, RawRGBA, out)
	case *image.RGBA:
		packedToRGB(src.Pix, src.Stride, RawRGBA, out)
	default:
		convertAny(img, out)
	}
	return out
}

// convertAny is the slow path for the formats decoders rarely produce (paletted, 16-bit, CMYK).
func convertAny(img image.Image, out Image) {
	b := img.Bounds()
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
			i += 3
		}
	}
}

// ycbcrToRGB converts with the JFIF equations in 16.16 fixed point, the same arithmetic as
// color.YCbCrToRGB, without its per-pixel call and interface overhead.
func ycbcrToRGB(src *image.YCbCr, out Image) {
	w, h := out.Width, out.Height
	hs, vs := chromaShift(src.SubsampleRatio)
	// Decoded images start at (0,0); chroma sample (x>>hs, y>>vs) covers pixel (x, y).
	for y := 0; y < h; y++ {
		yrow := src.Y[y*src.YStride : y*src.YStride+w]
		crow := (y >> vs) * src.CStride
		cbrow, crrow := src.Cb[crow:], src.Cr[crow:]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x, yv := range yrow {
			yy := int32(yv) * 0x10101
			cb := int32(cbrow[x>>hs]) - 128
			cr := int32(crrow[x>>hs]) - 128
			dst[3*x] = clamp8(yy + 91881*cr)
			dst[3*x+1] = clamp8(yy - 22554*cb - 46802*cr)
			dst[3*x+2] = clamp8(yy + 116130*cb)
		}
	}
}

// chromaShift gives the horizontal and vertical chroma subsampling as shifts.
func chromaShift(r image.YCbCrSubsampleRatio) (h, v uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	default:
		return 0, 0
	}
}

func clamp8(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}
