package codecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// TestEvolutionRegistry: a v2 KeypointEvent schema with an added optional field is registered
// as BACKWARD compatible, and data written with v2 is read by v1 codecs: one that registered v1
// and one that never saw v2 before the message (it fetches the writer schema once).
func TestEvolutionRegistry(t *testing.T) {
	t.Parallel()
	fake, fakeURL := newFakeRegistry(t, "")
	sf := srfake.New()
	t.Cleanup(sf.Close)
	for i, u := range []string{fakeURL, sf.URL()} {
		ctx := context.Background()
		reg := mustRegistry(t, u)
		v1, err := codecs.NewAvro(ctx, "keypoints", schemas.KeypointEventContract(), reg)
		if err != nil {
			t.Fatalf("%d: v1: %v", i, err)
		}
		v2, err := codecs.NewAvro(ctx, "keypoints", keypointsV2(t), reg)
		if err != nil {
			t.Fatalf("%d: v2: %v", i, err)
		}
		if v1.ID() == v2.ID() {
			t.Fatalf("%d: v1 and v2 share id %d", i, v1.ID())
		}
		freshV1, err := codecs.NewAvro(ctx, "keypoints", schemas.KeypointEventContract(), mustRegistry(t, u))
		if err != nil {
			t.Fatalf("%d: fresh v1: %v", i, err)
		}
		for _, ev := range []schemas.KeypointEvent{keypoints(false), keypoints(true), noPerson()} {
			data, err := v2.Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			for j, reader := range []*codecs.Avro[schemas.KeypointEvent]{v1, freshV1, v2} {
				got, err := reader.Decode(data)
				if err != nil {
					t.Fatalf("%d: reader %d: %v", i, j, err)
				}
				if !reflect.DeepEqual(got, ev) {
					t.Errorf("%d: reader %d read v2 data as %+v", i, j, got)
				}
			}
			// And the other way: v2 reads v1 data, the new field missing.
			old, _ := v1.Encode(ev)
			if got, err := v2.Decode(old); err != nil || !reflect.DeepEqual(got, ev) {
				t.Errorf("%d: v2 reading v1 data: %+v, %v", i, got, err)
			}
		}
		if i == 0 {
			if n := fake.count("GET /schemas/ids/2"); n != 1 {
				t.Errorf("fake registry: v2 fetched %d times, want once", n)
			}
			if c := fake.compatOf("keypoints-value"); c != "BACKWARD" {
				t.Errorf("fake registry: subject compatibility %q, want BACKWARD", c)
			}
		} else {
			resp, err := http.Get(sf.URL() + "/config/keypoints-value")
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct{ CompatibilityLevel string }
			_ = json.NewDecoder(resp.Body).Decode(&cfg)
			resp.Body.Close()
			if cfg.CompatibilityLevel != "BACKWARD" {
				t.Errorf("srfake: subject compatibility %q, want BACKWARD", cfg.CompatibilityLevel)
			}
		}
	}
}

// TestIncompatibleRefused: changes BACKWARD compatibility forbids are refused by the registry
// with ErrIncompatible and its reasons, at codec construction and by CheckCompatibility.
func TestIncompatibleRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v1 := schemas.KeypointEventContract()
	tests := []struct {
		name   string
		schema schemas.Schema
		reason string
	}{
		{"changed type", withField(t, v1.Schema, map[string]any{"name": "seq", "type": "string", "doc": "now a string"}), "TYPE_MISMATCH: /fields/seq"},
		{"required field added", withField(t, v1.Schema, map[string]any{"name": "fps", "type": "float", "doc": "no default"}), "MISSING_DEFAULT_VALUE: /fields/fps"},
	}
	for i, tt := range tests {
		_, u := newFakeRegistry(t, "")
		reg := mustRegistry(t, u)
		if _, err := codecs.NewAvro(ctx, "keypoints", v1, reg); err != nil {
			t.Fatalf("%d: v1: %v", i, err)
		}
		bad := schemas.Contract[schemas.KeypointEvent]{Schema: tt.schema, ToNative: v1.ToNative, FromNative: v1.FromNative}
		_, err := codecs.NewAvro(ctx, "keypoints", bad, reg)
		if !errors.Is(err, codecs.ErrIncompatible) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%d %s: NewAvro error %v, want ErrIncompatible saying %q", i, tt.name, err, tt.reason)
		}
		var re *codecs.RegistryError
		if !errors.As(err, &re) || re.Status != http.StatusConflict {
			t.Errorf("%d %s: error is not a 409 *RegistryError: %#v", i, tt.name, err)
		}
		err = reg.CheckCompatibility(ctx, "keypoints-value", tt.schema.Text())
		if !errors.Is(err, codecs.ErrIncompatible) || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%d %s: CheckCompatibility error %v, want ErrIncompatible saying %q", i, tt.name, err, tt.reason)
		}
		if err := reg.CheckCompatibility(ctx, "keypoints-value", keypointsV2(t).Schema.Text()); err != nil {
			t.Errorf("%d: CheckCompatibility of v2: %v", i, err)
		}
	}
}

// TestWriterOfAnotherType: a message whose writer schema is another record is not read as
// this codec's type.
func TestWriterOfAnotherType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := &memRegistry{}
	frames, err := codecs.NewAvro(ctx, "frames", schemas.FrameContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	kps, err := codecs.NewAvro(ctx, "keypoints", schemas.KeypointEventContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := frames.Encode(frame())
	if _, err := kps.Decode(data); !errors.Is(err, codecs.ErrIncompatible) {
		t.Errorf("KeypointEvent codec reading a Frame: %v, want ErrIncompatible", err)
	}
}

// TestEvolutionSingleObject: without a registry a reader knows the writer schemas it is given.
func TestEvolutionSingleObject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v2c := keypointsV2(t)
	v2, err := codecs.NewAvro(ctx, "", v2c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := keypoints(true)
	data, err := v2.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := codecs.NewAvro(ctx, "", schemas.KeypointEventContract(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Decode(data); !errors.Is(err, codecs.ErrUnknownSchema) {
		t.Errorf("v1 without v2 known: %v, want ErrUnknownSchema", err)
	}
	knowing, err := codecs.NewAvro(ctx, "", schemas.KeypointEventContract(), nil, codecs.WithWriterSchemas(v2c.Schema))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := knowing.Decode(data); err != nil || !reflect.DeepEqual(got, ev) {
		t.Errorf("v1 with v2 known: %+v, %v", got, err)
	}
	if _, err := codecs.NewAvro(ctx, "", schemas.KeypointEventContract(), nil, codecs.WithWriterSchemas(schemas.FrameSchema())); !errors.Is(err, codecs.ErrIncompatible) {
		t.Errorf("WithWriterSchemas(Frame) on a KeypointEvent codec: %v, want ErrIncompatible", err)
	}
}

func mustRegistry(t *testing.T, u string, opts ...codecs.RegistryOpt) codecs.Registry {
	t.Helper()
	reg, err := codecs.NewRegistry(u, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
