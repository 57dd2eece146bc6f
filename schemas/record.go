package schemas

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// A record describes how a Go type is one Avro record: its fields in schema order, each declared
// once by a kind constructor below with its Avro name and the Go field it maps to. Both
// conversions of a contract derive from that one list: the Avro binary encoding written and read
// directly (the fast path, for the codec's own schema) and goavro's native form (map[string]any,
// for messages of other writer schemas), so the two cannot disagree on a field's name, order,
// default or conversion. The tests hold both to goavro's bytes and values.
type record[T any] struct {
	name   string // the record's name, for errors
	fields []field[T]
	// scratch holds the *scratch[T] that appendBinary and readBinary work in: the fields'
	// conversions are function values, so the value and reader they are given would otherwise
	// escape to the heap, two allocations a message the code written for each type did not make.
	scratch sync.Pool
}

type scratch[T any] struct {
	v T
	r binReader
}

func (rec *record[T]) getScratch() *scratch[T] {
	if s, ok := rec.scratch.Get().(*scratch[T]); ok {
		return s
	}
	return new(scratch[T])
}

// putScratch clears s, so that the pool keeps no message's memory alive, and returns it.
func (rec *record[T]) putScratch(s *scratch[T]) {
	*s = scratch[T]{}
	rec.scratch.Put(s)
}

// field is one field of a record of T: its Avro name and its four conversions, built by a kind
// constructor (stringField, enumField, ...) from an accessor of the Go field.
type field[T any] struct {
	name       string
	write      func(b []byte, v *T) ([]byte, error)
	read       func(r *binReader, v *T)
	toNative   func(v *T) any
	fromNative func(r *reader, v *T)
}

// appendBinary appends the Avro binary encoding of v to b.
func (rec *record[T]) appendBinary(b []byte, v T) ([]byte, error) {
	s := rec.getScratch()
	s.v = v
	b, err := rec.write(b, &s.v)
	rec.putScratch(s)
	return b, err
}

func (rec *record[T]) write(b []byte, v *T) ([]byte, error) {
	for i := range rec.fields {
		f := &rec.fields[i]
		var err error
		if b, err = f.write(b, v); err != nil {
			return b, fmt.Errorf("schemas: %s.%s %w", rec.name, f.name, err)
		}
	}
	return b, nil
}

// readBinary reads exactly one value written with the record's own schema. Byte fields share
// memory with data.
func (rec *record[T]) readBinary(data []byte) (T, error) {
	s := rec.getScratch()
	s.r.b = data
	rec.read(&s.r, &s.v)
	v, err := s.v, s.r.done(rec.name)
	rec.putScratch(s)
	return v, err
}

func (rec *record[T]) read(r *binReader, v *T) {
	for i := range rec.fields {
		rec.fields[i].read(r, v)
	}
}

// toNative is v in goavro's native form for the record's schema.
func (rec *record[T]) toNative(v T) map[string]any {
	m := make(map[string]any, len(rec.fields))
	for i := range rec.fields {
		m[rec.fields[i].name] = rec.fields[i].toNative(&v)
	}
	return m
}

// fromNative reads a value from goavro's native form, tolerantly (see the package doc): decoded
// with the record's schema or any schema BACKWARD compatible with it.
func (rec *record[T]) fromNative(m map[string]any) (T, error) {
	r := reader{rec: rec.name, m: m}
	var v T
	rec.readNative(&r, &v)
	return v, r.err
}

func (rec *record[T]) readNative(r *reader, v *T) {
	for i := range rec.fields {
		rec.fields[i].fromNative(r, v)
	}
}

// contract bundles the record's conversions with its schema.
func (rec *record[T]) contract(s Schema) Contract[T] {
	return Contract[T]{Schema: s, ToNative: rec.toNative, FromNative: rec.fromNative, AppendBinary: rec.appendBinary, ReadBinary: rec.readBinary}
}

// The kinds of field. Each takes the field's Avro name and a function giving the Go field of a
// value; a missing field reads as the Go zero value unless the kind says otherwise.

// stringField is an Avro string.
func stringField[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendString(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.str() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.str(name) },
	}
}

// optStringField is ["null", "string"]: the empty string is null.
func optStringField[T any](name string, get func(*T) *string) field[T] {
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			if s := *get(v); s != "" {
				return appendString(append(b, 2), s), nil // union branch 1 (zig-zag 2)
			}
			return append(b, 0), nil
		},
		read: func(r *binReader, v *T) {
			if r.index(2) == 1 {
				*get(v) = r.str()
			}
		},
		toNative: func(v *T) any {
			if s := *get(v); s != "" {
				return map[string]any{"string": s}
			}
			return nil
		},
		fromNative: func(r *reader, v *T) { *get(v) = r.str(name) },
	}
}

