package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/stream"
)

// TestClusterFlagsSecurity: TLS and SASL settings from flags and HOLOSTREAM_* variables; the
// password only from HOLOSTREAM_SASL_PASSWORD or --sasl-password-file, never a flag.
func TestClusterFlagsSecurity(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		env      map[string]string
		args     []string
		parseErr string
		err      string
		want     func(kafka.Config) bool
	}{
		{args: nil, want: func(c kafka.Config) bool { return c.TLS == kafka.TLS{} && c.SASL == kafka.SASL{} }},
		{env: map[string]string{"HOLOSTREAM_SASL_PASSWORD": "from-env"},
			args: []string{"--tls", "--tls-ca", "ca.pem", "--tls-server-name", "kafka", "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "alice"},
			want: func(c kafka.Config) bool {
				return c.TLS == kafka.TLS{Enabled: true, CAFile: "ca.pem", ServerName: "kafka"} &&
					c.SASL == kafka.SASL{Mechanism: "SCRAM-SHA-512", User: "alice", Password: "from-env"}
			}},
		{env: map[string]string{"HOLOSTREAM_SASL_PASSWORD": "from-env"},
			args: []string{"--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "bob", "--sasl-password-file", pwFile},
			want: func(c kafka.Config) bool { return c.SASL.Password == "from-file" }},
		{env: map[string]string{"HOLOSTREAM_TLS": "true", "HOLOSTREAM_TLS_CERT": "c.pem", "HOLOSTREAM_TLS_KEY": "k.pem",
			"HOLOSTREAM_TLS_INSECURE_SKIP_VERIFY": "1", "HOLOSTREAM_SASL_MECHANISM": "PLAIN", "HOLOSTREAM_SASL_USER": "carol",
			"HOLOSTREAM_SASL_PASSWORD_FILE": pwFile},
			want: func(c kafka.Config) bool {
				return c.TLS == kafka.TLS{Enabled: true, CertFile: "c.pem", KeyFile: "k.pem", InsecureSkipVerify: true} &&
					c.SASL == kafka.SASL{Mechanism: "PLAIN", User: "carol", Password: "from-file"}
			}},
		{args: []string{"--sasl-password", "visible-in-ps"}, parseErr: "flag provided but not defined: -sasl-password"},
		{env: map[string]string{"HOLOSTREAM_TLS": "maybe"}, err: `$HOLOSTREAM_TLS="maybe": want true or false`},
		{args: []string{"--sasl-mechanism", "SCRAM-SHA-512", "--sasl-password-file", filepath.Join(t.TempDir(), "none")}, err: "--sasl-password-file"},
	} {
		for _, name := range []string{"HOLOSTREAM_TLS", "HOLOSTREAM_TLS_CA", "HOLOSTREAM_TLS_CERT", "HOLOSTREAM_TLS_KEY",
			"HOLOSTREAM_TLS_SERVER_NAME", "HOLOSTREAM_TLS_INSECURE_SKIP_VERIFY", "HOLOSTREAM_SASL_MECHANISM",
			"HOLOSTREAM_SASL_USER", "HOLOSTREAM_SASL_PASSWORD", "HOLOSTREAM_SASL_PASSWORD_FILE"} {
			t.Setenv(name, tc.env[name])
		}
		var cf clusterFlags
		fs := newFlagSet("test", "test", io.Discard)
		cf.register(fs)
		err := fs.Parse(tc.args)
		if tc.parseErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.parseErr) {
				t.Errorf("case %d: parse error %v, want %q", i, err, tc.parseErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		c, err := cf.kafka("test")
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("case %d: err %v, want %q", i, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("case %d: %v", i, err)
		case tc.err == "" && !tc.want(c):
			t.Errorf("case %d: TLS %+v SASL %+v", i, c.TLS, c.SASL)
		}
	}
}

func TestParseArgsTakesFlagsAnywhere(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		args    []string
		pos     []string
		brokers string
		n       int
	}{
		{[]string{"cam-1", "--brokers", "h:9092"}, []string{"cam-1"}, "h:9092", 0},
		{[]string{"--brokers", "h:9092", "keypoints", "-n", "10"}, []string{"keypoints"}, "h:9092", 10},
		{[]string{"a", "-n", "3", "b", "--brokers=x:1", "c"}, []string{"a", "b", "c"}, "x:1", 3},
		{[]string{"a", "--", "-n", "--brokers"}, []string{"a", "-n", "--brokers"}, "", 0},
		{nil, nil, "", 0},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		brokers := fs.String("brokers", "", "")
		n := fs.Int("n", 0, "")
		pos, err := parseArgs(fs, tc.args)
		if err != nil || fmt.Sprint(pos) != fmt.Sprint(tc.pos) || *brokers != tc.brokers || *n != tc.n {
			t.Errorf("%d: %q: positional %q, brokers %q, n %d, err %v", i, tc.args, pos, *brokers, *n, err)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"a", "--nope"}); err == nil {
		t.Error("an unknown flag after a positional argument passes")
	}
}

// TestProcessorFlagsPeople: run, demo and loadtest open the landmarker their --max-people and
// --person-detector ask for, and refuse an unknown detector before opening anything.
func TestProcessorFlagsPeople(t *testing.T) {
	var pf processorFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	pf.register(fs)
	if err := fs.Parse([]string{"--model", "pose-lite", "--workers", "1", "--max-people", "3", "--person-detector", "ssd"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pf.config(stream.NewTopology(""), slog.Default(), slog.LevelWarn); err != nil {
		t.Fatal(err)
	}
	lm, err := pf.open()
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	if lm.MaxPeople() != 3 || lm.PersonDetector() != model.SSDDetector || lm.Kind() != model.PoseLite {
		t.Errorf("opened %s, max people %d, detector %s; want pose-lite, 3, ssd", lm.Kind(), lm.MaxPeople(), lm.PersonDetector())
	}
	pf.people.detector = "hog"
	if _, err := pf.config(stream.NewTopology(""), slog.Default(), slog.LevelWarn); err == nil || !strings.Contains(err.Error(), "--person-detector") {
		t.Errorf("--person-detector hog: %v, want an error naming the flag", err)
	}
}
