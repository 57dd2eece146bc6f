package codecs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// registries are the modes a codec runs in: without a registry (single-object encoding) and
// with each registry implementation (Confluent wire format).
func registries(t *testing.T) []struct {
	name string
	reg  func() codecs.Registry
} {
	t.Helper()
	_, fakeURL := newFakeRegistry(t, "")
	fake := srfake.New()
	t.Cleanup(fake.Close)
	client := func(u string) func() codecs.Registry {
		return func() codecs.Registry {
			reg, err := codecs.NewRegistry(u)
			if err != nil {
				t.Fatal(err)
			}
			return reg
		}
	}
	return []struct {
		name string
		reg  func() codecs.Registry
	}{
		{"single-object", func() codecs.Registry { return nil }},
		{"fake-registry", client(fakeURL)},
		{"srfake", client(fake.URL())},
	}
}

// checkRoundTrip encodes v and decodes it with a codec of its own and with a second codec
// that has to resolve the writer schema afresh.
func checkRoundTrip[T any](t *testing.T, topic string, c schemas.Contract[T], newReg func() codecs.Registry, v, want T) {
	t.Helper()
	ctx := context.Background()
	enc, err := codecs.NewAvro(ctx, topic, c, newReg())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := codecs.NewAvro(ctx, topic, c, newReg())
	if err != nil {
		t.Fatal(err)
	}
	data, err := enc.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range []*codecs.Avro[T]{enc, dec} {
		got, err := a.Decode(data)
		if err != nil {
			t.Fatalf("codec %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("codec %d: round trip\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	local := frame()
	local.CapturedAt = time.Date(2025, 3, 14, 10, 26, 53, 589793999, time.FixedZone("CET", 3600))
	localWant := frame()
	localWant.CapturedAt = normalized(local.CapturedAt)
	tests := []struct {
		name string
		run  func(t *testing.T, reg func() codecs.Registry)
	}{
		{"Frame", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "frames", schemas.FrameContract(), reg, frame(), frame())
		}},
		{"Frame local time", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "frames", schemas.FrameContract(), reg, local, localWant)
		}},
		{"KeypointEvent pose", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "keypoints", schemas.KeypointEventContract(), reg, keypoints(false), keypoints(false))
		}},
		{"KeypointEvent holistic", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "keypoints", schemas.KeypointEventContract(), reg, keypoints(true), keypoints(true))
		}},
		{"KeypointEvent no person", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "keypoints", schemas.KeypointEventContract(), reg, noPerson(), noPerson())
		}},
		{"ActionEvent", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "actions", schemas.ActionEventContract(), reg, action(), action())
		}},
		{"PoseStats", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "pose-stats", schemas.PoseStatsContract(), reg, stats(), stats())
		}},
		{"DeadLetter", func(t *testing.T, reg func() codecs.Registry) {
			checkRoundTrip(t, "frames-dlq", schemas.DeadLetterContract(), reg, deadLetter(), deadLetter())
		}},
	}
	for _, mode := range registries(t) {
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%s/%d/%s", mode.name, i, tt.name), func(t *testing.T) {
				t.Parallel()
				tt.run(t, mode.reg)
			})
		}
	}
}

