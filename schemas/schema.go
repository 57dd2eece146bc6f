package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/linkedin/goavro/v2"
)

//go:embed *.avsc
var files embed.FS

// Schema is one parsed Avro schema. The zero Schema is not usable; get one from [Parse] or from
// [FrameSchema] and friends. A Schema is immutable and safe for concurrent use.
type Schema struct {
	name        string
	text        string
	canonical   string
	fingerprint uint64
	codec       *goavro.Codec
}

// Parse parses an Avro schema from its JSON text.
func Parse(text string) (Schema, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(text)); err != nil {
		return Schema{}, fmt.Errorf("schemas: parse: not JSON: %w", err)
	}
	codec, err := goavro.NewCodec(compact.String())
	if err != nil {
		return Schema{}, fmt.Errorf("schemas: parse: %w", err)
	}
	name, err := fullName(compact.Bytes())
	if err != nil {
		return Schema{}, err
	}
	canonical, err := canonicalForm(compact.Bytes())
	if err != nil {
		return Schema{}, fmt.Errorf("schemas: parse: canonical form: %w", err)
	}
	return Schema{name: name, text: compact.String(), canonical: canonical, fingerprint: rabin([]byte(canonical)), codec: codec}, nil
}

// fullName is the full name of a named schema ("holostream.v1.Frame"), or the type of an
// unnamed one ("string", "array").
func fullName(text []byte) (string, error) {
	var top struct {
		Type      any    `json:"type"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	}
	if err := json.Unmarshal(text, &top); err != nil {
		var s string // a bare primitive: "string"
		if json.Unmarshal(text, &s) == nil {
			return s, nil
		}
		return "union", nil // the only other valid top level: a JSON array
	}
	switch {
	case top.Name == "":
		return fmt.Sprint(top.Type), nil
	case top.Namespace == "" || strings.Contains(top.Name, "."):
		return top.Name, nil
	}
	return top.Namespace + "." + top.Name, nil
}

// Name is the schema's full name, e.g. "holostream.v1.Frame".
func (s Schema) Name() string { return s.name }

// Text is the schema's JSON text, compacted, with docs and defaults: what a registry stores.
func (s Schema) Text() string { return s.text }

// Canonical is the schema's Parsing Canonical Form (Avro specification, "Parsing Canonical Form
// for Schemas"): no docs, defaults, logical types or whitespace. Two schemas that read and write
// the same bytes have the same canonical form.
func (s Schema) Canonical() string { return s.canonical }

// Fingerprint is the CRC-64-AVRO (Rabin) fingerprint of the canonical form, as used by the
// single-object encoding (Avro specification, "Schema Fingerprints").
func (s Schema) Fingerprint() uint64 { return s.fingerprint }

// Codec is the goavro codec of the schema. It is safe for concurrent use.
func (s Schema) Codec() *goavro.Codec { return s.codec }

// embedded parses an embedded .avsc file once, on first use. The files are tested, so a
// failure is a build defect and panics.
func embedded(file string) func() Schema {
	return sync.OnceValue(func() Schema {
		text, err := files.ReadFile(file)
		if err != nil {
			panic(fmt.Sprintf("schemas: %s: %v", file, err))
		}
		s, err := Parse(string(text))
		if err != nil {
			panic(fmt.Sprintf("schemas: %s: %v", file, err))
		}
		return s
	})
}

var (
	frameSchema         = embedded("Frame.avsc")
	keypointEventSchema = embedded("KeypointEvent.avsc")
	actionEventSchema   = embedded("ActionEvent.avsc")
	poseStatsSchema     = embedded("PoseStats.avsc")
	deadLetterSchema    = embedded("DeadLetter.avsc")
)

// FrameSchema is Frame.avsc, holostream.v1.Frame.
func FrameSchema() Schema { return frameSchema() }

// KeypointEventSchema is KeypointEvent.avsc, holostream.v1.KeypointEvent.
func KeypointEventSchema() Schema { return keypointEventSchema() }

// ActionEventSchema is ActionEvent.avsc, holostream.v1.ActionEvent.
func ActionEventSchema() Schema { return actionEventSchema() }

// PoseStatsSchema is PoseStats.avsc, holostream.v1.PoseStats.
func PoseStatsSchema() Schema { return poseStatsSchema() }

// DeadLetterSchema is DeadLetter.avsc, holostream.v1.DeadLetter.
func DeadLetterSchema() Schema { return deadLetterSchema() }

// Contract ties a Go type to its schema and the conversions between the two; codecs builds a
// typed codec from it.
//
//   - ToNative gives goavro's native form of a value for Schema.
//   - FromNative reads a native form decoded with Schema or any schema BACKWARD compatible
//     with it (see the package doc), failing only when a field cannot be read as the Go type's.
//   - AppendBinary and ReadBinary, optional, are the fast path: the Avro binary encoding of a
//     value for Schema itself, without native maps. AppendBinary must append exactly the bytes
//     goavro writes for ToNative's form (up to the order of map entries), and ReadBinary read
//     exactly one value and give what FromNative gives for goavro's decoding; both fail where
//     goavro fails.
type Contract[T any] struct {
	Schema       Schema
	ToNative     func(T) map[string]any
	FromNative   func(map[string]any) (T, error)
	AppendBinary func(buf []byte, v T) ([]byte, error)
	ReadBinary   func(data []byte) (T, error)
}

// FrameContract is the contract of Frame.
func FrameContract() Contract[Frame] { return frameRecord.contract(FrameSchema()) }

// KeypointEventContract is the contract of KeypointEvent.
func KeypointEventContract() Contract[KeypointEvent] {
	return keypointEventRecord.contract(KeypointEventSchema())
}

// ActionEventContract is the contract of ActionEvent.
func ActionEventContract() Contract[ActionEvent] {
	return actionEventRecord.contract(ActionEventSchema())
}

// PoseStatsContract is the contract of PoseStats.
func PoseStatsContract() Contract[PoseStats] { return poseStatsRecord.contract(PoseStatsSchema()) }

// DeadLetterContract is the contract of DeadLetter.
func DeadLetterContract() Contract[DeadLetter] { return deadLetterRecord.contract(DeadLetterSchema()) }
