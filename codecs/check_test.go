package codecs

import (
	"strings"
	"testing"
)

// TestCheck runs check on schemas holostream's own do not exercise: recursion, zero-byte items,
// fixed, deep nesting.
func TestCheck(t *testing.T) {
	t.Parallel()
	const list = `{"type":"record","name":"List","namespace":"t","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","List"]}]}`
	deep := strings.Repeat("\x02", 150) + "\x00" // 150 nodes of a list
	tests := []struct {
		schema string
		data   string
		err    string // "" for valid
	}{
		{list, "\x02\x02\x04\x00", ""},              // 1 -> 2
		{list, "\x02\x02\x04\x04", "union index 2"}, // bad branch
		{list, deep, "nest deeper"},
		{`{"type":"array","items":"null"}`, "\x80\x80\x04\x00", ""},                                        // 32768 nulls
		{`{"type":"array","items":"null"}`, "\x80\x80\x80\x01\x00", "empty items"},                         // 2^21 nulls
		{`{"type":"array","items":"null"}`, strings.Repeat("\xff\xff\x03\x00", 3) + "\x00", "empty items"}, // three blocks of 32768
		{`{"type":"array","items":"long"}`, "\x03\x02\x02\x04\x00", ""},                                    // block of -2 items, size 1
		{`{"type":"array","items":"long"}`, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "block count"},
		{`{"type":"fixed","name":"F","size":3}`, "abc", ""},
		{`{"type":"fixed","name":"F","size":3}`, "ab", "ends early"},
		{`{"type":"map","values":"boolean"}`, "\x02\x02k\x02\x00", "boolean byte 0x02"},
		{`{"type":"enum","name":"E","symbols":["A","B"]}`, "\x04", "enum index 2"},
		{`"double"`, "1234567", "ends early"},
		{`"string"`, "\x01", "length -1"},
		{`"long"`, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "longer than 10"},
	}
	for i, tt := range tests {
		s, err := compileShape(tt.schema)
		if err != nil {
			t.Fatalf("%d: compile: %v", i, err)
		}
		rest, err := check(s, []byte(tt.data))
		switch {
		case tt.err == "" && (err != nil || len(rest) != 0):
			t.Errorf("%d: check = %d bytes left, %v; want valid", i, len(rest), err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%d: check error %v, want one saying %q", i, err, tt.err)
		}
	}
}
