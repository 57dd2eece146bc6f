package codecs

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A shape is an Avro schema compiled for check, which walks Avro binary data (Avro
// specification, "Binary Encoding") without allocating. goavro sizes arrays and maps by the
// block count written in the data, so ten bytes claiming 2^31 items would have it allocate
// gigabytes; check refuses what the remaining bytes cannot hold before goavro sees the data.
type shape struct {
	kind     kind
	children []*shape // record fields, union branches, array items or map values ([0])
	n        int      // enum: number of symbols; fixed: size in bytes
	empty    bool     // a value can encode to zero bytes (null, fixed 0, records of those)
}

// kind is an Avro type; int and long share their encoding, as do bytes and string.
type kind uint8

const (
	kindNull kind = iota
	kindBoolean
	kindLong
	kindFloat
	kindDouble
	kindBytes
	kindFixed
	kindEnum
	kindUnion
	kindRecord
	kindArray
	kindMap
)

// primitiveKind is the kind of a primitive type name.
func primitiveKind(name string) (kind, bool) {
	switch name {
	case "null":
		return kindNull, true
	case "boolean":
		return kindBoolean, true
	case "int", "long":
		return kindLong, true
	case "float":
		return kindFloat, true
	case "double":
		return kindDouble, true
	case "bytes", "string":
		return kindBytes, true
	}
	return 0, false
}

func (k kind) String() string {
	return [...]string{"null", "boolean", "long", "float", "double", "bytes", "fixed", "enum", "union", "record", "array", "map"}[k]
}

// Limits of check.
const (
	maxDepth = 100 // nesting of records, arrays, maps and unions in one value
	// emptyItems bounds the zero-byte items (nulls) a message may claim beyond its length.
	emptyItems = 1 << 16
)

// compileShape compiles the JSON text of a schema that goavro has already accepted.
func compileShape(text string) (*shape, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, err
	}
	c := shapeCompiler{names: make(map[string]*shape)}
	s, err := c.compile(v, "", 0)
	if err != nil {
		return nil, err
	}
	markEmpty(s, make(map[*shape]bool))
	return s, nil
}

type shapeCompiler struct{ names map[string]*shape }

func (c *shapeCompiler) compile(v any, ns string, depth int) (*shape, error) {
	if depth > maxDepth {
		return nil, errors.New("schema nests too deep")
	}
	switch t := v.(type) {
	case string:
		return c.named(t, ns)
	case []any:
		u := &shape{kind: kindUnion}
		for _, b := range t {
			s, err := c.compile(b, ns, depth+1)
			if err != nil {
				return nil, err
			}
			u.children = append(u.children, s)
		}
		return u, nil
	case map[string]any:
		return c.complex(t, ns, depth)
	}
	return nil, fmt.Errorf("unexpected schema JSON %T", v)
}

