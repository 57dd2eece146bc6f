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
}

func loadNetwork(path, name string) (*network, error) {
	m := tflite.NewModelFromFile(path)
	if m == nil {
		return nil, fmt.Errorf("model: load %s from %s: not a readable TFLite model (run `make setup`)", name, path)
	}
	return &network{name: name, m: m}, nil
}

func (n *network) close() { n.m.Delete() }

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
	input    []float32
	outputs  [][]float32
}

func newInterpreter(n *network, threads int, in tensorSpec, outs []tensorSpec) (*interpreter, error) {
	x, err := newXNNPACK(threads)
	if err != nil {
		return nil, err
	}
	opts := tflite.NewInterpreterOptions()
	opts.SetNumThread(threads)
	opts.AddDelegate(x)
	ip := &interpreter{net: n, opts: opts, delegate: x}
	ip.it = tflite.NewInterpreter(n.m, opts)
	if ip.it == nil {
		ip.close()
		return nil, fmt.Errorf("model: %s: create interpreter failed", n.name)
	}
	if st := ip.it.AllocateTensors(); st != tflite.OK {
		ip.close()
		return nil, fmt.Errorf("model: %s: allocate tensors: %v", n.name, st)
	}
	if err := ip.bind(in, outs); err != nil {
		ip.close()
		return nil, err
	}
	return ip, nil
}

// bind checks the model's tensors against the specs and keeps float32 views of them.
func (ip *interpreter) bind(in tensorSpec, outs []tensorSpec) error {
	if n := ip.it.GetInputTensorCount(); n != 1 {
		return fmt.Errorf("model: %s: %d input tensors, want 1", ip.net.name, n)
	}
	t := ip.it.GetInputTensor(0)
	if err := checkTensor(ip.net.name, "input", t, in); err != nil {
		return err
	}
	ip.input = floats(t)
	if n := ip.it.GetOutputTensorCount(); n != len(outs) {
		return fmt.Errorf("model: %s: %d output tensors, want %d", ip.net.name, n, len(outs))
	}
	ip.outputs = make([][]float32, len(outs))
	for i, spec := range outs {
		t := ip.it.GetOutputTensor(i)
		if err := checkTensor(ip.net.name, fmt.Sprintf("output %d", i), t, spec); err != nil {
			return err
		}
		ip.outputs[i] = floats(t)
	}
	return nil
}

func checkTensor(model, which string, t *tflite.Tensor, want tensorSpec) error {
	if t == nil {
		return fmt.Errorf("model: %s: %s missing", model, which)
	}
	if t.Type() != tflite.Float32 {
		return fmt.Errorf("model: %s: %s %q is %v, want float32", model, which, t.Name(), t.Type())
	}
	got := t.Shape()
	bad := len(got) != len(want.shape)
	for i := 0; !bad && i < len(got); i++ {
		bad = got[i] != want.shape[i]
	}
	if bad || (want.name != "" && t.Name() != want.name) {
		return fmt.Errorf("model: %s: %s is %q %v, want %q %v", model, which, t.Name(), got, want.name, want.shape)
	}
	return nil
}

func floats(t *tflite.Tensor) []float32 {
	return unsafe.Slice((*float32)(t.Data()), t.ByteSize()/4)
}

// invoke runs the model on the current contents of ip.input.
func (ip *interpreter) invoke() error {
	if st := ip.it.Invoke(); st != tflite.OK {
		return fmt.Errorf("model: %s: invoke: %v", ip.net.name, st)
	}
	return nil
}

func (ip *interpreter) close() {
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