// tinyFrame and tinyFrameAvro are a Frame and its Avro binary encoding, worked out by hand from
// the specification: strings and bytes are a zig-zag varint length and the bytes, int and long
// zig-zag varints, timestamp-micros a long, an empty map a zero block count.
var (
	tinyFrame = schemas.Frame{CameraID: "c1", Seq: 1, CapturedAt: time.UnixMicro(2).UTC(), ContentType: "image/jpeg",
		Width: 640, Image: []byte{0xff}}
	tinyFrameAvro = slicesConcat(
		[]byte{0x04, 'c', '1'}, // camera_id "c1"
		[]byte{0x00},           // user_id ""
		[]byte{0x02},           // seq 1
		[]byte{0x04},           // captured_at 2 µs
		append([]byte{0x14}, "image/jpeg"...),
		[]byte{0x80, 0x0a}, // width 640
		[]byte{0x00},       // height 0
		[]byte{0x02, 0xff}, // image
		[]byte{0x00},       // attributes {}
	)
)

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestFramingBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := &memRegistry{}
	if _, err := reg.Register(ctx, "other-value", `"string"`); err != nil { // make frames' id 2
		t.Fatal(err)
	}
	confluent, err := codecs.NewAvro(ctx, "frames", schemas.FrameContract(), reg)
	if err != nil {
		t.Fatal(err)
	}
	single, err := codecs.NewAvro(ctx, "frames", schemas.FrameContract(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fp := schemas.FrameSchema().Fingerprint()
	tests := []struct {
		name  string
		codec *codecs.Avro[schemas.Frame]
		want  []byte
	}{
		{"confluent", confluent, slicesConcat([]byte{0x00, 0, 0, 0, 2}, tinyFrameAvro)},
		{"single-object", single, slicesConcat([]byte{0xC3, 0x01}, binary.LittleEndian.AppendUint64(nil, fp), tinyFrameAvro)},
	}
	for i, tt := range tests {
		got, err := tt.codec.Encode(tinyFrame)
		if err != nil {
			t.Fatalf("%d %s: %v", i, tt.name, err)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%d %s: Encode\n got % x\nwant % x", i, tt.name, got, tt.want)
		}
		back, err := tt.codec.Decode(tt.want)
		if err != nil || !reflect.DeepEqual(back, tinyFrame) {
			t.Errorf("%d %s: Decode = %+v, %v", i, tt.name, back, err)
		}
	}
	// franz-go's own reading of the Confluent header agrees.
	data, _ := confluent.Encode(tinyFrame)
	var h sr.ConfluentHeader
	id, rest, err := h.DecodeID(data)
	if err != nil || id != confluent.ID() || id != 2 || !bytes.Equal(rest, tinyFrameAvro) {
		t.Errorf("sr.ConfluentHeader.DecodeID = %d, % x, %v; want id 2 and the Avro body", id, rest, err)
	}
}

// TestEncodeMatchesGoavro checks that a whole realistic message is header + goavro's binary.
func TestEncodeMatchesGoavro(t *testing.T) {
	t.Parallel()
	c := schemas.KeypointEventContract()
	a, err := codecs.NewAvro(context.Background(), "keypoints", c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := keypoints(true)
	data, err := a.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	body, err := c.Schema.Codec().BinaryFromNative(nil, c.ToNative(ev))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data[10:], body) || binary.LittleEndian.Uint64(data[2:10]) != c.Schema.Fingerprint() {
		t.Errorf("Encode is not header + goavro binary")
	}
}

// withoutFastPath is c without AppendBinary and ReadBinary: the goavro path.
func withoutFastPath[T any](c schemas.Contract[T]) schemas.Contract[T] {
	c.AppendBinary, c.ReadBinary = nil, nil
	return c
}

// TestDecodeMalformed runs bad messages through the fast path (the contract's ReadBinary) and
// the goavro path (check, then goavro): both must say ErrMalformed (or ErrUnknownSchema).
func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mustAvro := func(a *codecs.Avro[schemas.KeypointEvent], err error) *codecs.Avro[schemas.KeypointEvent] {
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	kc := schemas.KeypointEventContract()
	reg := &memRegistry{}
	confluent := [2]*codecs.Avro[schemas.KeypointEvent]{
		mustAvro(codecs.NewAvro(ctx, "keypoints", kc, reg)), mustAvro(codecs.NewAvro(ctx, "keypoints", withoutFastPath(kc), reg))}
	single := [2]*codecs.Avro[schemas.KeypointEvent]{
		mustAvro(codecs.NewAvro(ctx, "keypoints", kc, nil)), mustAvro(codecs.NewAvro(ctx, "keypoints", withoutFastPath(kc), nil))}
	var frames [2]*codecs.Avro[schemas.Frame]
	var actions [2]*codecs.Avro[schemas.ActionEvent]
	for i, fast := range []bool{true, false} {
		fc, ac := schemas.FrameContract(), schemas.ActionEventContract()
		if !fast {
			fc, ac = withoutFastPath(fc), withoutFastPath(ac)
		}
		var err1, err2 error
		frames[i], err1 = codecs.NewAvro(ctx, "frames", fc, nil)
		actions[i], err2 = codecs.NewAvro(ctx, "actions", ac, nil)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
	}
	goodC, _ := confluent[0].Encode(keypoints(false))
	goodS, _ := single[0].Encode(keypoints(false))
	goodF, _ := frames[0].Encode(tinyFrame)
	// A frame whose attributes map claims 2^31 entries in one byte's space.
	hugeMap := append(bytes.Clone(goodF[:len(goodF)-1]), 0x80, 0x80, 0x80, 0x80, 0x10)
	// A keypoint event whose pose union index is 5 (there are 2 branches).
	badUnion := bytes.Clone(goodS)
	poseAt := bytes.Index(badUnion, []byte{0x02, 0x42}) // branch 1, then 33 landmarks (zig-zag 0x42)
	badUnion[poseAt] = 0x0a
	// An action whose kind is symbol 8 (there are 4): user_id "u", camera_id "c", seq 0, at 0, kind.
	badEnum, _ := actions[0].Encode(schemas.ActionEvent{UserID: "u", CameraID: "c", At: time.UnixMicro(0)})
	if !bytes.Equal(badEnum[10:16], []byte{2, 'u', 2, 'c', 0, 0}) {
		t.Fatalf("ActionEvent layout changed: % x", badEnum[10:16])
	}
	badEnum[16] = 0x10
	// A frame with a duplicate attribute, which goavro refuses.
	dupKey := slicesConcat(goodF[:len(goodF)-1], []byte{4, 2, 'k', 2, 'v', 2, 'k', 2, 'w', 0})

	tests := []struct {
		name    string
		decode  [2]func([]byte) error
		data    []byte
		want    error
		message string
	}{
		{"nil", decodeWith(confluent), nil, codecs.ErrMalformed, "0 bytes"},
		{"empty", decodeWith(single), []byte{}, codecs.ErrMalformed, "0 bytes"},
		{"short confluent", decodeWith(confluent), []byte{0, 0, 0}, codecs.ErrMalformed, "5-byte"},
		{"short single", decodeWith(single), []byte{0xC3, 0x01, 1}, codecs.ErrMalformed, "10-byte"},
		{"json", decodeWith(confluent), []byte(`{"camera_id":"c"}`), codecs.ErrMalformed, "magic byte 0x7b"},
		{"single-object to confluent", decodeWith(confluent), goodS, codecs.ErrMalformed, "without a schema registry"},
		{"confluent to single-object", decodeWith(single), goodC, codecs.ErrMalformed, "configure the schema registry"},
		{"header only", decodeWith(single), goodS[:10], codecs.ErrMalformed, "ends early"},
		{"truncated", decodeWith(confluent), goodC[:len(goodC)-1], codecs.ErrMalformed, ""},
		{"trailing byte", decodeWith(single), append(bytes.Clone(goodS), 0), codecs.ErrMalformed, "1 bytes after"},
		{"huge map", decodeWith(frames), hugeMap, codecs.ErrMalformed, "block of 2147483648 items"},
		{"duplicate key", decodeWith(frames), dupKey, codecs.ErrMalformed, `duplicate key: "k"`},
		{"bad union index", decodeWith(single), badUnion, codecs.ErrMalformed, "index 5 out of [0,2)"},
		{"bad enum index", decodeWith(actions), badEnum, codecs.ErrMalformed, "index 8 out of [0,4)"},
		{"control", decodeWith(frames), goodF, nil, ""},
		{"unknown fingerprint", decodeWith(single), goodF, codecs.ErrUnknownSchema, "WithWriterSchemas"},
		{"unknown id", decodeWith(confluent), []byte{0, 0, 0, 0, 99, 0}, codecs.ErrUnknownSchema, "id 99"},
	}
	for i, tt := range tests {
		for j, path := range []string{"fast", "goavro"} {
			err := tt.decode[j](tt.data)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%d %s, %s path: error %v, want %v", i, tt.name, path, err, tt.want)
				continue
			}
			if err != nil && !strings.Contains(err.Error(), tt.message) {
				t.Errorf("%d %s, %s path: error %q does not say %q", i, tt.name, path, err, tt.message)
			}
		}
	}
}

