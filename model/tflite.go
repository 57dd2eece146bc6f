package model

import (
	"fmt"
	"unsafe"

	"github.com/mattn/go-tflite"
)

// Models run on one of two TFLite runtimes, each behind the two small interfaces below, so that
// the interpreter's methods call one thing whichever runtime holds the model:
//
//   - go-tflite (tflite_go.go), the runtime of every model but one: a design decision, it is the
//     binding the rest of the Go ecosystem uses and it needs no C of ours;
//   - TFLite's own C API (tflite_capi.go), for face_landmark_with_attention only, whose MediaPipe
//     custom ops (attention_ops.c) go-tflite cannot register.
//
// Both run the same library with the same XNNPACK delegate (xnnpack.go), which the interpreter
// owns and hands to its runtime.

// runtimeModel is a model loaded by one runtime. Safe for concurrent use: many interpreters share
// it.
type runtimeModel interface {
	// newInterpreter builds an interpreter of the model with delegate x and allocates its
	// tensors; x must outlive it.
	newInterpreter(threads int, x *xnnpack) (runtimeInterpreter, error)
	delete()
}

// runtimeInterpreter is one runtime's interpreter of a runtimeModel. Not safe for concurrent use.
type runtimeInterpreter interface {
	// tensors lists the input or output tensors.
	tensors(outputs bool) []*tensorView
	// invoke runs the model on the current contents of its input tensor.
	invoke() error
	delete()
}

// network is one loaded .tflite model; it can back many interpreters. Safe for concurrent use.
type network struct {
	name  string
	model runtimeModel
}

func (n *network) close() { n.model.delete() }

// tensorSpec is the shape a model's tensor must have; checked when an interpreter is built so a
// wrong or reordered model file fails at load, not with garbage landmarks.
type tensorSpec struct {
	name  string
	shape []int
}

// interpreter is one TFLite interpreter with the XNNPACK delegate. It is not safe for concurrent
// use: the pool in Landmarker hands each one to one goroutine at a time. Input and outputs are
// views of TFLite's own tensor buffers, valid until close.
type interpreter struct {
	net      *network
	delegate *xnnpack
	rt       runtimeInterpreter
	input    []float32
	outputs  [][]float32
}

func newInterpreter(n *network, threads int, in tensorSpec, outs []tensorSpec) (*interpreter, error) {
	x, err := newXNNPACK(threads)
	if err != nil {
		return nil, err
	}
	ip := &interpreter{net: n, delegate: x}
	if ip.rt, err = n.model.newInterpreter(threads, x); err != nil {
		ip.close()
		return nil, fmt.Errorf("model: %s: %w", n.name, err)
	}
	if err := ip.bind(in, outs); err != nil {
		ip.close()
		return nil, err
	}
	return ip, nil
}

// tensorView is what bind reads of one of an interpreter's tensors.
type tensorView struct {
	name  string
	typ   tflite.TensorType
	shape []int
	data  unsafe.Pointer
	bytes int
}

// bind checks the model's tensors against the specs and keeps float32 views of them.
func (ip *interpreter) bind(in tensorSpec, outs []tensorSpec) error {
	ins := ip.rt.tensors(false)
	if n := len(ins); n != 1 {
		return fmt.Errorf("model: %s: %d input tensors, want 1", ip.net.name, n)
	}
	if err := checkTensor(ip.net.name, "input", ins[0], in); err != nil {
		return err
	}
	ip.input = floats(ins[0])
	got := ip.rt.tensors(true)
	if n := len(got); n != len(outs) {
		return fmt.Errorf("model: %s: %d output tensors, want %d", ip.net.name, n, len(outs))
	}
	ip.outputs = make([][]float32, len(outs))
	for i, spec := range outs {
		if err := checkTensor(ip.net.name, fmt.Sprintf("output %d", i), got[i], spec); err != nil {
			return err
		}
		ip.outputs[i] = floats(got[i])
	}
	return nil
}

func checkTensor(model, which string, t *tensorView, want tensorSpec) error {
	if t == nil || t.data == nil {
		return fmt.Errorf("model: %s: %s missing", model, which)
	}
	if t.typ != tflite.Float32 {
		return fmt.Errorf("model: %s: %s %q is %v, want float32", model, which, t.name, t.typ)
	}
	got := t.shape
	bad := len(got) != len(want.shape)
	for i := 0; !bad && i < len(got); i++ {
		bad = got[i] != want.shape[i]
	}
	if bad || (want.name != "" && t.name != want.name) {
		return fmt.Errorf("model: %s: %s is %q %v, want %q %v", model, which, t.name, got, want.name, want.shape)
	}
	return nil
}

func floats(t *tensorView) []float32 {
	return unsafe.Slice((*float32)(t.data), t.bytes/4)
}

// invoke runs the model on the current contents of ip.input.
func (ip *interpreter) invoke() error {
	if err := ip.rt.invoke(); err != nil {
		return fmt.Errorf("model: %s: %w", ip.net.name, err)
	}
	return nil
}

// close deletes the runtime's interpreter, then the delegate it ran with.
func (ip *interpreter) close() {
	if ip.rt != nil {
		ip.rt.delete()
	}
	if ip.delegate != nil {
		ip.delegate.Delete()
	}
}
