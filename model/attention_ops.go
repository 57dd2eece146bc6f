package model

/*
#cgo LDFLAGS: -ltensorflowlite_c -lm
#include <stdlib.h>
#include "attention_ops.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// face_landmark_with_attention.tflite (refine_face_landmarks) holds three MediaPipe custom ops,
// Landmarks2TransformMatrix, TransformTensorBilinear and TransformLandmarks, version 2, that stock
// TFLite lacks: attention_ops.c implements them, and tflite_capi.go registers them with the
// interpreters of that model. This file calls the same C kernels and options parsers on plain Go
// values, for the tests.

// errFlex is a malformed or invalid custom-options buffer.
var errFlex = errors.New("model: bad custom options")

// cBytes copies b into C memory (nil for none), so the C side never holds a Go pointer; the
// caller frees it.
func cBytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(C.CBytes(b))
}

// l2mAttrs are Landmarks2TransformMatrix's options, as attention_ops.c parses them.
type l2mAttrs struct {
	LeftRotation, RightRotation int
	TargetRotation              float32
	OutputHeight, OutputWidth   int
	ScaleX, ScaleY              float32
	Subset                      []int
}

func parseL2M(opts []byte) (l2mAttrs, error) {
	buf := cBytes(opts)
	defer C.free(unsafe.Pointer(buf))
	var a C.hs_l2m_attrs
	if C.hs_l2m_parse(buf, C.size_t(len(opts)), &a) != 0 {
		return l2mAttrs{}, errFlex
	}
	defer C.hs_l2m_free(&a)
	out := l2mAttrs{int(a.left_rotation_idx), int(a.right_rotation_idx), float32(a.target_rotation_radians),
		int(a.output_height), int(a.output_width), float32(a.scale_x), float32(a.scale_y), nil}
	for _, v := range unsafe.Slice(a.subset, int(a.n_subset)) {
		out.Subset = append(out.Subset, int(v))
	}
	return out, nil
}

// landmarksToMatrix runs Landmarks2TransformMatrix with the options opts on landmarks lms (x, y,
// z each).
func landmarksToMatrix(opts []byte, lms []float32) ([16]float32, error) {
	var m [16]float32
	buf := cBytes(opts)
	defer C.free(unsafe.Pointer(buf))
	var a C.hs_l2m_attrs
	if C.hs_l2m_parse(buf, C.size_t(len(opts)), &a) != 0 {
		return m, errFlex
	}
	defer C.hs_l2m_free(&a)
	if int(C.hs_l2m_max_index(&a)) >= len(lms)/3 {
		return m, fmt.Errorf("model: landmark index out of range of %d", len(lms)/3)
	}
	C.hs_l2m_compute(&a, (*C.float)(&lms[0]), (*C.float)(&m[0]))
	return m, nil
}

// parseBilinear reads TransformTensorBilinear's output size.
func parseBilinear(opts []byte) (h, w int, err error) {
	buf := cBytes(opts)
	defer C.free(unsafe.Pointer(buf))
	var ch, cw C.int32_t
	if C.hs_bilinear_parse(buf, C.size_t(len(opts)), &ch, &cw) != 0 {
		return 0, 0, errFlex
	}
	return int(ch), int(cw), nil
}

// bilinear runs TransformTensorBilinear on the ih x iw x c tensor in with matrix m, giving an
// oh x ow x c tensor.
func bilinear(in []float32, ih, iw, c int, m [16]float32, oh, ow int) []float32 {
	out := make([]float32, oh*ow*c)
	if len(in) < ih*iw*c || len(out) == 0 {
		panic("model: bilinear: bad sizes")
	}
	C.hs_bilinear((*C.float)(&in[0]), C.int32_t(ih), C.int32_t(iw), C.int32_t(c), (*C.float)(&m[0]),
		(*C.float)(&out[0]), C.int32_t(oh), C.int32_t(ow))
	return out
}

// transformLandmarks runs TransformLandmarks on landmarks of dims (2 or 3) values each.
func transformLandmarks(in []float32, dims int, m [16]float32) []float32 {
	out := make([]float32, len(in))
	if len(in) == 0 {
		return out
	}
	C.hs_transform_landmarks((*C.float)(&in[0]), C.int32_t(len(in)/dims), C.int32_t(dims), (*C.float)(&m[0]), (*C.float)(&out[0]))
	return out
}
