package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// canonicalForm is the Parsing Canonical Form of a schema's JSON text (Avro specification,
// "Transforming into Parsing Canonical Form"): [PRIMITIVES] primitives in their simple form,
// [FULLNAMES] full names and no namespaces, [STRIP] only type, name, fields, symbols, items,
// values and size, [ORDER] in that order, [STRINGS] no escapes, [INTEGERS] plain integers,
// [WHITESPACE] none. goavro's own CanonicalSchema keeps logical types ({"type":"long"} for a
// timestamp; goavro issue 174), which would make fingerprints differ from other Avro
// implementations', so holostream computes the form itself.
func canonicalForm(text []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeCanonical(&b, v, ""); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeCanonical(b *strings.Builder, v any, ns string) error {
	switch t := v.(type) {
	case string:
		if !isPrimitive(t) {
			t = qualify(t, ns)
		}
		writeString(b, t)
		return nil
	case []any:
		b.WriteByte('[')
		for i, branch := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, branch, ns); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case map[string]any:
		return writeComplex(b, t, ns)
	}
	return fmt.Errorf("unexpected schema JSON %T", v)
}

func writeComplex(b *strings.Builder, t map[string]any, ns string) error {
	typ, ok := t["type"].(string)
	if !ok {
		return writeCanonical(b, t["type"], ns) // {"type": {...}}
	}
	switch typ {
	case "record", "error", "enum", "fixed":
		return writeNamed(b, t, typ, ns)
	case "array":
		b.WriteString(`{"type":"array","items":`)
		if err := writeCanonical(b, t["items"], ns); err != nil {
			return err
		}
	case "map":
		b.WriteString(`{"type":"map","values":`)
		if err := writeCanonical(b, t["values"], ns); err != nil {
			return err
		}
	default: // a primitive, maybe with a logicalType or other attributes to strip
		return writeCanonical(b, typ, ns)
	}
	b.WriteByte('}')
	return nil
}

func writeNamed(b *strings.Builder, t map[string]any, typ, ns string) error {
	name, _ := t["name"].(string)
	if name == "" {
		return fmt.Errorf("%s without a name", typ)
	}
	if space, ok := t["namespace"].(string); ok && !strings.Contains(name, ".") {
		ns = space
	}
	full := qualify(name, ns)
	ns = ""
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		ns = full[:i]
	}
	b.WriteString(`{"name":`)
	writeString(b, full)
	b.WriteString(`,"type":`)
	writeString(b, typ)
	switch typ {
	case "enum":
		symbols, _ := t["symbols"].([]any)
		b.WriteString(`,"symbols":[`)
		for i, s := range symbols {
			if i > 0 {
				b.WriteByte(',')
			}
			str, _ := s.(string)
			writeString(b, str)
		}
		b.WriteByte(']')
	case "fixed":
		size, ok := t["size"].(json.Number)
		n, err := size.Int64()
		if !ok || err != nil {
			return errors.New("fixed without an integer size")
		}
		fmt.Fprintf(b, `,"size":%d`, n)
	default:
		fields, _ := t["fields"].([]any)
		b.WriteString(`,"fields":[`)
		for i, f := range fields {
			fm, _ := f.(map[string]any)
			fname, _ := fm["name"].(string)
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":`)
			writeString(b, fname)
			b.WriteString(`,"type":`)
			if err := writeCanonical(b, fm["type"], ns); err != nil {
				return err
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return nil
}

func isPrimitive(name string) bool {
	switch name {
	case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
		return true
	}
	return false
}

// qualify is the full name of name in namespace ns.
func qualify(name, ns string) string {
	if ns == "" || strings.Contains(name, ".") {
		return name
	}
	return ns + "." + name
}

// writeString writes s as a JSON string with only the escapes JSON requires.
func writeString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// rabin is the CRC-64-AVRO fingerprint of data (Avro specification, "Schema Fingerprints").
func rabin(data []byte) uint64 {
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
	for _, c := range data {
		fp = (fp >> 8) ^ table[byte(fp)^c]
	}
	return fp
}
