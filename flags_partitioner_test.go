package main

import (
	"io"
	"strings"
	"testing"

	"github.com/holostream/holostream/kafka"
)

// TestClusterFlagsPartitioner: murmur2 unless --partitioner or $HOLOSTREAM_PARTITIONER says
// fnv1a; anything else is refused before any connection, naming the flag.
func TestClusterFlagsPartitioner(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want kafka.Partitioner
		err  string
	}{
		{want: kafka.Murmur2},
		{args: []string{"--partitioner", "fnv1a"}, want: kafka.FNV1a},
		{env: "fnv1a", want: kafka.FNV1a},
		{env: "fnv1a", args: []string{"--partitioner", "murmur2"}, want: kafka.Murmur2},
		{args: []string{"--partitioner", "consistent_random"}, err: "--partitioner"},
	} {
		t.Setenv("HOLOSTREAM_PARTITIONER", tc.env)
		var cf clusterFlags
		fs := newFlagSet("test", "test", io.Discard)
		cf.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		c, err := cf.kafka("test")
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("env %q args %v: err %v, want %q", tc.env, tc.args, err, tc.err)
			}
		case err != nil || c.Partitioner != tc.want:
			t.Errorf("env %q args %v: partitioner %q (%v), want %q", tc.env, tc.args, c.Partitioner, err, tc.want)
		}
	}
}
