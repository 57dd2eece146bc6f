package codecs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/codecs"
	"github.com/holostream/holostream/schemas"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func TestNewRegistryValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		opts []codecs.RegistryOpt
		ok   bool
	}{
		{"http://127.0.0.1:8081", nil, true},
		{"https://registry.example:443/apis/ccompat/v7/", nil, true},
		{"127.0.0.1:8081", nil, false},
		{"ftp://127.0.0.1", nil, false},
		{"http://", nil, false},
		{"http://127.0.0.1:8081?x=1", nil, false},
		{"http://127.0.0.1:8081", []codecs.RegistryOpt{codecs.WithRequestTimeout(0)}, false},
	}
	for i, tt := range tests {
		_, err := codecs.NewRegistry(tt.url, tt.opts...)
		if (err == nil) != tt.ok {
			t.Errorf("%d: NewRegistry(%q): error %v, want ok %v", i, tt.url, err, tt.ok)
		}
	}
}

// TestRegistryClient runs the client against the fake registry at the root and under
// Apicurio's ccompat prefix, and against srfake.
func TestRegistryClient(t *testing.T) {
	t.Parallel()
	_, root := newFakeRegistry(t, "")
	_, apicurio := newFakeRegistry(t, "/apis/ccompat/v7")
	sf := srfake.New()
	t.Cleanup(sf.Close)
	text := schemas.FrameSchema().Text()
	for i, u := range []string{root, apicurio + "/", sf.URL()} {
		ctx := context.Background()
		reg := mustRegistry(t, u)
		id, err := reg.Register(ctx, "frames-value", text)
		if err != nil {
			t.Fatalf("%d: Register: %v", i, err)
		}
		if err := reg.SetCompatibility(ctx, "frames-value", codecs.CompatBackward); err != nil {
			t.Errorf("%d: SetCompatibility: %v", i, err)
		}
		if err := reg.CheckCompatibility(ctx, "frames-value", text); err != nil {
			t.Errorf("%d: CheckCompatibility of the same schema: %v", i, err)
		}
		if err := reg.CheckCompatibility(ctx, "no-such-value", text); err != nil {
			t.Errorf("%d: CheckCompatibility with a new subject: %v", i, err)
		}
		// A client that did not register it fetches it by id.
		got, err := mustRegistry(t, u).SchemaByID(ctx, id)
		if err != nil {
			t.Fatalf("%d: SchemaByID: %v", i, err)
		}
		if s, err := schemas.Parse(got); err != nil || s.Canonical() != schemas.FrameSchema().Canonical() {
			t.Errorf("%d: SchemaByID(%d) = %.60s..., %v", i, id, got, err)
		}
		if _, err := reg.SchemaByID(ctx, 9999); !errors.Is(err, codecs.ErrUnknownSchema) {
			t.Errorf("%d: SchemaByID(9999): %v, want ErrUnknownSchema", i, err)
		}
	}
}

func TestRegistryCaches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake, u := newFakeRegistry(t, "")
	reg := mustRegistry(t, u)
	text := schemas.FrameSchema().Text()
	for range 3 {
		if _, err := reg.Register(ctx, "frames-value", text); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := mustRegistry(t, u).Register(ctx, "actions-value", schemas.ActionEventSchema().Text())
	for range 3 {
		if _, err := reg.SchemaByID(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.SchemaByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"POST /subjects/frames-value/versions": 1, "GET /schemas/ids/1": 0, "GET /schemas/ids/2": 1}
	for req, n := range want {
		if got := fake.count(req); got != n {
			t.Errorf("%s: %d requests, want %d", req, got, n)
		}
	}
}

// TestRegistryErrors: each failure says what was wrong and wraps the sentinel callers branch on.
func TestRegistryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		call    func(codecs.Registry) error
		want    error
		message []string
	}{
		{"incompatible", 409, `{"error_code":409,"message":"Schema being registered is incompatible"}`, register,
			codecs.ErrIncompatible, []string{"409 Conflict", "error code 409", "Schema being registered is incompatible", "BACKWARD"}},
		{"unknown id", 404, `{"error_code":40403,"message":"Schema 7 not found"}`, byID,
			codecs.ErrUnknownSchema, []string{"get schema id 7", "Schema 7 not found", "/schemas/ids/7"}},
		{"invalid schema", 422, `{"error_code":42201,"message":"Invalid schema"}`, register,
			nil, []string{"422", "Invalid schema", `subject "frames-value"`}},
		{"server error", 500, `oops`, register, nil, []string{"500", "oops", "retry later"}},
		{"unauthorized", 401, `{"error_code":401,"message":"Unauthorized"}`, register, nil, []string{"credentials"}},
		{"not a registry", 200, `<html>hello</html>`, register, nil, []string{"not a registry answer", "<html>"}},
		{"no id", 200, `{}`, register, nil, []string{"no valid id"}},
		{"not avro", 200, `{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}`, byID, codecs.ErrUnknownSchema, []string{"PROTOBUF"}},
	}
	for i, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		}))
		err := tt.call(mustRegistry(t, srv.URL))
		srv.Close()
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%d %s: error %v, want %v", i, tt.name, err, tt.want)
			continue
		}
		for _, m := range tt.message {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%d %s: error %q does not say %q", i, tt.name, err, m)
			}
		}
	}
}

func register(r codecs.Registry) error {
	_, err := r.Register(context.Background(), "frames-value", schemas.FrameSchema().Text())
	return err
}

func byID(r codecs.Registry) error {
	_, err := r.SchemaByID(context.Background(), 7)
	return err
}

func TestRegistryUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(nil)
	srv.Close()
	err := register(mustRegistry(t, srv.URL))
	var re *codecs.RegistryError
	if !errors.As(err, &re) || re.Status != 0 {
		t.Fatalf("error %#v, want a *RegistryError without status", err)
	}
	for _, m := range []string{"unreachable", srv.URL + "/subjects/frames-value/versions", "is the registry running"} {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not say %q", err, m)
		}
	}
}

func TestRegistryTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	reg := mustRegistry(t, srv.URL, codecs.WithRequestTimeout(50*time.Millisecond))
	start := time.Now()
	if err := register(reg); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow registry: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("request timeout of 50ms took %v", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustRegistry(t, srv.URL).SchemaByID(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v, want context.Canceled", err)
	}
}

func TestRegistryRequest(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		body, _ = io.ReadAll(r.Body)
		_, _ = w.Write([]byte(`{"id": 3}`))
	}))
	t.Cleanup(srv.Close)
	reg := mustRegistry(t, srv.URL+"/apis/ccompat/v7", codecs.WithBasicAuth("key", "secret"), codecs.WithHTTPClient(srv.Client()))
	if _, err := reg.Register(context.Background(), "a b/c-value", `"string"`); err != nil {
		t.Fatal(err)
	}
	user, pass, ok := got.BasicAuth()
	if !ok || user != "key" || pass != "secret" {
		t.Errorf("basic auth %q %q %v", user, pass, ok)
	}
	if got.Method != http.MethodPost || got.URL.EscapedPath() != "/apis/ccompat/v7/subjects/a%20b%2Fc-value/versions" {
		t.Errorf("request %s %s", got.Method, got.URL.EscapedPath())
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/vnd.schemaregistry.v1+json" {
		t.Errorf("Content-Type %q", ct)
	}
	if string(body) != `{"schema":"\"string\"","schemaType":"AVRO"}` {
		t.Errorf("body %s", body)
	}
}
