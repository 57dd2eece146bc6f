package schemas

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The Avro binary encoding (Avro specification, "Binary Encoding") written and read directly,
// without goavro's native maps: a KeypointEvent's 66 landmarks as maps cost ~450 allocations per
// message. The records (record.go) build the fast path of the contracts from these; the tests
// hold it to the same bytes and values as goavro with the native conversions.

// errTrailing, errShort: the data is longer or shorter than one value.
var (
	errShort    = errors.New("data ends early")
	errTrailing = errors.New("bytes after the value")
)

func appendMap[V any](buf []byte, m map[string]V, value func([]byte, V) []byte) []byte {
	if len(m) > 0 {
		buf = appendLong(buf, int64(len(m)))
		for k, v := range m {
			buf = value(appendString(buf, k), v)
		}
	}
	return appendLong(buf, 0)
}

// readMap reads a map; nil when empty, as the native conversions read it.
func readMap[V any](r *binReader, field string, value func(*binReader) V) map[string]V {
	var m map[string]V
	r.mapEntries(func(k string) {
		if m == nil {
			m = make(map[string]V)
		}
		if _, dup := m[k]; dup {
			r.fail(fmt.Errorf("%s: duplicate key: %q", field, k))
		}
		m[k] = value(r)
	})
	return m
}

// Writing.

// appendLong appends v as a zig-zag varint.
func appendLong(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func appendString(b []byte, s string) []byte { return append(appendLong(b, int64(len(s))), s...) }

func appendFloat(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime appends t as timestamp-micros, computed as goavro does so the bytes agree.
func appendTime(b []byte, t time.Time) []byte {
	return appendLong(b, t.Unix()*1e6+int64(t.Nanosecond()/1e3))
}

// Reading.

// binReader reads Avro binary values from b, keeping the first error; after one, reads return
// zero values. It never allocates more than the bytes left can hold.
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) fail(err error) {
	if r.err == nil {
		r.err = err
		r.b = nil
	}
}

// done is the read's error: the first, or trailing bytes.
func (r *binReader) done(record string) error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d %w", len(r.b), errTrailing)
	}
	if r.err != nil {
		return fmt.Errorf("schemas: read %s: %w", record, r.err)
	}
	return nil
}

func (r *binReader) long() int64 {
	var u uint64
	for i := 0; i < 10 && i < len(r.b); i++ {
		c := r.b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			r.b = r.b[i+1:]
			return int64(u>>1) ^ -int64(u&1)
		}
	}
	if len(r.b) >= 10 {
		r.fail(errors.New("varint longer than 10 bytes"))
	} else {
		r.fail(errShort)
	}
	return 0
}

func (r *binReader) int() int32 { return int32(r.long()) }

func (r *binReader) bool() bool {
	if len(r.b) < 1 {
		r.fail(errShort)
		return false
	}
	c := r.b[0]
	if c > 1 {
		r.fail(fmt.Errorf("boolean byte %d, want 0 or 1", c))
		return false
	}
	r.b = r.b[1:]
	return c == 1
}

func (r *binReader) float() float32 {
	if b := r.take(4); b != nil {
		return f32(b)
	}
	return 0
}

// bytes reads a length-prefixed byte string; the result shares memory with the data.
func (r *binReader) bytes() []byte {
	n := r.long()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > int64(len(r.b)) {
		r.fail(fmt.Errorf("length %d with %d bytes left", n, len(r.b)))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *binReader) str() string { return string(r.bytes()) }

func (r *binReader) time() time.Time {
	v := r.long()
	if r.err != nil {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// index reads an enum or union index in [0,n); -1 after an error.
func (r *binReader) index(n int) int {
	i := r.long()
	if r.err != nil {
		return -1
	}
	if i < 0 || i >= int64(n) {
		r.fail(fmt.Errorf("index %d out of [0,%d)", i, n))
		return -1
	}
	return int(i)
}

// blocks reads the blocks of an array or map, calling block with each block's item count;
// minSize is the least bytes an item takes, which bounds the counts the data may claim.
func (r *binReader) blocks(minSize int, block func(n int)) {
	for r.err == nil {
		count := r.long()
		if r.err != nil || count == 0 {
			return
		}
		if count < 0 {
			if count == math.MinInt64 {
				r.fail(fmt.Errorf("block count %d", count))
				return
			}
			count = -count
			r.long() // the block's size in bytes, not needed
		}
		if count > int64(len(r.b)/minSize) {
			r.fail(fmt.Errorf("block of %d items in %d bytes", count, len(r.b)))
			return
		}
		block(int(count))
	}
}

func (r *binReader) mapEntries(entry func(key string)) {
	r.blocks(2, func(n int) { // a key's length and a value take a byte each at least
		for i := 0; i < n && r.err == nil; i++ {
			entry(r.str())
		}
	})
}

// take consumes n bytes; nil when fewer are left.
func (r *binReader) take(n int) []byte {
	if len(r.b) < n {
		r.fail(errShort)
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func f32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
