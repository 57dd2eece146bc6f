package analytics

import (
	"testing"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// BenchmarkProcessEvent is the per-event cost of the analytics processor on a squat sequence
// (world and image landmarks, 10 s windows): "apply" is the logic alone (UserState.Apply);
// "loop" adds what goka does around it for each event with the JSON codecs: encode the event
// onto the loopback topic, decode it, decode the user's state, apply, encode the state and any
// output.
func BenchmarkProcessEvent(b *testing.B) {
	frames := squatFrames(worldSide, 1)
	period := frames[len(frames)-1].at + time.Second/30
	event := func(i int) schemas.KeypointEvent {
		f := frames[i%len(frames)]
		return worldSide.event("u", "c", int64(i), time.Duration(i/len(frames))*period+f.at, f.pose)
	}
	spec := WindowSpec{Size: 10 * time.Second, Grace: 2 * time.Second}

	b.Run("apply", func(b *testing.B) {
		b.ReportAllocs()
		var st UserState
		var out Output
		for i := 0; b.Loop(); i++ {
			ev := event(i)
			out.Reset()
			st.Apply("u", &ev, spec, &out)
		}
	})

	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		var (
			evCodec    codecs.JSON[schemas.KeypointEvent]
			stCodec    codecs.JSON[UserState]
			actCodec   codecs.JSON[schemas.ActionEvent]
			statsCodec codecs.JSON[schemas.PoseStats]
		)
		state, _ := stCodec.Encode(&UserState{})
		for i := 0; b.Loop(); i++ {
			ev := event(i)
			trim(&ev)
			loop, err := evCodec.Encode(&ev)
			if err != nil {
				b.Fatal(err)
			}
			v, err := evCodec.Decode(loop)
			if err != nil {
				b.Fatal(err)
			}
			s, err := stCodec.Decode(state)
			if err != nil {
				b.Fatal(err)
			}
			st := s.(*UserState)
			var out Output
			st.Apply("u", v.(*schemas.KeypointEvent), spec, &out)
			for _, a := range out.Actions {
				_, _ = actCodec.Encode(a)
			}
			for _, s := range out.Stats {
				_, _ = statsCodec.Encode(s)
			}
			if state, err = stCodec.Encode(st); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(state)), "state-bytes")
	})
}
