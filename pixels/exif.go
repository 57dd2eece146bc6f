package pixels

import "encoding/binary"

// EXIF orientation. Phones store portrait photos as landscape pixels plus an Orientation tag
// (TIFF tag 0x0112 in the JPEG's APP1 "Exif" segment) saying how to turn them for display.
// OpenCV's imdecode and imread apply it (modules/imgcodecs/src/loadsave.cpp,
// ApplyExifOrientation), so the RGB MediaPipe's Python examples feed the graph is the upright
// photo; we apply it too, or a portrait photo would be analysed lying on its side.

// orientationTag is the TIFF tag of Orientation; its value is a SHORT from 1 to 8.
const orientationTag = 0x0112

// jpegOrientation returns the EXIF Orientation of a JPEG, 1 (stored as displayed) when it has
// none, or when the tag is damaged or out of range: like OpenCV, a bad tag is ignored, never an
// error. It reads the markers up to the first scan and stops at the first Exif segment.
func jpegOrientation(data []byte) int {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte before a marker
			i++
			continue
		case marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7): // no length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // start of scan or end: no EXIF after here
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation finds the Orientation entry of a TIFF header's first IFD.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 1
	}
	count := int64(bo.Uint16(t[ifd:]))
	for k := int64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != orientationTag {
			continue
		}
		// Type 3 is SHORT; one value sits in the first two bytes of the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 1
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

// oriented returns img turned for display as EXIF orientation o says (2 mirrored, 3 rotated
// 180°, 4 flipped, 5 transposed, 6 rotated 90° clockwise, 7 transversed, 8 rotated 90°
// counter-clockwise); 1 and anything else return img itself. 5 to 8 swap width and height.
func (img Image) oriented(o int) Image {
	if o < 2 || o > 8 {
		return img
	}
	W, H := img.Width, img.Height
	out := Image{Width: W, Height: H, Pix: make([]uint8, len(img.Pix))}
	if o >= 5 {
		out.Width, out.Height = H, W
	}
	// src maps a pixel of the output to the pixel of img it shows.
	var src func(x, y int) (int, int)
	switch o {
	case 2:
		src = func(x, y int) (int, int) { return W - 1 - x, y }
	case 3:
		src = func(x, y int) (int, int) { return W - 1 - x, H - 1 - y }
	case 4:
		src = func(x, y int) (int, int) { return x, H - 1 - y }
	case 5:
		src = func(x, y int) (int, int) { return y, x }
	case 6:
		src = func(x, y int) (int, int) { return y, H - 1 - x }
	case 7:
		src = func(x, y int) (int, int) { return W - 1 - y, H - 1 - x }
	case 8:
		src = func(x, y int) (int, int) { return W - 1 - y, x }
	}
	d := 0
	for y := 0; y < out.Height; y++ {
		for x := 0; x < out.Width; x++ {
			sx, sy := src(x, y)
			s := 3 * (sy*W + sx)
			out.Pix[d], out.Pix[d+1], out.Pix[d+2] = img.Pix[s], img.Pix[s+1], img.Pix[s+2]
			d += 3
		}
	}
	return out
}
