package model

/*
#cgo LDFLAGS: -ltensorflowlite_c -lm
#include <stdlib.h>
#include "tensorflow/lite/c/c_api.h"
#include "attention_ops.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/mattn/go-tflite"
)

// face_landmark_with_attention.tflite (refine_face_landmarks) holds three MediaPipe custom ops,
// Landmarks2TransformMatrix, TransformTensorBilinear and TransformLandmarks, version 2, that stock
// TFLite lacks: attention_ops.c implements them. go-tflite cannot register them: its
// InterpreterOptions hides the C pointer, and its ExpAddCustomOp frees the op's name while TFLite
// keeps a pointer to it (MutableOpResolver::AddCustom stores custom_name, which the XNNPACK
// delegate then reads). So a model with custom ops is loaded and run through the TFLite C API
// here, with the same XNNPACK delegate for the rest of its graph.

// customModel is a TfLiteModel loaded through the C API. Safe for concurrent use.
type customModel struct{ m *C.TfLiteModel }

func loadCustomNetwork(path, name string) (*network, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	m := C.TfLiteModelCreateFromFile(p)
	if m == nil {
		return nil, fmt.Errorf("model: load %s from %s: not a readable TFLite model (run `make setup`)", name, path)
	}
	return &network{name: name, custom: &customModel{m: m}}, nil
}

func (m *customModel) delete() { C.TfLiteModelDelete(m.m) }

// customInterpreter is an interpreter of a customModel with attention_ops.c's kernels
// registered. Not safe for concurrent use, like interpreter.
type customInterpreter struct {
	opts *C.TfLiteInterpreterOptions
	it   *C.TfLiteInterpreter
}

// newCustomInterpreter builds the interpreter and allocates its tensors; x must outlive it.
func newCustomInterpreter(m *customModel, threads int, x *xnnpack) (*customInterpreter, error) {
	c := &customInterpreter{opts: C.TfLiteInterpreterOptionsCreate()}
	if c.opts == nil {
		return nil, errors.New("create interpreter options failed")
	}
	C.TfLiteInterpreterOptionsSetNumThreads(c.opts, C.int32_t(threads))
	C.TfLiteInterpreterOptionsAddDelegate(c.opts, (*C.TfLiteDelegate)(x.Ptr()))
	C.hs_add_attention_ops((*C.struct_TfLiteInterpreterOptions)(unsafe.Pointer(c.opts)))
	if c.it = C.TfLiteInterpreterCreate(m.m, c.opts); c.it == nil {
		c.delete()
		return nil, errors.New("create interpreter failed (TFLite's message is on stderr)")
	}
	if st := C.TfLiteInterpreterAllocateTensors(c.it); st != C.kTfLiteOk {
		c.delete()
		return nil, fmt.Errorf("allocate tensors: %v", tflite.Status(st))
	}
	return c, nil
}

func (c *customInterpreter) tensors(outputs bool) []*tensorView {
	n := int(C.TfLiteInterpreterGetInputTensorCount(c.it))
	if outputs {
		n = int(C.TfLiteInterpreterGetOutputTensorCount(c.it))
	}
	out := make([]*tensorView, n)
	for i := range out {
		var t *C.TfLiteTensor
		if outputs {
			t = (*C.TfLiteTensor)(unsafe.Pointer(C.TfLiteInterpreterGetOutputTensor(c.it, C.int32_t(i))))
		} else {
			t = C.TfLiteInterpreterGetInputTensor(c.it, C.int32_t(i))
		}
		if t == nil {
			continue
		}
		shape := make([]int, int(C.TfLiteTensorNumDims(t)))
		for d := range shape {
			shape[d] = int(C.TfLiteTensorDim(t, C.int32_t(d)))
		}
		out[i] = &tensorView{C.GoString(C.TfLiteTensorName(t)), tflite.TensorType(C.TfLiteTensorType(t)), shape,
			C.TfLiteTensorData(t), int(C.TfLiteTensorByteSize(t))}
	}
	return out
}

func (c *customInterpreter) invoke() error {
	if st := C.TfLiteInterpreterInvoke(c.it); st != C.kTfLiteOk {
		return fmt.Errorf("invoke: %v", tflite.Status(st))
	}
	return nil
}

func (c *customInterpreter) delete() {
	if c.it != nil {
		C.TfLiteInterpreterDelete(c.it)
		c.it = nil
	}
	if c.opts != nil {
		C.TfLiteInterpreterOptionsDelete(c.opts)
		c.opts = nil
	}
}

// The kernels and the options parsers on plain Go values, for the tests: the interpreter calls
// the same C functions.

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
