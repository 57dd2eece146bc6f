package model

/*
#cgo LDFLAGS: -ltensorflowlite_c
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// The TFLite 2.9.0 library from tfjs-tflite-node lays TfLiteXNNPackDelegateOptions out in 8 bytes
// (num_threads, flags), while the 2.9.0 header declares 16: declaring the struct from that header
// and returning it by value corrupts memory (seen as crashes in the interpreter that uses it).
// Declare the layout the library was built with instead.
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

// hs_xnnpack_create_quiet is hs_xnnpack_create with the process's stderr sent to /dev/null while
// the delegate is made: the library logs "INFO: Created TensorFlow Lite XNNPACK delegate for
// CPU." there on the first creation, with no way to turn it off through its C API, and every
// command's stderr would start with it. Whatever else is written to fd 2 in that moment is lost
// too, so it is used once, while a model opens.
static TfLiteDelegate* hs_xnnpack_create_quiet(int32_t threads) {
	fflush(stderr);
	int saved = dup(2);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || devnull < 0) {
		if (saved >= 0) close(saved);
		if (devnull >= 0) close(devnull);
		return hs_xnnpack_create(threads);
	}
	dup2(devnull, 2);
	TfLiteDelegate* d = hs_xnnpack_create(threads);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(devnull);
	return d;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

// xnnpack is an XNNPACK delegate. It satisfies go-tflite's delegates.Delegater so it can be
// added to interpreter options; it must outlive every interpreter that uses it.
type xnnpack struct{ d *C.TfLiteDelegate }

// firstDelegate is the process's first XNNPACK delegate, the only one the library announces on
// stderr (it logs once per process). A process-wide fact, so process-wide state.
var firstDelegate sync.Mutex

var delegateMade bool

func newXNNPACK(threads int) (*xnnpack, error) {
	firstDelegate.Lock()
	var d *C.TfLiteDelegate
	if !delegateMade {
		d = C.hs_xnnpack_create_quiet(C.int32_t(threads))
		delegateMade = d != nil
	} else {
		d = C.hs_xnnpack_create(C.int32_t(threads))
	}
	firstDelegate.Unlock()
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
