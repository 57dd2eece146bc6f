package pixels

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// RawFormat is a layout of uncompressed pixels, as cameras and video pipelines hand them out:
// OpenCV's frame.tobytes() is bgr24, a V4L2 or GStreamer pipeline's is often nv12 or i420.
type RawFormat string

// The raw layouts. Each is 8 bits a sample; rows run top to bottom, pixels left to right.
const (
	RawBGR24 RawFormat = "bgr24" // 3 bytes a pixel, B G R (OpenCV's default)
	RawRGB24 RawFormat = "rgb24" // 3 bytes a pixel, R G B
	RawRGBA  RawFormat = "rgba"  // 4 bytes a pixel, R G B A; alpha is dropped, not composited
	RawGray8 RawFormat = "gray8" // 1 byte a pixel
	RawNV12  RawFormat = "nv12"  // Y plane, then one plane of interleaved U V at half width and height
	RawI420  RawFormat = "i420"  // Y plane, then U, then V, each at half width and height
)

// RawContentType is the media type of a raw frame, GStreamer's caps name; the layout is its
// format parameter, with GStreamer's format names: "video/x-raw; format=BGR". GStreamer's own
// caps syntax, "video/x-raw,format=BGR", is taken too.
const RawContentType = "video/x-raw"

var rawFormats = []struct {
	format    RawFormat
	gstreamer string
}{
	{RawBGR24, "BGR"}, {RawRGB24, "RGB"}, {RawRGBA, "RGBA"},
	{RawGray8, "GRAY8"}, {RawNV12, "NV12"}, {RawI420, "I420"},
}

var (
	// ErrUnknownRawFormat is returned for a raw frame whose layout is not one of RawFormats.
	ErrUnknownRawFormat = errors.New("unknown raw pixel format")
	// ErrBadRaw is returned for a raw frame whose bytes do not match its declared layout (byte
	// count, width, height or stride).
	ErrBadRaw = errors.New("raw frame does not match its layout")
)

// RawFormats lists the layouts DecodeRaw converts, by their short names.
func RawFormats() []RawFormat {
	out := make([]RawFormat, len(rawFormats))
	for i, f := range rawFormats {
		out[i] = f.format
	}
	return out
}

// ParseRawFormat takes a layout by its short name (bgr24) or its GStreamer name (BGR), in any case.
func ParseRawFormat(s string) (RawFormat, error) {
	for _, f := range rawFormats {
		if strings.EqualFold(s, string(f.format)) || strings.EqualFold(s, f.gstreamer) {
			return f.format, nil
		}
	}
	return "", fmt.Errorf("%w %q: use one of %v", ErrUnknownRawFormat, quote64(s), RawFormats())
}

// ContentType is the frame content_type that names the layout: "video/x-raw; format=BGR".
func (f RawFormat) ContentType() string {
	for _, r := range rawFormats {
		if r.format == f {
			return RawContentType + "; format=" + r.gstreamer
		}
	}
	return RawContentType + "; format=" + string(f)
}

// IsRawContentType tells whether a content type declares raw pixels (video/x-raw, whatever its
// format), so that its bytes are taken as pixels rather than sniffed for an encoded image.
func IsRawContentType(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ReplaceAll(contentType, ",", ";"), ";")
	return strings.EqualFold(strings.TrimSpace(mt), RawContentType)
}

// RawFormatOf reads the layout from a raw content type: "video/x-raw; format=NV12" is nv12.
func RawFormatOf(contentType string) (RawFormat, error) {
	_, params, err := mime.ParseMediaType(strings.ReplaceAll(contentType, ",", ";"))
	if err != nil {
		return "", fmt.Errorf("%w: content type %q: %v", ErrUnknownRawFormat, quote64(contentType), err)
	}
	format, ok := params["format"]
	if !ok {
		return "", fmt.Errorf("%w: content type %q has no format parameter (e.g. %s)",
			ErrUnknownRawFormat, quote64(contentType), RawBGR24.ContentType())
	}
	return ParseRawFormat(format)
}

