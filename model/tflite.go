package model

import (
	"fmt"
	"unsafe"

	"github.com/mattn/go-tflite"
)

// network is one loaded .tflite model; it can back many interpreters. Safe for concurrent use.
type network struct {
	name string
	m    *tflite.Model
	// custom is set instead of m for a model with MediaPipe's custom ops, which go-tflite cannot
	// register (attention_ops.go).
	custom *customModel
}

func loadNetwork(path, name string) (*network, error) {
	m := tflite.NewModelFromFile(path)
	if m == nil {
		return nil, fmt.Errorf("model: load %s from %s: not a readable TFLite model (run `make setup`)", name, path)
	}
	return &network{name: name, m: m}, nil
}

func (n *network) close() {
	if n.custom != nil {
		n.custom.delete()
		return
	}
	n.m.Delete()
}

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
	opts     *tflite.InterpreterOptions
	delegate *xnnpack
	it       *tflite.Interpreter
	// custom replaces opts and it for a network with custom ops.
	custom  *customInterpreter
	input   []float32
	outputs [][]float32
}

func newInterpreter(n *network, threads int, in tensorSpec, outs []tensorSpec) (*interpreter, error) {
	x, err := newXNNPACK(threads)
	if err != nil {
		return nil, err
	}
	ip := &interpreter{net: n, delegate: x}
	if n.custom != nil {
		if ip.custom, err = newCustomInterpreter(n.custom, threads, x); err != nil {
			ip.close()
			return nil, fmt.Errorf("model: %s: %w", n.name, err)
		}
	} else {
		ip.opts = tflite.NewInterpreterOptions()
		ip.opts.SetNumThread(threads)
		ip.opts.AddDelegate(x)
		if ip.it = tflite.NewInterpreter(n.m, ip.opts); ip.it == nil {
			ip.close()
			return nil, fmt.Errorf("model: %s: create interpreter failed", n.name)
		}
		if st := ip.it.AllocateTensors(); st != tflite.OK {
			ip.close()
			return nil, fmt.Errorf("model: %s: allocate tensors: %v", n.name, st)
		}
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

func goTensor(t *tflite.Tensor) *tensorView {
	if t == nil {
		return nil
	}
	return &tensorView{t.Name(), t.Type(), t.Shape(), t.Data(), int(t.ByteSize())}
}

// tensors lists the interpreter's input or output tensors.
func (ip *interpreter) tensors(outputs bool) []*tensorView {
	if ip.custom != nil {
		return ip.custom.tensors(outputs)
	}
	n, at := ip.it.GetInputTensorCount(), ip.it.GetInputTensor
	if outputs {
		n, at = ip.it.GetOutputTensorCount(), ip.it.GetOutputTensor
	}
	out := make([]*tensorView, n)
	for i := range out {
		out[i] = goTensor(at(i))
	}
	return out
}

// bind checks the model's tensors against the specs and keeps float32 views of them.
func (ip *interpreter) bind(in tensorSpec, outs []tensorSpec) error {
	ins := ip.tensors(false)
	if n := len(ins); n != 1 {
		return fmt.Errorf("model: %s: %d input tensors, want 1", ip.net.name, n)
	}
	if err := checkTensor(ip.net.name, "input", ins[0], in); err != nil {
		return err
	}
	ip.input = floats(ins[0])
	got := ip.tensors(true)
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
	if ip.custom != nil {
		if err := ip.custom.invoke(); err != nil {
			return fmt.Errorf("model: %s: %w", ip.net.name, err)
		}
		return nil
	}
	if st := ip.it.Invoke(); st != tflite.OK {
		return fmt.Errorf("model: %s: invoke: %v", ip.net.name, st)
	}
	return nil
}

func (ip *interpreter) close() {
	if ip.custom != nil {
		ip.custom.delete()
	}
	if ip.it != nil {
		ip.it.Delete()
	}
	if ip.opts != nil {
		ip.opts.Delete()
	}
	if ip.delegate != nil {
		ip.delegate.Delete()
	}
}
