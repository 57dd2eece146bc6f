package model

/*
#cgo LDFLAGS: -ltensorflowlite_c
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

// The TFLite C API runtime, for face_landmark_with_attention.tflite alone: its three MediaPipe
// custom ops (attention_ops.c) must be registered with the interpreter, and go-tflite cannot
// register them: its InterpreterOptions hides the C pointer, and its ExpAddCustomOp frees the op's
// name while TFLite keeps a pointer to it (MutableOpResolver::AddCustom stores custom_name, which
// the XNNPACK delegate then reads). So this model is loaded and run through the C API, with the
// same XNNPACK delegate for the rest of its graph.

// capiModel is a TfLiteModel loaded through the C API. Safe for concurrent use.
type capiModel struct{ m *C.TfLiteModel }

// loadCustomNetwork loads a model with MediaPipe's custom ops through the C API.
func loadCustomNetwork(path, name string) (*network, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	m := C.TfLiteModelCreateFromFile(p)
	if m == nil {
		return nil, fmt.Errorf("model: load %s from %s: not a readable TFLite model (run `make setup`)", name, path)
	}
	return &network{name: name, model: capiModel{m: m}}, nil
}

func (c capiModel) delete() { C.TfLiteModelDelete(c.m) }

// capiInterpreter is a C API interpreter with attention_ops.c's kernels registered, and the
// options it was built with.
type capiInterpreter struct {
	opts *C.TfLiteInterpreterOptions
	it   *C.TfLiteInterpreter
}

func (c capiModel) newInterpreter(threads int, x *xnnpack) (runtimeInterpreter, error) {
	r := &capiInterpreter{opts: C.TfLiteInterpreterOptionsCreate()}
	if r.opts == nil {
		return nil, errors.New("create interpreter options failed")
	}
	C.TfLiteInterpreterOptionsSetNumThreads(r.opts, C.int32_t(threads))
	C.TfLiteInterpreterOptionsAddDelegate(r.opts, (*C.TfLiteDelegate)(x.Ptr()))
	C.hs_add_attention_ops((*C.struct_TfLiteInterpreterOptions)(unsafe.Pointer(r.opts)))
	if r.it = C.TfLiteInterpreterCreate(c.m, r.opts); r.it == nil {
		r.delete()
		return nil, errors.New("create interpreter failed (TFLite's message is on stderr)")
	}
	if st := C.TfLiteInterpreterAllocateTensors(r.it); st != C.kTfLiteOk {
		r.delete()
		return nil, fmt.Errorf("allocate tensors: %v", tflite.Status(st))
	}
	return r, nil
}

func (r *capiInterpreter) tensors(outputs bool) []*tensorView {
	n := int(C.TfLiteInterpreterGetInputTensorCount(r.it))
	if outputs {
		n = int(C.TfLiteInterpreterGetOutputTensorCount(r.it))
	}
	out := make([]*tensorView, n)
	for i := range out {
		var t *C.TfLiteTensor
		if outputs {
			t = (*C.TfLiteTensor)(unsafe.Pointer(C.TfLiteInterpreterGetOutputTensor(r.it, C.int32_t(i))))
		} else {
			t = C.TfLiteInterpreterGetInputTensor(r.it, C.int32_t(i))
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

func (r *capiInterpreter) invoke() error {
	if st := C.TfLiteInterpreterInvoke(r.it); st != C.kTfLiteOk {
		return fmt.Errorf("invoke: %v", tflite.Status(st))
	}
	return nil
}

func (r *capiInterpreter) delete() {
	if r.it != nil {
		C.TfLiteInterpreterDelete(r.it)
		r.it = nil
	}
	if r.opts != nil {
		C.TfLiteInterpreterOptionsDelete(r.opts)
		r.opts = nil
	}
}
