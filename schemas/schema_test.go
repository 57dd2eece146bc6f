package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/holostream/holostream/schemas"
)

func allSchemas() []schemas.Schema {
	return []schemas.Schema{schemas.FrameSchema(), schemas.KeypointEventSchema(), schemas.ActionEventSchema(), schemas.PoseStatsSchema(), schemas.DeadLetterSchema()}
}

func TestEmbeddedSchemas(t *testing.T) {
	t.Parallel()
	want := []string{"holostream.v1.Frame", "holostream.v1.KeypointEvent", "holostream.v1.ActionEvent", "holostream.v1.PoseStats", "holostream.v1.DeadLetter"}
	for i, s := range allSchemas() {
		if s.Name() != want[i] {
			t.Errorf("%d: Name() = %q, want %q", i, s.Name(), want[i])
		}
		if s.Codec() == nil || s.Canonical() == "" || s.Fingerprint() == 0 {
			t.Errorf("%d: %s: incomplete Schema", i, s.Name())
		}
		if strings.ContainsAny(s.Text(), "\n\t") {
			t.Errorf("%d: %s: Text() is not compact", i, s.Name())
		}
		if strings.Contains(s.Canonical(), "doc") || strings.Contains(s.Canonical(), "logicalType") {
			t.Errorf("%d: %s: canonical form keeps docs or logical types: %s", i, s.Name(), s.Canonical())
		}
	}
}

// TestSchemaConventions checks the house rules on every embedded schema: snake_case field
// names, a doc on every field and named type, times as timestamp-micros longs, and optional
// unions ["null", T] with default null.
func TestSchemaConventions(t *testing.T) {
	t.Parallel()
	for i, s := range allSchemas() {
		var v any
		if err := json.Unmarshal([]byte(s.Text()), &v); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		for _, problem := range conventionProblems(v, s.Name()) {
			t.Errorf("%d: %s", i, problem)
		}
	}
}

func conventionProblems(v any, path string) []string {
	var out []string
	switch t := v.(type) {
	case []any:
		for j, b := range t {
			out = append(out, conventionProblems(b, fmt.Sprintf("%s|%d", path, j))...)
		}
	case map[string]any:
		switch t["type"] {
		case "record", "enum":
			if d, _ := t["doc"].(string); d == "" {
				out = append(out, path+": named type without doc")
			}
			if t["type"] == "enum" {
				break
			}
			for _, f := range t["fields"].([]any) {
				f := f.(map[string]any)
				name := f["name"].(string)
				fp := path + "." + name
				if name != strings.ToLower(name) || strings.Contains(name, "-") {
					out = append(out, fp+": field name not snake_case")
				}
				if d, _ := f["doc"].(string); d == "" {
					out = append(out, fp+": field without doc")
				}
				if u, ok := f["type"].([]any); ok {
					def, has := f["default"]
					if u[0] != "null" || !has || def != nil {
						out = append(out, fp+`: union not ["null", T] with default null`)
					}
				}
				if strings.HasSuffix(name, "_at") || strings.HasPrefix(name, "window_") || name == "at" {
					if lt, _ := f["type"].(map[string]any); lt == nil || lt["logicalType"] != "timestamp-micros" || lt["type"] != "long" {
						out = append(out, fp+": time not a timestamp-micros long")
					}
				}
				out = append(out, conventionProblems(f["type"], fp)...)
			}
		case "array":
			out = append(out, conventionProblems(t["items"], path+"[]")...)
		}
	}
	return out
}

// specRabin is CRC-64-AVRO computed as the Avro specification's "Schema Fingerprints" section
// writes it, independently of goavro.
func specRabin(data []byte) uint64 {
	const empty = 0xc15d213aa4d7a795
	var table [256]uint64
	for i := range table {
		fp := uint64(i)
		for range 8 {
			fp = (fp >> 1) ^ (empty & -(fp & 1))
		}
		table[i] = fp
	}
	fp := uint64(empty)
	for _, b := range data {
		fp = (fp >> 8) ^ table[byte(fp)^b]
	}
	return fp
}

func TestRabinVectors(t *testing.T) {
	t.Parallel()
	// From Apache Avro's share/test/data/schema-tests.txt (signed there).
	tests := []struct {
		canonical string
		want      int64
	}{
		{`"null"`, 7195948357588979594},
		{`"boolean"`, -6970731678124411036},
		{`"int"`, 8247732601305521295},
		{`"string"`, -8142146995180207161},
		{`{"name":"foo","type":"fixed","size":15}`, 1756455273707447556},
		{`{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}`, 7843277075252814651},
	}
	for i, tt := range tests {
		if got := specRabin([]byte(tt.canonical)); got != uint64(tt.want) {
			t.Errorf("%d: specRabin(%s) = %d, want %d", i, tt.canonical, int64(got), tt.want)
		}
	}
}