// quote64 cuts a value from outside to 64 bytes for an error message.
func quote64(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// RawLayout is what a raw frame's bytes need beside them: their format and size. Stride is the
// bytes from one row to the next of the packed formats and of the Y plane (0: no padding,
// Width x bytes a pixel); NV12's UV plane has the same stride rounded up to even (a row holds whole
// U V pairs), I420's U and V planes half of it, rounded up. Chroma planes have (Width+1)/2 x (Height+1)/2 samples.
type RawLayout struct {
	Format        RawFormat
	Width, Height int
	Stride        int
}

// bytesPerPixel of the packed formats, and of the Y plane of the planar ones.
func (f RawFormat) bytesPerPixel() int {
	switch f {
	case RawBGR24, RawRGB24:
		return 3
	case RawRGBA:
		return 4
	default:
		return 1
	}
}

// check validates the layout against the megapixel limit and returns the byte count it needs
// and its row stride; it allocates nothing and cannot overflow (every factor is below 2^31).
func (l RawLayout) check(maxMegapixels float64) (size int64, stride int, err error) {
	if _, err := ParseRawFormat(string(l.Format)); err != nil {
		return 0, 0, err
	}
	if l.Width <= 0 || l.Height <= 0 || l.Width > 1<<30 || l.Height > 1<<30 {
		return 0, 0, fmt.Errorf("%w: %s declares %dx%d: give the frame's width and height in pixels",
			ErrBadRaw, l.Format, l.Width, l.Height)
	}
	if maxMegapixels <= 0 {
		maxMegapixels = DefaultMaxMegapixels
	}
	if mp := float64(l.Width) * float64(l.Height) / 1e6; mp > maxMegapixels {
		return 0, 0, fmt.Errorf("%w: %s frame declares %dx%d (%.1f MP), limit %.1f MP",
			ErrImageTooLarge, l.Format, l.Width, l.Height, mp, maxMegapixels)
	}
	row := l.Width * l.Format.bytesPerPixel()
	stride = l.Stride
	if stride == 0 {
		stride = row
	}
	if stride < row || stride > 1<<30 {
		return 0, 0, fmt.Errorf("%w: %s stride %d for width %d: a row takes at least %d bytes",
			ErrBadRaw, l.Format, l.Stride, l.Width, row)
	}
	h, s := int64(l.Height), int64(stride)
	ch := int64(l.Height+1) / 2
	switch l.Format {
	case RawNV12, RawI420: // two chroma samples of (s+1)/2 bytes a row, at half height
		return s*h + 2*((s+1)/2)*ch, stride, nil
	default:
		return s * h, stride, nil
	}
}

// RawSize is the byte count a frame of this layout must have, or the error DecodeRaw gives
// for the layout whatever the bytes.
func (l RawLayout) RawSize(maxMegapixels float64) (int64, error) {
	size, _, err := l.check(maxMegapixels)
	return size, err
}

// DecodeRaw converts raw pixels to packed RGB, with no decode step. BGR24, RGB24, RGBA and GRAY8
// are exact (a reorder, alpha dropped, gray replicated); NV12 and I420 are BT.601 limited range
// (Y 16-235, as most cameras send) with each chroma sample covering its 2x2 pixels, in the
// fixed-point arithmetic of OpenCV's cvtColor(COLOR_YUV2RGB_NV12 / _I420), so that the pixels are
// those a Python producer's OpenCV would show. The layout is checked against maxMegapixels
// (DefaultMaxMegapixels when <= 0) and the byte count before anything is allocated. Errors wrap
// ErrEmptyImage, ErrUnknownRawFormat, ErrBadRaw or ErrImageTooLarge.
func DecodeRaw(data []byte, l RawLayout, maxMegapixels float64) (Image, error) {
	if len(data) == 0 {
		return Image{}, ErrEmptyImage
	}
	size, stride, err := l.check(maxMegapixels)
	if err != nil {
		return Image{}, err
	}
	if int64(len(data)) != size {
		return Image{}, fmt.Errorf("%w: %s %dx%d stride %d is %d bytes, got %d: check the format, width, height and stride",
			ErrBadRaw, l.Format, l.Width, l.Height, stride, size, len(data))
	}
	w, h := l.Width, l.Height
	out := Image{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	switch l.Format {
	case RawBGR24, RawRGB24, RawRGBA:
		packedToRGB(data, stride, l.Format, out)
	case RawGray8:
		grayToRGB(data, stride, out)
	case RawNV12:
		yuvToRGB(data[:stride*h], data[stride*h:], nil, stride, 2*((stride+1)/2), 2, out)
	case RawI420:
		cs := (stride + 1) / 2
		ch := (h + 1) / 2
		u := data[stride*h : stride*h+cs*ch]
		yuvToRGB(data[:stride*h], u, data[stride*h+cs*ch:], stride, cs, 1, out)
	}
	return out, nil
}

func packedToRGB(data []byte, stride int, f RawFormat, out Image) {
	w := out.Width
	for y := 0; y < out.Height; y++ {
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		switch row := data[y*stride:]; f {
		case RawRGB24:
			copy(dst, row[:3*w])
		case RawBGR24:
			for x := 0; x < w; x++ {
				dst[3*x], dst[3*x+1], dst[3*x+2] = row[3*x+2], row[3*x+1], row[3*x]
			}
		case RawRGBA:
			for x := 0; x < w; x++ {
				dst[3*x], dst[3*x+1], dst[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	}
}

func grayToRGB(data []byte, stride int, out Image) {
	w := out.Width
	for y := 0; y < out.Height; y++ {
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x, g := range data[y*stride : y*stride+w] {
			dst[3*x], dst[3*x+1], dst[3*x+2] = g, g, g
		}
	}
}

// OpenCV's BT.601 limited-range coefficients (cvtColor's YUV420 to RGB), in 20-bit fixed point:
// 1.164 for Y-16, 1.596 V to R, -0.391 U and -0.813 V to G, 2.018 U to B.
const (
	bt601Shift = 20
	bt601CY    = 1220542
	bt601CUB   = 2116026
	bt601CUG   = -409993
	bt601CVG   = -852492
	bt601CVR   = 1673527
	bt601Round = 1 << (bt601Shift - 1)
)

// yuvToRGB converts 4:2:0 YUV: with v nil, u holds interleaved U V pairs (NV12, step 2), else U
// and V are planes of their own (I420, step 1). Chroma sample (x/2, y/2) covers pixel (x, y).
func yuvToRGB(yp, u, v []byte, ystride, cstride, step int, out Image) {
	w := out.Width
	vOff := 0
	if v == nil {
		v, vOff = u, 1
	}
	for y := 0; y < out.Height; y++ {
		yrow := yp[y*ystride : y*ystride+w]
		c := (y / 2) * cstride
		urow, vrow := u[c:], v[c+vOff:]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x, yv := range yrow {
			i := (x / 2) * step
			uu, vv := int32(urow[i])-128, int32(vrow[i])-128
			yy := max(0, int32(yv)-16) * bt601CY
			dst[3*x] = clip20(yy + bt601Round + bt601CVR*vv)
			dst[3*x+1] = clip20(yy + bt601Round + bt601CVG*vv + bt601CUG*uu)
			dst[3*x+2] = clip20(yy + bt601Round + bt601CUB*uu)
		}
	}
}

func clip20(v int32) uint8 {
	v >>= bt601Shift
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// StrideAttribute is the Frame attribute that gives a raw frame's row stride in bytes, where it
// differs from width x bytes a pixel (OpenCV's tobytes() and most pipelines have none).
const StrideAttribute = "stride"

// FrameLayout is the layout of a raw frame from its content type, width, height and stride
// attribute (attrs may be nil), as a Frame record or an HTTP request gives them.
func FrameLayout(contentType string, width, height int, attrs map[string]string) (RawLayout, error) {
	format, err := RawFormatOf(contentType)
	if err != nil {
		return RawLayout{}, err
	}
	l := RawLayout{Format: format, Width: width, Height: height}
	if s, ok := attrs[StrideAttribute]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return RawLayout{}, fmt.Errorf("%w: %s attribute %q: give the bytes from one row to the next as a whole number",
				ErrBadRaw, StrideAttribute, quote64(s))
		}
		l.Stride = n
	}
	return l, nil
}

// DecodeFrame turns a frame's bytes into RGB by its content type: a raw layout (video/x-raw)
// is converted by DecodeRaw with the frame's width, height and stride attribute; anything else
// is decoded by DecodeImage, which reads the format from the bytes themselves. The format
// returned is the raw layout's short name, or DecodeImage's.
func DecodeFrame(data []byte, contentType string, width, height int, attrs map[string]string, maxMegapixels float64) (Image, string, error) {
	if !IsRawContentType(contentType) {
		return DecodeImage(data, maxMegapixels)
	}
	if len(data) == 0 {
		return Image{}, "", ErrEmptyImage
	}
	l, err := FrameLayout(contentType, width, height, attrs)
	if err != nil {
		return Image{}, "", err
	}
	img, err := DecodeRaw(data, l, maxMegapixels)
	return img, string(l.Format), err
}

// EncodeRaw lays RGB pixels out in a raw format with no row padding, as a camera producer sends
// them: the inverse of DecodeRaw, exact for the packed formats (GRAY8 keeps the BT.601 luma);
// NV12 and I420 are BT.601 limited range, each chroma sample the mean of its 2x2 pixels.
func EncodeRaw(img Image, f RawFormat) ([]byte, error) {
	if _, err := ParseRawFormat(string(f)); err != nil {
		return nil, err
	}
	w, h := img.Width, img.Height
	switch f {
	case RawRGB24:
		return append([]byte(nil), img.Pix[:3*w*h]...), nil
	case RawBGR24, RawRGBA:
		bpp := f.bytesPerPixel()
		out := make([]byte, bpp*w*h)
		for i := 0; i < w*h; i++ {
			p, d := img.Pix[3*i:3*i+3], out[bpp*i:]
			if f == RawBGR24 {
				d[0], d[1], d[2] = p[2], p[1], p[0]
			} else {
				d[0], d[1], d[2], d[3] = p[0], p[1], p[2], 255
			}
		}
		return out, nil
	}
	cw, ch := (w+1)/2, (h+1)/2
	out := make([]byte, w*h+2*cw*ch)
	for i := 0; i < w*h; i++ {
		out[i] = lumaBT601(img.Pix[3*i:])
	}
	if f == RawGray8 {
		return out[:w*h], nil
	}
	for cy := 0; cy < ch; cy++ {
		for cx := 0; cx < cw; cx++ {
			u, v := chromaBT601(img, 2*cx, 2*cy)
			if f == RawNV12 {
				out[w*h+cy*2*cw+2*cx], out[w*h+cy*2*cw+2*cx+1] = u, v
			} else {
				out[w*h+cy*cw+cx], out[w*h+cw*ch+cy*cw+cx] = u, v
			}
		}
	}
	return out, nil
}

// lumaBT601 is limited-range Y of an RGB pixel.
func lumaBT601(p []uint8) uint8 {
	return uint8((66*int(p[0]) + 129*int(p[1]) + 25*int(p[2]) + 128 + 16<<8) >> 8)
}

// chromaBT601 is limited-range U and V of the mean of the 2x2 pixels at (x, y), fewer at the edges.
func chromaBT601(img Image, x, y int) (u, v uint8) {
	var r, g, b, n int
	for dy := 0; dy < 2 && y+dy < img.Height; dy++ {
		for dx := 0; dx < 2 && x+dx < img.Width; dx++ {
			p := img.Pix[3*((y+dy)*img.Width+x+dx):]
			r, g, b, n = r+int(p[0]), g+int(p[1]), b+int(p[2]), n+1
		}
	}
	r, g, b = (r+n/2)/n, (g+n/2)/n, (b+n/2)/n
	u = uint8((-38*r - 74*g + 112*b + 128 + 128<<8) >> 8)
	v = uint8((112*r - 94*g - 18*b + 128 + 128<<8) >> 8)
	return u, v
}
