package pixels

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>

// libjpeg's messages (a damaged or truncated stream) land in a thread-local buffer of
// libjpeg-turbo, which tjGetErrorStr2 returns: read from another cgo call, which Go may run
// on another OS thread, it is another decode's message, "No error", or one being overwritten.
// These wrappers copy it out in the call that failed.

static int hs_header(tjhandle h, const unsigned char *src, unsigned long n, int *w, int *ht,
		int *subsamp, int *colorspace, char *msg, int msglen) {
	int rc = tjDecompressHeader3(h, src, n, w, ht, subsamp, colorspace);
	if (rc != 0) snprintf(msg, msglen, "%s", tjGetErrorStr2(h));
	return rc;
}

static int hs_decompress(tjhandle h, const unsigned char *src, unsigned long n, unsigned char *dst,
		int w, int ht, int pf, char *msg, int msglen) {
	int rc = tjDecompress2(h, src, n, dst, w, 0, ht, pf, TJFLAG_STOPONWARNING);
	if (rc != 0) snprintf(msg, msglen, "%s", tjGetErrorStr2(h));
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// JPEG frames are decoded with libjpeg-turbo's TurboJPEG API: about 4x faster than image/jpeg,
// and the same library, DCT (islow) and chroma upsampling (fancy) OpenCV's imdecode uses, which
// is how MediaPipe's Python examples read frames.
//
// Ownership of the C handles: a TurboJPEG handle belongs to one call of decodeJPEG, which makes
// it (newDecompressor: tjInitDecompress) and destroys it (the deferred destroy: tjDestroy) before
// it returns, whatever the decode gives; nothing else holds the handle, and no handle is kept
// between calls. The pair costs 0.2 us, nothing beside the 0.7 ms a 640x480 frame takes to decode
// (a handle kept for reuse decoded no faster), and a handle owned by one call can neither leak nor
// carry a damaged stream's state into the next image. Handles pooled in a sync.Pool, as before,
// were dropped at a GC without tjDestroy, and their C memory with them.

func isJPEG(data []byte) bool {
	return len(data) >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff
}

// decodeJPEG decodes a JPEG into packed RGB after checking its header against the pixel limit.
// Warnings (a truncated or damaged stream, which libjpeg would paper over with grey) are errors.
// It owns the TurboJPEG handle it decodes with, from its creation to its destruction here.
// live, when not nil, counts the TurboJPEG handles alive (tests).
func decodeJPEG(data []byte, maxMegapixels float64, live *atomic.Int64) (Image, error) {
	d, err := newDecompressor(live)
	if err != nil {
		return Image{}, err
	}
	defer d.destroy()
	return d.decode(data, maxMegapixels)
}

// decompressor is one TurboJPEG decompressor handle and the only reference to it: made by
// newDecompressor, freed by destroy, used in between by one goroutine (it is not safe for
// concurrent use). Only decodeJPEG makes one, for the length of one call.
type decompressor struct {
	h    C.tjhandle
	live *atomic.Int64
}

func newDecompressor(live *atomic.Int64) (decompressor, error) {
	h := C.tjInitDecompress()
	if h == nil {
		// Only an allocation fails here.
		return decompressor{}, errors.New("pixels: tjInitDecompress failed: out of memory")
	}
	if live != nil {
		live.Add(1)
	}
	return decompressor{h: h, live: live}, nil
}

// destroy frees the handle (tjDestroy); a second call does nothing. The decompressor is not used
// after.
func (d *decompressor) destroy() {
	if d.h == nil {
		return
	}
	C.tjDestroy(d.h)
	d.h = nil
	if d.live != nil {
		d.live.Add(-1)
	}
}

// decode decodes one JPEG with the handle.
func (d *decompressor) decode(data []byte, maxMegapixels float64) (Image, error) {
	h := d.h
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	var msg turboMessage
	var w, ht, subsamp, colorspace C.int
	if C.hs_header(h, src, C.ulong(len(data)), &w, &ht, &subsamp, &colorspace, msg.ptr(), msg.len()) != 0 {
		return Image{}, fmt.Errorf("%w: jpeg header: %s", ErrCorruptImage, msg.String())
	}
	if err := checkSize("jpeg", int(w), int(ht), maxMegapixels); err != nil {
		return Image{}, err
	}
	img := Image{Pix: make([]uint8, 3*int(w)*int(ht)), Width: int(w), Height: int(ht)}
	if colorspace == C.TJCS_CMYK || colorspace == C.TJCS_YCCK {
		// libjpeg converts nothing four-channel to RGB: take the CMYK out and convert it as
		// OpenCV does.
		cmyk := make([]uint8, 4*int(w)*int(ht))
		if C.hs_decompress(h, src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&cmyk[0])), w, ht, C.TJPF_CMYK, msg.ptr(), msg.len()) != 0 {
			return Image{}, fmt.Errorf("%w: jpeg %dx%d CMYK: %s", ErrCorruptImage, w, ht, msg.String())
		}
		cmykToRGB(cmyk, img.Pix)
		return img, nil
	}
	dst := (*C.uchar)(unsafe.Pointer(&img.Pix[0]))
	if C.hs_decompress(h, src, C.ulong(len(data)), dst, w, ht, C.TJPF_RGB, msg.ptr(), msg.len()) != 0 {
		return Image{}, fmt.Errorf("%w: jpeg %dx%d: %s", ErrCorruptImage, w, ht, msg.String())
	}
	return img, nil
}

// turboMessage receives a TurboJPEG error message (JMSG_LENGTH_MAX is 200).
type turboMessage [256]C.char

func (m *turboMessage) ptr() *C.char { return &m[0] }
func (m *turboMessage) len() C.int   { return C.int(len(m)) }
func (m *turboMessage) String() string {
	return C.GoString(&m[0])
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