// bytesField is Avro bytes; what it reads shares memory with the data.
func bytesField[T any](name string, get func(*T) *[]byte) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendString(b, string(*get(v))), nil }, // no copy
		read:       func(r *binReader, v *T) { *get(v) = r.bytes() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.bytes(name) },
	}
}

// longField is an Avro long; a missing one reads as def, the schema's default.
func longField[T any](name string, def int64, get func(*T) *int64) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendLong(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.long() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.long(name, def) },
	}
}

// intField is an Avro int.
func intField[T any](name string, get func(*T) *int32) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendLong(b, int64(*get(v))), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.int() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.int(name) },
	}
}

// floatField is an Avro float.
func floatField[T any](name string, get func(*T) *float32) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendFloat(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.float() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.float(name) },
	}
}

// boolField is an Avro boolean.
func boolField[T any](name string, get func(*T) *bool) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendBool(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.bool() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.bool(name) },
	}
}

// timeField is a long with logicalType timestamp-micros.
func timeField[T any](name string, get func(*T) *time.Time) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendTime(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = r.time() },
		toNative:   func(v *T) any { return *get(v) },
		fromNative: func(r *reader, v *T) { *get(v) = r.time(name) },
	}
}

// enum is an Avro enum of Go type S.
type enum[S ~string] struct {
	name    string // the enum's name, for errors
	branch  string // its full name: its union branch in goavro's native form
	symbols []S    // in schema order: symbol i is i on the wire
	// def is the enum's default: the symbol the zero Go value is written as, and a symbol this
	// reader does not know reads as. "" when the enum has none: an unknown symbol is an error.
	def S
}

func (e *enum[S]) index(s S) int { return slices.Index(e.symbols, s) }

// known is s when it is one of the symbols, else the default ("" without one).
func (e *enum[S]) known(s S) (S, bool) {
	if e.index(s) >= 0 {
		return s, true
	}
	return e.def, e.def != ""
}

// enumField is an Avro enum; the zero value is written as the default.
func enumField[T any, S ~string](name string, e *enum[S], get func(*T) *S) field[T] {
	orDefault := func(s S) S {
		if s == "" {
			return e.def
		}
		return s
	}
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			s := *get(v)
			i := e.index(orDefault(s))
			if i < 0 {
				return b, fmt.Errorf("%q is not a symbol of %s", s, e.name)
			}
			return appendLong(b, int64(i)), nil
		},
		read: func(r *binReader, v *T) {
			if i := r.index(len(e.symbols)); i >= 0 {
				*get(v) = e.symbols[i]
			}
		},
		toNative: func(v *T) any { return string(orDefault(*get(v))) },
		fromNative: func(r *reader, v *T) {
			s, ok := e.known(S(r.str(name)))
			if !ok && r.err == nil {
				r.err = fmt.Errorf("schemas: %s.%s: unknown symbol %q, and %s has no default", r.rec, name, r.str(name), e.name)
			}
			*get(v) = s
		},
	}
}

// optEnumField is ["null", enum]: the empty string is null.
func optEnumField[T any, S ~string](name string, e *enum[S], get func(*T) *S) field[T] {
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			s := *get(v)
			if s == "" {
				return append(b, 0), nil
			}
			i := e.index(s)
			if i < 0 {
				return b, fmt.Errorf("%q is not a symbol of %s", s, e.name)
			}
			return appendLong(append(b, 2), int64(i)), nil
		},
		read: func(r *binReader, v *T) {
			if r.index(2) == 1 {
				if i := r.index(len(e.symbols)); i >= 0 {
					*get(v) = e.symbols[i]
				}
			}
		},
		toNative: func(v *T) any {
			if s := *get(v); s != "" {
				return map[string]any{e.branch: string(s)}
			}
			return nil
		},
		fromNative: func(r *reader, v *T) {
			if s := S(r.str(name)); s != "" {
				*get(v), _ = e.known(s)
			}
		},
	}
}

// values is the kind of an Avro map's values.
type values[V any] struct {
	avro   string // the Avro type, for errors
	write  func([]byte, V) []byte
	read   func(*binReader) V
	native func(any) (V, bool) // tolerant: Avro's promotions
}

var (
	stringValues = values[string]{"string", appendString, (*binReader).str,
		func(v any) (string, bool) { s, ok := v.(string); return s, ok }}
	floatValues = values[float32]{"float", appendFloat, (*binReader).float, toFloat}
	intValues   = values[int32]{"int", func(b []byte, v int32) []byte { return appendLong(b, int64(v)) }, (*binReader).int,
		func(v any) (int32, bool) { n, ok := v.(int32); return n, ok }}
)

