package codecs_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// fuzzCodecs are codecs of both wire formats, each with the contract's fast path and without
// it (goavro): [confluent fast, confluent goavro, single fast, single goavro]. The registry
// knows schema ids 1 (the contract's) and 2 (v2).
func fuzzCodecs[T any](f *testing.F, topic string, c schemas.Contract[T], v2 string) [4]*codecs.Avro[T] {
	f.Helper()
	ctx := context.Background()
	reg := &memRegistry{}
	var out [4]*codecs.Avro[T]
	for i, r := range []codecs.Registry{reg, reg, nil, nil} {
		cc := c
		if i%2 == 1 {
			cc = withoutFastPath(c)
		}
		a, err := codecs.NewAvro(ctx, topic, cc, r)
		if err != nil {
			f.Fatal(err)
		}
		out[i] = a
	}
	if _, err := reg.Register(ctx, "v2", v2); err != nil {
		f.Fatal(err)
	}
	return out
}

// seed adds the encodings of vs in both formats, and some of their prefixes.
func seed[T any](f *testing.F, vs []T, as [4]*codecs.Avro[T]) {
	for _, a := range []*codecs.Avro[T]{as[0], as[2]} {
		for _, v := range vs {
			data, err := a.Encode(v)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			f.Add(data[:len(data)/2])
			f.Add(data[:11])
		}
	}
}

// fuzzDecode checks the decoders' invariant on data: Decode never panics; it returns a value
// or an error wrapping ErrMalformed, ErrUnknownSchema or ErrIncompatible; the fast path and the
// goavro path agree on the error or the value; and a value Decode returns encodes to a message
// that decodes to an equal value.
func fuzzDecode[T any](t *testing.T, data []byte, equal func(a, b T) bool, as [4]*codecs.Avro[T]) {
	for i := 0; i < 4; i += 2 {
		fast, errFast := as[i].Decode(data)
		slow, errSlow := as[i+1].Decode(data)
		for _, err := range []error{errFast, errSlow} {
			if err != nil && !errors.Is(err, codecs.ErrMalformed) && !errors.Is(err, codecs.ErrUnknownSchema) && !errors.Is(err, codecs.ErrIncompatible) {
				t.Fatalf("Decode error of no known kind: %v", err)
			}
		}
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("fast and goavro paths disagree:\nfast:   %v\ngoavro: %v", errFast, errSlow)
		}
		if errFast != nil {
			continue
		}
		if !equal(fast, slow) {
			t.Fatalf("fast and goavro paths read different values:\n%+v\n%+v", fast, slow)
		}
		again, err := as[i].Encode(fast)
		if err != nil {
			t.Fatalf("re-encode of a decoded value: %v\nvalue %+v", err, fast)
		}
		back, err := as[i].Decode(again)
		if err != nil {
			t.Fatalf("decode of a re-encoded value: %v", err)
		}
		if !equal(fast, back) {
			t.Fatalf("round trip of a decoded value changed it:\n%+v\n%+v", fast, back)
		}
	}
}

// FuzzDecodeFrame: for any bytes, Decode of a Frame in either wire format never panics nor
// allocates beyond what the bytes can hold; it returns a Frame or an error wrapping
// ErrMalformed, ErrUnknownSchema or ErrIncompatible; the contract's fast path and goavro agree;
// and a Frame it returns survives a round trip unchanged.
func FuzzDecodeFrame(f *testing.F) {
	as := fuzzCodecs(f, "frames", schemas.FrameContract(), `"string"`)
	small := frame()
	small.Image = small.Image[:64]
	seed(f, []schemas.Frame{small, tinyFrame, {}}, as)
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 2, 6, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, func(a, b schemas.Frame) bool { return reflect.DeepEqual(a, b) }, as)
	})
}

// FuzzDecodeKeypointEvent: the invariant of FuzzDecodeFrame for KeypointEvent, whose registry
// id 2 is a v2 schema with an added field. Values are compared by their encodings, which are
// deterministic (no maps) and keep NaN payloads.
func FuzzDecodeKeypointEvent(f *testing.F) {
	as := fuzzCodecs(f, "keypoints", schemas.KeypointEventContract(), keypointsV2(f).Schema.Text())
	seed(f, []schemas.KeypointEvent{keypoints(false), noPerson()}, as)
	f.Fuzz(func(t *testing.T, data []byte) {
		equal := func(a, b schemas.KeypointEvent) bool {
			x, err1 := as[2].Encode(a)
			y, err2 := as[2].Encode(b)
			return err1 == nil && err2 == nil && bytes.Equal(x, y)
		}
		fuzzDecode(t, data, equal, as)
	})
}
