package model

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// JPEG frames are decoded with libjpeg-turbo's TurboJPEG API: about 4x faster than image/jpeg,
// and the same library, DCT (islow) and chroma upsampling (fancy) OpenCV's imdecode uses, which
// is how MediaPipe's Python examples read frames.

// turboHandles pools TurboJPEG decompressors: a handle is not safe for concurrent use, and
// making one per frame costs more than the pool.
var turboHandles = sync.Pool{New: func() any { return C.tjInitDecompress() }}

func isJPEG(data []byte) bool {
	return len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff
}

// decodeJPEG decodes a JPEG into packed RGB after checking its header against the pixel limit.
// Warnings (a truncated or damaged stream, which libjpeg would paper over with grey) are errors.
func decodeJPEG(data []byte, maxMegapixels float64) (Image, error) {
	h, _ := turboHandles.Get().(C.tjhandle)
	if h == nil {
		return Image{}, fmt.Errorf("model: tjInitDecompress failed")
	}
	img, err := turboDecode(h, data, maxMegapixels)
	if err != nil {
		// A handle that failed mid-stream can carry state into the next decode: drop it.
		C.tjDestroy(h)
		return Image{}, err
	}
	turboHandles.Put(h)
	return img, nil
}

func turboDecode(h C.tjhandle, data []byte, maxMegapixels float64) (Image, error) {
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var w, ht, subsamp, colorspace C.int
	if C.tjDecompressHeader3(h, src, C.ulong(len(data)), &w, &ht, &subsamp, &colorspace) != 0 {
		return Image{}, fmt.Errorf("%w: jpeg header: %s", ErrCorruptImage, turboError(h))
	}
	if err := checkSize("jpeg", int(w), int(ht), maxMegapixels); err != nil {
		return Image{}, err
	}
	img := Image{Pix: make([]uint8, 3*int(w)*int(ht)), Width: int(w), Height: int(ht)}
	if colorspace == C.TJCS_CMYK || colorspace == C.TJCS_YCCK {
		// libjpeg converts nothing four-channel to RGB: take the CMYK out and convert it as
		// OpenCV does.
		cmyk := make([]uint8, 4*int(w)*int(ht))
		if C.tjDecompress2(h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&cmyk[0])), w, 0, ht, C.TJPF_CMYK, C.TJFLAG_STOPONWARNING) != 0 {
			return Image{}, fmt.Errorf("%w: jpeg %dx%d CMYK: %s", ErrCorruptImage, w, ht, turboError(h))
		}
		cmykToRGB(cmyk, img.Pix)
		return img, nil
	}
	dst := (*C.uchar)(unsafe.Pointer(&img.Pix[0]))
	if C.tjDecompress2(h, src, C.ulong(len(data)), dst, w, 0, ht, C.TJPF_RGB, C.TJFLAG_STOPONWARNING) != 0 {
		return Image{}, fmt.Errorf("%w: jpeg %dx%d: %s", ErrCorruptImage, w, ht, turboError(h))
	}
	return img, nil
}

// cmykToRGB converts the CMYK libjpeg gives for a four-channel JPEG (Adobe's inverted CMYK, as
// Photoshop writes it) with OpenCV's arithmetic (icvCvt_CMYK2BGR_8u_C4C3R in
// modules/imgcodecs/src/utils.cpp): each of R, G, B is k - (255 - c)·k/256 of its ink c, integer
// division by a shift.
func cmykToRGB(cmyk, rgb []uint8) {
	for i, j := 0, 0; i+3 < len(cmyk) && j+2 < len(rgb); i, j = i+4, j+3 {
		k := int(cmyk[i+3])
		rgb[j] = uint8(k - (255-int(cmyk[i]))*k>>8)
		rgb[j+1] = uint8(k - (255-int(cmyk[i+1]))*k>>8)
		rgb[j+2] = uint8(k - (255-int(cmyk[i+2]))*k>>8)
	}
}

func turboError(h C.tjhandle) string {
	return C.GoString(C.tjGetErrorStr2(h))
}