func decodeWith[T any](as [2]*codecs.Avro[T]) [2]func([]byte) error {
	var fs [2]func([]byte) error
	for i, a := range as {
		fs[i] = func(b []byte) error {
			_, err := a.Decode(b)
			return err
		}
	}
	return fs
}

// lookupRegistry registers in one registry and looks schemas up in another.
type lookupRegistry struct {
	codecs.Registry
	lookup codecs.Registry
}

func (r lookupRegistry) SchemaByID(ctx context.Context, id int) (string, error) {
	return r.lookup.SchemaByID(ctx, id)
}

// TestDecodeRegistryDown: a writer schema that cannot be fetched is a fault, not bad data.
func TestDecodeRegistryDown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	srv.Close()
	down, err := codecs.NewRegistry(srv.URL, codecs.WithRequestTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	a, err := codecs.NewAvro(context.Background(), "keypoints", schemas.KeypointEventContract(), lookupRegistry{&memRegistry{}, down})
	if err != nil {
		t.Fatal(err)
	}
	data, err := a.Encode(noPerson())
	if err != nil {
		t.Fatal(err)
	}
	data[4] = 7 // an id the codec has to look up
	_, err = a.Decode(data)
	if err == nil || errors.Is(err, codecs.ErrMalformed) || errors.Is(err, codecs.ErrUnknownSchema) {
		t.Fatalf("Decode with the registry down: %v, want a fault that is neither malformed nor unknown", err)
	}
	if !strings.Contains(err.Error(), srv.URL) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error %q does not name the registry URL or say unreachable", err)
	}
}