// mapField is an Avro map; an empty one reads as nil.
func mapField[T, V any](name string, vals values[V], get func(*T) *map[string]V) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return appendMap(b, *get(v), vals.write), nil },
		read:       func(r *binReader, v *T) { *get(v) = readMap(r, name, vals.read) },
		toNative:   func(v *T) any { return anyMap(*get(v)) },
		fromNative: func(r *reader, v *T) { *get(v) = nativeMap(r, name, vals.avro, vals.native) },
	}
}

// optRecordField is ["null", R], a record defined inline: nil is null.
func optRecordField[T, R any](name, branch string, rec *record[R], get func(*T) **R) field[T] {
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			if p := *get(v); p != nil {
				return rec.write(append(b, 2), p)
			}
			return append(b, 0), nil
		},
		read: func(r *binReader, v *T) {
			if r.index(2) == 1 {
				p := new(R)
				rec.read(r, p)
				*get(v) = p
			}
		},
		toNative: func(v *T) any {
			if p := *get(v); p != nil {
				return map[string]any{branch: rec.toNative(*p)}
			}
			return nil
		},
		fromNative: func(r *reader, v *T) {
			switch x := r.union(name).(type) {
			case nil:
			case map[string]any:
				p, sub := new(R), reader{rec: rec.name, m: x}
				rec.readNative(&sub, p)
				if sub.err != nil && r.err == nil {
					r.err = fmt.Errorf("schemas: %s.%s: %w", r.rec, name, sub.err)
				}
				*get(v) = p
			default:
				r.fail(name, x, rec.name)
			}
		},
	}
}

// floatRecord describes a record of float fields only (Landmark, Point): the items of the
// landmark arrays, hundreds to an event. Its Go type is the description: a struct of float32
// fields whose json tags are the Avro names, in schema order (newFloatRecord checks it). The
// binary conversions take a slice of items as the floats it is made of, field after field, item
// after item, which keeps the fast path as fast as code written for each type (per-field calls
// made a holistic event 2x slower).
type floatRecord[E any] struct {
	name   string
	fields []string // the Avro names, in schema order: E's fields' json tags
}

// newFloatRecord describes E, which must be a struct of float32 fields only, without padding;
// anything else is a build defect and panics (at init, so every test catches it).
func newFloatRecord[E any](name string) *floatRecord[E] {
	t := reflect.TypeFor[E]()
	fr := &floatRecord[E]{name: name}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Float32 || f.Offset != uintptr(4*i) {
			panic(fmt.Sprintf("schemas: %s: field %s is not the float32 at offset %d", t, f.Name, 4*i))
		}
		fr.fields = append(fr.fields, strings.Split(f.Tag.Get("json"), ",")[0])
	}
	if t.Size() != uintptr(4*t.NumField()) {
		panic(fmt.Sprintf("schemas: %s: %d bytes for %d floats", t, t.Size(), t.NumField()))
	}
	return fr
}

// littleEndian: a float32's memory is its Avro encoding (IEEE 754, little-endian), as on amd64
// and arm64.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// floatsOf is items' memory as its floats (see newFloatRecord).
func (fr *floatRecord[E]) floatsOf(items []E) []float32 {
	if len(items) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&items[0])), len(items)*len(fr.fields))
}

func (fr *floatRecord[E]) appendItems(b []byte, items []E) []byte {
	if len(items) > 0 {
		b = appendLong(b, int64(len(items)))
		fs := fr.floatsOf(items)
		if littleEndian { // the floats' memory is their Avro encoding
			b = append(b, unsafe.Slice((*byte)(unsafe.Pointer(&fs[0])), 4*len(fs))...)
		} else {
			for _, x := range fs {
				b = appendFloat(b, x)
			}
		}
	}
	return appendLong(b, 0)
}

// readItems reads an array; never nil, as goavro's native form is never nil.
func (fr *floatRecord[E]) readItems(r *binReader) []E {
	out := []E{}
	size := 4 * len(fr.fields)
	r.blocks(size, func(count int) {
		b := r.take(count * size)
		if b == nil {
			return
		}
		out = slices.Grow(out, count)
		fs := fr.floatsOf(out[len(out) : len(out)+count])
		if littleEndian {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&fs[0])), 4*len(fs)), b)
		} else {
			for i := range fs {
				fs[i] = f32(b[4*i:])
			}
		}
		out = out[:len(out)+count]
	})
	return out
}

