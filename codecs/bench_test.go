package codecs_test

import (
	"context"
	"testing"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// keypointCases are a pose event (33 landmarks + 33 world landmarks) and a holistic one (pose,
// 468 face points, 2x21 hand points), through the contract's fast path and through goavro (the
// path of messages written with another schema version); and a pose event with 3 people (each
// 33+33), as a processor looking for several people emits it.
var keypointCases = []struct {
	name           string
	holistic, slow bool
	people         int
}{{"pose", false, false, 0}, {"holistic", true, false, 0}, {"pose-goavro", false, true, 0}, {"holistic-goavro", true, true, 0},
	{"pose-3people", false, false, 3}}

func benchCodec(b *testing.B, slow bool) *codecs.Avro[schemas.KeypointEvent] {
	b.Helper()
	c := schemas.KeypointEventContract()
	if slow {
		c = withoutFastPath(c)
	}
	a, err := codecs.NewAvro(context.Background(), "keypoints", c, &memRegistry{})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkKeypointEncode(b *testing.B) {
	for _, bc := range keypointCases {
		a := benchCodec(b, bc.slow)
		b.Run(bc.name, func(b *testing.B) {
			ev := withPeople(keypoints(bc.holistic), bc.people)
			data, _ := a.Encode(ev)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Encode(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkKeypointDecode(b *testing.B) {
	for _, bc := range keypointCases {
		a := benchCodec(b, bc.slow)
		b.Run(bc.name, func(b *testing.B) {
			data, err := a.Encode(withPeople(keypoints(bc.holistic), bc.people))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFrameDecode(b *testing.B) {
	a, err := codecs.NewAvro(context.Background(), "frames", schemas.FrameContract(), nil)
	if err != nil {
		b.Fatal(err)
	}
	data, err := a.Encode(frame())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