func (c *shapeCompiler) named(name, ns string) (*shape, error) {
	if k, ok := primitiveKind(name); ok {
		return &shape{kind: k}, nil
	}
	if s, ok := c.names[qualify(name, ns)]; ok {
		return s, nil
	}
	if s, ok := c.names[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// qualify is the full name of name in namespace ns.
func qualify(name, ns string) string {
	if ns == "" || strings.Contains(name, ".") {
		return name
	}
	return ns + "." + name
}

func (c *shapeCompiler) complex(t map[string]any, ns string, depth int) (*shape, error) {
	typ, ok := t["type"].(string)
	if !ok {
		return c.compile(t["type"], ns, depth+1) // {"type": {...}} or {"type": [...]}
	}
	switch typ {
	case "record", "error", "enum", "fixed":
		name, _ := t["name"].(string)
		if space, ok := t["namespace"].(string); ok && !strings.Contains(name, ".") {
			ns = space
		}
		full := qualify(name, ns)
		if i := strings.LastIndex(full, "."); i >= 0 {
			ns = full[:i]
		} else {
			ns = ""
		}
		s := &shape{kind: kindRecord}
		c.names[full] = s // before the fields: a record may refer to itself
		return s, c.fill(s, typ, t, ns, depth)
	case "array", "map":
		k, key := kindArray, "items"
		if typ == "map" {
			k, key = kindMap, "values"
		}
		item, err := c.compile(t[key], ns, depth+1)
		if err != nil {
			return nil, err
		}
		return &shape{kind: k, children: []*shape{item}}, nil
	}
	return c.named(typ, ns) // {"type": "long", "logicalType": ...}
}

// fill completes a named shape from its definition.
func (c *shapeCompiler) fill(s *shape, typ string, t map[string]any, ns string, depth int) error {
	switch typ {
	case "enum":
		s.kind = kindEnum
		symbols, _ := t["symbols"].([]any)
		s.n = len(symbols)
	case "fixed":
		s.kind = kindFixed
		size, _ := t["size"].(float64)
		s.n = int(size)
	default:
		fields, _ := t["fields"].([]any)
		for _, f := range fields {
			fm, _ := f.(map[string]any)
			fs, err := c.compile(fm["type"], ns, depth+1)
			if err != nil {
				return err
			}
			s.children = append(s.children, fs)
		}
	}
	return nil
}

// markEmpty sets empty on s and what it contains. A record on the current path counts as not
// empty: a record that contains itself directly cannot be written at all.
func markEmpty(s *shape, seen map[*shape]bool) bool {
	if seen[s] {
		return s.empty
	}
	seen[s] = true
	for _, c := range s.children {
		markEmpty(c, seen)
	}
	switch s.kind {
	case kindNull:
		s.empty = true
	case kindFixed:
		s.empty = s.n == 0
	case kindRecord:
		s.empty = true
		for _, c := range s.children {
			s.empty = s.empty && c.empty
		}
	}
	return s.empty
}

// check walks one value of shape s at the start of b, checking every length, count and index
// against the bytes left, and returns the bytes after it.
func check(s *shape, b []byte) ([]byte, error) {
	w := walker{empty: emptyItems}
	return w.walk(s, b, 0)
}

type walker struct{ empty int } // zero-byte items still allowed

var errShort = errors.New("data ends early")

func (w *walker) walk(s *shape, b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nest deeper than %d", maxDepth)
	}
	switch s.kind {
	case kindNull:
		return b, nil
	case kindBoolean:
		if len(b) < 1 {
			return nil, errShort
		}
		if b[0] > 1 {
			return nil, fmt.Errorf("boolean byte 0x%02x, want 0 or 1", b[0])
		}
		return b[1:], nil
	case kindLong:
		_, rest, err := varint(b)
		return rest, err
	case kindFloat:
		return skip(b, 4)
	case kindDouble:
		return skip(b, 8)
	case kindFixed:
		return skip(b, s.n)
	case kindBytes:
		return skipBytes(b)
	case kindEnum, kindUnion:
		return w.index(s, b, depth)
	case kindRecord:
		var err error
		for _, f := range s.children {
			if b, err = w.walk(f, b, depth+1); err != nil {
				return nil, err
			}
		}
		return b, nil
	case kindArray, kindMap:
		return w.blocks(s, b, depth)
	}
	return nil, fmt.Errorf("unknown kind %d", s.kind)
}

// index walks an enum's symbol index or a union's branch index and branch.
func (w *walker) index(s *shape, b []byte, depth int) ([]byte, error) {
	i, rest, err := varint(b)
	if err != nil {
		return nil, err
	}
	n := s.n
	if s.kind == kindUnion {
		n = len(s.children)
	}
	if i < 0 || i >= int64(n) {
		return nil, fmt.Errorf("%s index %d out of [0,%d)", s.kind, i, n)
	}
	if s.kind == kindEnum {
		return rest, nil
	}
	return w.walk(s.children[i], rest, depth+1)
}

// blocks walks an array's or map's blocks: a count, negative when a byte size follows, items,
// and a zero count at the end.
func (w *walker) blocks(s *shape, b []byte, depth int) ([]byte, error) {
	item := s.children[0]
	for {
		count, rest, err := varint(b)
		if err != nil {
			return nil, err
		}
		b = rest
		if count == 0 {
			return b, nil
		}
		if count < 0 {
			if count == -count { // math.MinInt64
				return nil, fmt.Errorf("%s block count %d", s.kind, count)
			}
			count = -count
			if _, b, err = varint(b); err != nil {
				return nil, err
			}
		}
		switch {
		case !item.empty || s.kind == kindMap: // every item takes at least a byte
			if count > int64(len(b)) {
				return nil, fmt.Errorf("%s block of %d items in %d bytes", s.kind, count, len(b))
			}
		case count > int64(w.empty):
			return nil, fmt.Errorf("%s block of %d empty items, more than %d", s.kind, count, w.empty)
		default:
			w.empty -= int(count)
		}
		for range count {
			if s.kind == kindMap {
				if b, err = skipBytes(b); err != nil {
					return nil, err
				}
			}
			if b, err = w.walk(item, b, depth+1); err != nil {
				return nil, err
			}
		}
	}
}

// varint reads a zig-zag varint of at most 10 bytes.
func varint(b []byte) (int64, []byte, error) {
	var u uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, nil, errShort
		}
		u |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return int64(u>>1) ^ -int64(u&1), b[i+1:], nil
		}
	}
	return 0, nil, errors.New("varint longer than 10 bytes")
}

func skip(b []byte, n int) ([]byte, error) {
	if len(b) < n {
		return nil, errShort
	}
	return b[n:], nil
}

func skipBytes(b []byte) ([]byte, error) {
	n, rest, err := varint(b)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(rest)) {
		return nil, fmt.Errorf("length %d with %d bytes left", n, len(rest))
	}
	return rest[n:], nil
}
