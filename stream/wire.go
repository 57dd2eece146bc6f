package stream

import (
	"context"
	"fmt"
	"strings"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
)

// Wire holds the Avro codec of every topic: registered with the Schema Registry when there is
// one (Confluent wire format), single-object encoded when not. Safe for concurrent use.
type Wire struct {
	Frames    *codecs.Avro[schemas.Frame]
	Keypoints *codecs.Avro[schemas.KeypointEvent]
	Actions   *codecs.Avro[schemas.ActionEvent]
	Stats     *codecs.Avro[schemas.PoseStats]
	DLQ       *codecs.Avro[schemas.DeadLetter]
}

// NewWire builds the codecs; with a registry URL it registers every schema, which fails early
// and clearly when a schema is incompatible with what the registry holds (codecs.ErrIncompatible).
func NewWire(ctx context.Context, topo Topology, registryURL string) (*Wire, error) {
	var reg codecs.Registry
	if registryURL != "" {
		var err error
		if reg, err = codecs.NewRegistry(registryURL); err != nil {
			return nil, err
		}
	}
	var w Wire
	var err error
	if w.Frames, err = codecs.NewAvro(ctx, string(topo.Frames), schemas.FrameContract(), reg); err != nil {
		return nil, err
	}
	if w.Keypoints, err = codecs.NewAvro(ctx, string(topo.Keypoints), schemas.KeypointEventContract(), reg); err != nil {
		return nil, err
	}
	if w.Actions, err = codecs.NewAvro(ctx, string(topo.Actions), schemas.ActionEventContract(), reg); err != nil {
		return nil, err
	}
	if w.Stats, err = codecs.NewAvro(ctx, string(topo.Stats), schemas.PoseStatsContract(), reg); err != nil {
		return nil, err
	}
	if w.DLQ, err = codecs.NewAvro(ctx, string(topo.DLQ), schemas.DeadLetterContract(), reg); err != nil {
		return nil, err
	}
	return &w, nil
}

// Decoder returns a function that decodes a topic's values to JSON-ready values: the events
// as they are, a frame without its image bytes (as base64 they would drown a terminal) but with
// their count.
func (w *Wire) Decoder(topo Topology, topic string) (func([]byte) (any, error), error) {
	switch topic {
	case string(topo.Frames), string(topo.Repartition): // the same records, forwarded
		return func(b []byte) (any, error) {
			f, err := w.Frames.Decode(b)
			if err != nil {
				return nil, err
			}
			f.Image = nil
			return struct {
				Frame      any `json:"frame"`
				ImageBytes int `json:"image_bytes"`
			}{f, len(b)}, nil
		}, nil
	case string(topo.Keypoints):
		return func(b []byte) (any, error) { return w.Keypoints.Decode(b) }, nil
	case string(topo.Actions):
		return func(b []byte) (any, error) { return w.Actions.Decode(b) }, nil
	case string(topo.Stats):
		return func(b []byte) (any, error) { return w.Stats.Decode(b) }, nil
	case string(topo.DLQ):
		return func(b []byte) (any, error) { return w.DLQ.Decode(b) }, nil
	}
	names := []string{}
	for _, s := range append(topo.Streams(), topo.Repartition) {
		names = append(names, string(s))
	}
	return nil, fmt.Errorf("unknown topic %q: want one of %s", topic, strings.Join(names, ", "))
}
