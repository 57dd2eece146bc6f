package codecs_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
	"github.com/lovoo/goka"
)

func TestBytes(t *testing.T) {
	t.Parallel()
	var c goka.Codec = codecs.Bytes{}
	tests := []struct {
		in      any
		want    []byte
		wantErr bool
	}{
		{[]byte("jpeg"), []byte("jpeg"), false},
		{[]byte(nil), nil, false},
		{nil, nil, false},
		{"a string", nil, true},
	}
	for i, tt := range tests {
		got, err := c.Encode(tt.in)
		if (err != nil) != tt.wantErr || !bytes.Equal(got, tt.want) {
			t.Errorf("%d: Encode(%v) = %q, %v", i, tt.in, got, err)
		}
	}
	for i, in := range [][]byte{nil, {}, []byte("jpeg")} {
		got, err := c.Decode(in)
		if b, ok := got.([]byte); err != nil || !ok || !bytes.Equal(b, in) {
			t.Errorf("%d: Decode(%q) = %#v, %v", i, in, got, err)
		}
	}
}

type cameraState struct {
	LastSeq int64
	ROI     [4]float32
	Counts  map[string]int64
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var c goka.Codec = codecs.JSON[cameraState]{}
	st := cameraState{LastSeq: 41, ROI: [4]float32{0.1, 0.2, 0.5, 0.7}, Counts: map[string]int64{"received": 42, "stale": 1}}
	for i, in := range []any{st, &st} {
		data, err := c.Encode(in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := c.Decode(data)
		if err != nil || !reflect.DeepEqual(got, &st) {
			t.Errorf("%d: Decode = %#v, %v", i, got, err)
		}
	}
	for i, in := range []any{nil, (*cameraState)(nil), 3} {
		if _, err := c.Encode(in); err == nil {
			t.Errorf("%d: Encode(%#v) succeeded", i, in)
		}
	}
	if _, err := c.Decode([]byte("{nope")); !errors.Is(err, codecs.ErrMalformed) {
		t.Errorf("Decode of bad JSON: %v, want ErrMalformed", err)
	}
}

func TestAvroAsGokaCodec(t *testing.T) {
	t.Parallel()
	a, err := codecs.NewAvro(context.Background(), "actions", schemas.ActionEventContract(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := a.Codec()
	ev := action()
	for i, in := range []any{ev, &ev} {
		data, err := c.Encode(in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := c.Decode(data)
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Errorf("%d: Decode = %#v, %v", i, got, err)
		}
	}
	for i, in := range []any{nil, (*schemas.ActionEvent)(nil), frame()} {
		if _, err := c.Encode(in); err == nil {
			t.Errorf("%d: Encode(%T) succeeded", i, in)
		}
	}
	if v, err := c.Decode([]byte{1, 2}); !errors.Is(err, codecs.ErrMalformed) || v != nil {
		t.Errorf("Decode of garbage = %v, %v; want nil, ErrMalformed", v, err)
	}
	bad := action()
	bad.Posture = "FLYING"
	if _, err := c.Encode(bad); err == nil {
		t.Error("Encode of a posture outside the enum succeeded")
	}
}

// TestAvroConcurrent encodes and decodes from many goroutines while the codec resolves writer
// schemas it has not seen (run with -race).
func TestAvroConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, u := newFakeRegistry(t, "")
	v2, err := codecs.NewAvro(ctx, "keypoints", keypointsV2(t), mustRegistry(t, u))
	if err != nil {
		t.Fatal(err)
	}
	v1, err := codecs.NewAvro(ctx, "keypoints", schemas.KeypointEventContract(), mustRegistry(t, u))
	if err != nil {
		t.Fatal(err)
	}
	ev := keypoints(false)
	data, err := v2.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 20 {
				got, err := v1.Decode(data)
				if err == nil && !reflect.DeepEqual(got, ev) {
					err = errors.New("decoded a different event")
				}
				if err == nil {
					_, err = v1.Encode(got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