func (fr *floatRecord[E]) itemsToNative(items []E) []any {
	out := make([]any, len(items))
	fs, n := fr.floatsOf(items), len(fr.fields)
	for i := range items {
		m := make(map[string]any, n)
		for j, name := range fr.fields {
			m[name] = fs[i*n+j]
		}
		out[i] = m
	}
	return out
}

// itemsFromNative reads an array, v being the field's value with any union branch taken off;
// nil when absent.
func (fr *floatRecord[E]) itemsFromNative(r *reader, field string, v any) []E {
	items, ok := v.([]any)
	if !ok {
		if v != nil {
			r.fail(field, v, "array of "+fr.name)
		}
		return nil
	}
	out := make([]E, len(items))
	fs, n := fr.floatsOf(out), len(fr.fields)
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			r.fail(fmt.Sprintf("%s[%d]", field, i), it, fr.name)
			return nil
		}
		sub := reader{rec: fr.name, m: m}
		for j, name := range fr.fields {
			fs[i*n+j] = sub.float(name)
		}
		if sub.err != nil && r.err == nil {
			r.err = fmt.Errorf("schemas: %s.%s[%d]: %w", r.rec, field, i, sub.err)
		}
	}
	return out
}

// arrayField is an array of a floatRecord.
func arrayField[T, E any](name string, items *floatRecord[E], get func(*T) *[]E) field[T] {
	return field[T]{name: name,
		write:      func(b []byte, v *T) ([]byte, error) { return items.appendItems(b, *get(v)), nil },
		read:       func(r *binReader, v *T) { *get(v) = items.readItems(r) },
		toNative:   func(v *T) any { return items.itemsToNative(*get(v)) },
		fromNative: func(r *reader, v *T) { *get(v) = items.itemsFromNative(r, name, r.union(name)) },
	}
}

// optArrayField is ["null", array of a floatRecord]: nil is null, an empty slice [].
func optArrayField[T, E any](name string, items *floatRecord[E], get func(*T) *[]E) field[T] {
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			if s := *get(v); s != nil {
				return items.appendItems(append(b, 2), s), nil
			}
			return append(b, 0), nil
		},
		read: func(r *binReader, v *T) {
			if r.index(2) == 1 {
				*get(v) = items.readItems(r)
			}
		},
		toNative: func(v *T) any {
			if s := *get(v); s != nil {
				return map[string]any{"array": items.itemsToNative(s)}
			}
			return nil
		},
		fromNative: func(r *reader, v *T) { *get(v) = items.itemsFromNative(r, name, r.union(name)) },
	}
}

// recordArrayField is an array of a record defined inline (not a union: the field's default is
// []). An empty array is written as [] and reads as nil, as does a missing field.
func recordArrayField[T, R any](name string, rec *record[R], get func(*T) *[]R) field[T] {
	// Every kind of field takes a byte at least (a length, a count, an index, a varint; a float
	// four), which bounds the item counts the data may claim.
	minSize := max(len(rec.fields), 1)
	return field[T]{name: name,
		write: func(b []byte, v *T) ([]byte, error) {
			items := *get(v)
			if len(items) > 0 {
				b = appendLong(b, int64(len(items)))
				for i := range items {
					var err error
					if b, err = rec.write(b, &items[i]); err != nil {
						return b, fmt.Errorf("[%d]: %w", i, err)
					}
				}
			}
			return appendLong(b, 0), nil
		},
		read: func(r *binReader, v *T) {
			var out []R
			r.blocks(minSize, func(count int) {
				out = slices.Grow(out, count)
				for i := 0; i < count && r.err == nil; i++ {
					var zero R
					out = append(out, zero)
					rec.read(r, &out[len(out)-1]) // in place: a local would escape
				}
			})
			*get(v) = out
		},
		toNative: func(v *T) any {
			items := *get(v)
			out := make([]any, len(items))
			for i := range items {
				out[i] = rec.toNative(items[i])
			}
			return out
		},
		fromNative: func(r *reader, v *T) {
			var out []R
			switch x := r.union(name).(type) {
			case nil:
			case []any:
				for i, it := range x {
					m, ok := it.(map[string]any)
					if !ok {
						r.fail(fmt.Sprintf("%s[%d]", name, i), it, rec.name)
						break
					}
					out = append(out, *new(R))
					sub := reader{rec: rec.name, m: m}
					rec.readNative(&sub, &out[i])
					if sub.err != nil && r.err == nil {
						r.err = fmt.Errorf("schemas: %s.%s[%d]: %w", r.rec, name, i, sub.err)
					}
				}
			default:
				r.fail(name, x, "array of "+rec.name)
			}
			*get(v) = out
		},
	}
}
