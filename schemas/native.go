package schemas

import (
	"fmt"
	"time"
)

// goavro's native form of a value is map[string]any for a record, []any for an array, the
// single-entry map[string]any{branch: value} for a non-null union branch. The readers below take
// it tolerantly, for every record (see record.fromNative).

// anyMap is an Avro map in native form.
func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// reader reads one record's native form tolerantly: a missing field reads as its default,
// fields it does not ask for are ignored, Avro's promotions are accepted, and the first field
// of a type it cannot read is kept in err.
type reader struct {
	rec string // record name, for errors
	m   map[string]any
	err error
}

func (r *reader) fail(field string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("schemas: %s.%s: got %T, want %s", r.rec, field, v, want)
	}
}

// union is a field's value with a union's branch (goavro's map[string]any{branch: value})
// taken off; a field that is not a union is returned as is.
func (r *reader) union(field string) any {
	v := r.m[field]
	if u, ok := v.(map[string]any); ok && len(u) == 1 {
		for _, x := range u {
			return x
		}
	}
	return v
}

func (r *reader) str(field string) string {
	switch v := r.union(field).(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	default:
		r.fail(field, v, "string")
		return ""
	}
}

func (r *reader) bytes(field string) []byte {
	switch v := r.union(field).(type) {
	case nil:
		return nil
	case []byte:
		return v
	case string:
		return []byte(v)
	default:
		r.fail(field, v, "bytes")
		return nil
	}
}

func (r *reader) bool(field string) bool {
	switch v := r.union(field).(type) {
	case nil:
		return false
	case bool:
		return v
	default:
		r.fail(field, v, "boolean")
		return false
	}
}

func (r *reader) long(field string, def int64) int64 {
	switch v := r.union(field).(type) {
	case nil:
		return def
	case int64:
		return v
	case int32:
		return int64(v)
	default:
		r.fail(field, v, "long")
		return def
	}
}

func (r *reader) int(field string) int32 {
	switch v := r.union(field).(type) {
	case nil:
		return 0
	case int32:
		return v
	default:
		r.fail(field, v, "int")
		return 0
	}
}

func (r *reader) float(field string) float32 {
	f, ok := toFloat(r.union(field))
	if !ok {
		r.fail(field, r.union(field), "float")
	}
	return f
}

// toFloat reads a float, or a value Avro promotes to one; nil reads as 0.
func toFloat(v any) (float32, bool) {
	switch v := v.(type) {
	case nil:
		return 0, true
	case float32:
		return v, true
	case float64:
		return float32(v), true
	case int32:
		return float32(v), true
	case int64:
		return float32(v), true
	}
	return 0, false
}

// time reads a timestamp-micros; a writer without the logical type gives plain microseconds.
func (r *reader) time(field string) time.Time {
	switch v := r.union(field).(type) {
	case nil:
		return time.Time{}
	case time.Time:
		return v
	case int64:
		return time.UnixMicro(v).UTC()
	default:
		r.fail(field, v, "timestamp-micros")
		return time.Time{}
	}
}

// avroMap is a map field's entries; nil when absent or empty.
func (r *reader) avroMap(field, want string) map[string]any {
	m, ok := r.m[field].(map[string]any)
	if !ok && r.m[field] != nil {
		r.fail(field, r.m[field], want)
	}
	return m
}

// nativeMap reads an Avro map whose values conv turns into T; nil for an absent or empty map.
func nativeMap[T any](r *reader, field, want string, conv func(any) (T, bool)) map[string]T {
	m := r.avroMap(field, "map of "+want)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]T, len(m))
	for k, v := range m {
		x, ok := conv(v)
		if !ok {
			r.fail(field+"["+k+"]", v, want)
		}
		out[k] = x
	}
	return out
}