// specCanonical is the Parsing Canonical Form of a schema's JSON, following the Avro
// specification's transformations ([PRIMITIVES], [FULLNAMES], [STRIP], [ORDER]) independently
// of goavro; the schemas here need no [STRINGS] or [INTEGERS] work.
func specCanonical(v any, ns string) string {
	switch t := v.(type) {
	case string:
		switch t {
		case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
			return `"` + t + `"`
		}
		if !strings.Contains(t, ".") && ns != "" {
			t = ns + "." + t
		}
		return `"` + t + `"`
	case []any:
		parts := make([]string, len(t))
		for i, b := range t {
			parts[i] = specCanonical(b, ns)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		switch typ := t["type"]; typ {
		case "record", "enum":
			full := t["name"].(string)
			if space, ok := t["namespace"].(string); ok && !strings.Contains(full, ".") {
				ns = space
			}
			if !strings.Contains(full, ".") && ns != "" {
				full = ns + "." + full
			}
			ns = full[:strings.LastIndex(full, ".")]
			out := fmt.Sprintf(`{"name":"%s","type":"%s",`, full, typ)
			if typ == "enum" {
				syms, _ := json.Marshal(t["symbols"])
				return out + `"symbols":` + string(syms) + "}"
			}
			var fields []string
			for _, f := range t["fields"].([]any) {
				f := f.(map[string]any)
				fields = append(fields, fmt.Sprintf(`{"name":"%s","type":%s}`, f["name"], specCanonical(f["type"], ns)))
			}
			return out + `"fields":[` + strings.Join(fields, ",") + "]}"
		case "array":
			return `{"type":"array","items":` + specCanonical(t["items"], ns) + "}"
		case "map":
			return `{"type":"map","values":` + specCanonical(t["values"], ns) + "}"
		default:
			return specCanonical(typ, ns)
		}
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

// TestFingerprint checks each schema's canonical form and fingerprint against values computed
// here from the specification, independently of goavro.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	for i, s := range allSchemas() {
		var v any
		if err := json.Unmarshal([]byte(s.Text()), &v); err != nil {
			t.Fatal(err)
		}
		if want := specCanonical(v, ""); s.Canonical() != want {
			t.Errorf("%d: %s: Canonical()\n got %s\nwant %s", i, s.Name(), s.Canonical(), want)
		}
		if want := specRabin([]byte(s.Canonical())); s.Fingerprint() != want {
			t.Errorf("%d: %s: Fingerprint() = %016x, want %016x", i, s.Name(), s.Fingerprint(), want)
		}
	}
}

// TestCanonicalVectors runs Parse on inputs of Apache Avro's share/test/data/schema-tests.txt and
// on logical types, which the Parsing Canonical Form strips (goavro does not: its issue 174).
func TestCanonicalVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		input, canonical string
		fingerprint      int64
	}{
		{`"null"`, `"null"`, 7195948357588979594},
		{`{"type":"int"}`, `"int"`, 8247732601305521295},
		{`{"type":"long","logicalType":"timestamp-micros"}`, `"long"`, -3434872931120570953},
		{`{"type":"fixed","name":"foo","size":15}`, `{"name":"foo","type":"fixed","size":15}`, 1756455273707447556},
		{`{"type":"record","name":"foo","doc":"x","fields":[{"name":"f1","type":"boolean","default":true}]}`,
			`{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}`, 7843277075252814651},
		{`{"type":"record","name":"foo","fields":[]}`, `{"name":"foo","type":"record","fields":[]}`, -4824392279771201922},
		{`["int","boolean"]`, `["int","boolean"]`, 5392556393470105090},
		{`{"namespace":"x.y","type":"record","name":"A","fields":[{"name":"b","type":{"type":"enum","name":"B","symbols":["C"]}},{"name":"c","type":"B"}]}`,
			`{"name":"x.y.A","type":"record","fields":[{"name":"b","type":{"name":"x.y.B","type":"enum","symbols":["C"]}},{"name":"c","type":"x.y.B"}]}`, 0},
	}
	for i, tt := range tests {
		s, err := schemas.Parse(tt.input)
		if err != nil {
			t.Errorf("%d: Parse: %v", i, err)
			continue
		}
		if s.Canonical() != tt.canonical {
			t.Errorf("%d: Canonical() = %s, want %s", i, s.Canonical(), tt.canonical)
		}
		if tt.fingerprint != 0 && s.Fingerprint() != uint64(tt.fingerprint) {
			t.Errorf("%d: Fingerprint() = %d, want %d", i, int64(s.Fingerprint()), tt.fingerprint)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		name    string
		wantErr bool
	}{
		{`{"type":"record","name":"A","namespace":"x.y","fields":[]}`, "x.y.A", false},
		{`{"type":"record","name":"z.A","namespace":"x.y","fields":[]}`, "z.A", false},
		{`{"type":"record","name":"A","fields":[]}`, "A", false},
		{`"string"`, "string", false},
		{`{"type":"array","items":"int"}`, "array", false},
		{`["null","int"]`, "union", false},
		{`{"type":"record","name":"A"`, "", true},
		{`{"type":"record","name":"A","fields":[{"name":"f","type":"nope"}]}`, "", true},
		{``, "", true},
	}
	for i, tt := range tests {
		s, err := schemas.Parse(tt.text)
		if (err != nil) != tt.wantErr {
			t.Errorf("%d: schemas.Parse(%s) error %v, want error %v", i, tt.text, err, tt.wantErr)
			continue
		}
		if err == nil && s.Name() != tt.name {
			t.Errorf("%d: schemas.Parse(%s).Name() = %q, want %q", i, tt.text, s.Name(), tt.name)
		}
	}
}
