package landmarks

import (
	"testing"

	"github.com/holostream/holostream/model"
)

// realisticState is a camera mid-stream: every filter of the track in use.
func realisticState() *CameraState {
	st := &CameraState{HasSeq: true, LastSeq: 1234}
	st.Track.ROI = &model.Rect{XCenter: 0.5, YCenter: 0.5, Width: 0.3, Height: 0.4, Rotation: 0.1}
	fill := func(n int) []model.OneEuroState {
		s := make([]model.OneEuroState, n)
		for i := range s {
			s[i] = model.OneEuroState{LastTimeNs: 1795309779556332000 + int64(i), Frequency: 30.000001,
				X:  model.LowPassState{Initialized: true, Raw: 437.54156, Stored: 437.12345},
				DX: model.LowPassState{Initialized: true, Raw: 1.2345678, Stored: 0.9876543}}
		}
		return s
	}
	st.Track.Landmarks, st.Track.World, st.Track.Aux = fill(99), fill(99), fill(6)
	st.Track.Visibility = make([]model.LowPassState, 33)
	st.Track.WorldVisibility = make([]model.LowPassState, 33)
	return st
}

// BenchmarkStateCodec is the table's cost per frame: goka decodes the camera's state when the
// callback reads it and encodes it when the callback writes it back.
func BenchmarkStateCodec(b *testing.B) {
	st := realisticState()
	data, err := StateCodec{}.Encode(st)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(data)), "bytes")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := StateCodec{}.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if data, err = (StateCodec{}).Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}
