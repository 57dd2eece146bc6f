package model

/*
#cgo LDFLAGS: -ltensorflowlite_c
#include <stdint.h>
#include <stdlib.h>

// The TFLite 2.9.0 library from tfjs-tflite-node lays TfLiteXNNPackDelegateOptions out in 8 bytes
// (num_threads, flags), while the 2.9.0 header declares 16: declaring the struct from that header
// and returning it by value corrupts memory (../shared/NOTES.md). Declare the layout the library
// was built with instead.
typedef struct {
	int32_t num_threads;
	uint32_t flags;
} hs_xnnpack_options;

typedef struct TfLiteDelegate TfLiteDelegate;

hs_xnnpack_options TfLiteXNNPackDelegateOptionsDefault(void);
TfLiteDelegate* TfLiteXNNPackDelegateCreate(const hs_xnnpack_options* options);
void TfLiteXNNPackDelegateDelete(TfLiteDelegate* delegate);

static TfLiteDelegate* hs_xnnpack_create(int32_t threads) {
	hs_xnnpack_options o = TfLiteXNNPackDelegateOptionsDefault();
	o.num_threads = threads;
	return TfLiteXNNPackDelegateCreate(&o);
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// xnnpack is an XNNPACK delegate. It satisfies go-tflite's delegates.Delegater so it can be
// added to interpreter options; it must outlive every interpreter that uses it.
type xnnpack struct{ d *C.TfLiteDelegate }

func newXNNPACK(threads int) (*xnnpack, error) {
	d := C.hs_xnnpack_create(C.int32_t(threads))
	if d == nil {
		return nil, errors.New("model: create XNNPACK delegate failed")
	}
	return &xnnpack{d: d}, nil
}

func (x *xnnpack) Ptr() unsafe.Pointer { return unsafe.Pointer(x.d) }

func (x *xnnpack) Delete() {
	if x.d != nil {
		C.TfLiteXNNPackDelegateDelete(x.d)
		x.d = nil
	}
}
