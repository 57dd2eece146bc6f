package model

import (
	"errors"
	"fmt"

	"github.com/mattn/go-tflite"
)

// The go-tflite runtime (github.com/mattn/go-tflite), which runs every model of stock TFLite ops.

// goTFLiteModel is a model loaded by go-tflite.
type goTFLiteModel struct{ m *tflite.Model }

func loadNetwork(path, name string) (*network, error) {
	m := tflite.NewModelFromFile(path)
	if m == nil {
		return nil, fmt.Errorf("model: load %s from %s: not a readable TFLite model (run `make setup`)", name, path)
	}
	return &network{name: name, model: goTFLiteModel{m: m}}, nil
}

func (g goTFLiteModel) delete() { g.m.Delete() }

// goTFLiteInterpreter is a go-tflite interpreter and the options it was built with.
type goTFLiteInterpreter struct {
	opts *tflite.InterpreterOptions
	it   *tflite.Interpreter
}

func (g goTFLiteModel) newInterpreter(threads int, x *xnnpack) (runtimeInterpreter, error) {
	r := &goTFLiteInterpreter{opts: tflite.NewInterpreterOptions()}
	r.opts.SetNumThread(threads)
	r.opts.AddDelegate(x)
	if r.it = tflite.NewInterpreter(g.m, r.opts); r.it == nil {
		r.delete()
		return nil, errors.New("create interpreter failed")
	}
	if st := r.it.AllocateTensors(); st != tflite.OK {
		r.delete()
		return nil, fmt.Errorf("allocate tensors: %v", st)
	}
	return r, nil
}

func (r *goTFLiteInterpreter) tensors(outputs bool) []*tensorView {
	n, at := r.it.GetInputTensorCount(), r.it.GetInputTensor
	if outputs {
		n, at = r.it.GetOutputTensorCount(), r.it.GetOutputTensor
	}
	out := make([]*tensorView, n)
	for i := range out {
		if t := at(i); t != nil {
			out[i] = &tensorView{t.Name(), t.Type(), t.Shape(), t.Data(), int(t.ByteSize())}
		}
	}
	return out
}

func (r *goTFLiteInterpreter) invoke() error {
	if st := r.it.Invoke(); st != tflite.OK {
		return fmt.Errorf("invoke: %v", st)
	}
	return nil
}

func (r *goTFLiteInterpreter) delete() {
	if r.it != nil {
		r.it.Delete()
		r.it = nil
	}
	if r.opts != nil {
		r.opts.Delete()
		r.opts = nil
	}
}
