package codecs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// apicurioRuleExists is Apicurio 3.0.9's answer to a compatibility PUT that raced another
// client's first one, byte for byte.
const apicurioRuleExists = `{"message":"A rule named 'COMPATIBILITY' already exists.","error_code":0}`

// TestSetCompatibilityRace: a 409 to the compatibility PUT, as Apicurio answers the losers of
// replicas starting together, is resolved by reading the subject's level back; it is never
// taken for an incompatible schema.
func TestSetCompatibilityRace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// puts are the PUT answers in turn (the last repeats); level is what GET answers.
		puts   []int
		level  string
		ok     bool
		nPuts  int
		nGets  int
		saying []string
	}{
		{"another replica set our level", []int{409}, `{"compatibilityLevel":"BACKWARD"}`, true, 1, 1, nil},
		{"another replica set another level", []int{409, 200}, `{"compatibilityLevel":"NONE"}`, true, 2, 1, nil},
		{"the level as a PUT answers it", []int{409}, `{"compatibility":"BACKWARD"}`, true, 1, 1, nil},
		{"no level of its own yet", []int{409, 200}, `{"error_code":40408,"message":"Subject does not have subject-level compatibility configured"}`, true, 2, 1, nil},
		{"conflicts that never end", []int{409}, `{"compatibilityLevel":"FULL"}`, false, 5, 5,
			[]string{"409 Conflict", "A rule named 'COMPATIBILITY' already exists.", "at the same moment"}},
		{"no conflict", []int{200}, ``, true, 1, 0, nil},
		{"another failure is not retried", []int{500}, `{"compatibilityLevel":"BACKWARD"}`, false, 1, 0, []string{"500"}},
	}
	for _, tt := range tests {
		var mu sync.Mutex
		var puts, gets int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Method == http.MethodPut && r.URL.Path == "/config/frames-value":
				status := tt.puts[min(puts, len(tt.puts)-1)]
				puts++
				w.WriteHeader(status)
				if status == http.StatusConflict {
					io.WriteString(w, apicurioRuleExists)
				} else {
					io.WriteString(w, `{"compatibility":"BACKWARD"}`)
				}
			case r.Method == http.MethodGet && r.URL.Path == "/config/frames-value":
				gets++
				if strings.Contains(tt.level, "error_code") {
					w.WriteHeader(http.StatusNotFound)
				}
				io.WriteString(w, tt.level)
			default:
				t.Errorf("%s: unexpected %s %s", tt.name, r.Method, r.URL.Path)
				w.WriteHeader(http.StatusNotFound)
			}
		}))
		err := mustRegistry(t, srv.URL).SetCompatibility(context.Background(), "frames-value", codecs.CompatBackward)
		srv.Close()
		if (err == nil) != tt.ok {
			t.Errorf("%s: error %v, want ok %v", tt.name, err, tt.ok)
		}
		if errors.Is(err, codecs.ErrIncompatible) {
			t.Errorf("%s: %v: a conflict over the level taken for an incompatible schema", tt.name, err)
		}
		for _, m := range tt.saying {
			if err == nil || !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %v does not say %q", tt.name, err, m)
			}
		}
		if strings.Contains(fmt.Sprint(err), "BACKWARD compatibility a new schema") {
			t.Errorf("%s: error %v gives the advice for an incompatible schema", tt.name, err)
		}
		if puts != tt.nPuts || gets != tt.nGets {
			t.Errorf("%s: %d PUTs and %d GETs, want %d and %d", tt.name, puts, gets, tt.nPuts, tt.nGets)
		}
	}
}

// TestRegisterRace: a registration answered 409 although the schema is under the subject (a
// concurrent registration of it) gives the schema's id; one the subject's rule refused stays
// ErrIncompatible.
func TestRegisterRace(t *testing.T) {
	t.Parallel()
	const refused = `{"message":"io.apicurio.registry.rules.RuleViolationException: Incompatible artifact: frames-value [AVRO], num of incompatible diffs: {1}, list of diff types: [y at /fields/1]","error_code":409}`
	tests := []struct {
		name   string
		lookup int // status of the lookup (POST /subjects/frames-value)
		want   error
		id     int
	}{
		{"registered by another client meanwhile", http.StatusOK, nil, 7},
		{"refused", http.StatusNotFound, codecs.ErrIncompatible, 0},
	}
	for _, tt := range tests {
		var lookups int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/subjects/frames-value/versions":
				w.WriteHeader(http.StatusConflict)
				io.WriteString(w, refused)
			case r.Method == http.MethodPost && r.URL.Path == "/subjects/frames-value":
				lookups++
				w.WriteHeader(tt.lookup)
				if tt.lookup == http.StatusOK {
					io.WriteString(w, `{"subject":"frames-value","version":1,"id":7,"schema":"\"string\""}`)
				} else {
					io.WriteString(w, `{"message":"The given schema does not match any schema under the subject frames-value","error_code":40403}`)
				}
			default:
				t.Errorf("%s: unexpected %s %s", tt.name, r.Method, r.URL.Path)
				w.WriteHeader(http.StatusNotFound)
			}
		}))
		id, err := mustRegistry(t, srv.URL).Register(context.Background(), "frames-value", schemas.FrameSchema().Text())
		srv.Close()
		if id != tt.id || (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: id %d, error %v; want id %d, error %v", tt.name, id, err, tt.id, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "Incompatible artifact") {
			t.Errorf("%s: error %v does not give the registry's reasons", tt.name, err)
		}
		if lookups != 1 {
			t.Errorf("%s: %d lookups, want 1", tt.name, lookups)
		}
	}
}

// TestReplicasSetUpTogether: clients that register a schema and set the subject's level at the
// same moment, against a registry that, like Apicurio, creates the level's rule on the first PUT
// and answers 409 to the PUTs that raced it, all succeed with one id.
func TestReplicasSetUpTogether(t *testing.T) {
	t.Parallel()
	const n = 4
	var mu sync.Mutex
	var rule string // the subject's level; "" until the first PUT creates it
	var arrived, puts, gets int
	all := make(chan struct{}) // closed once every client's first PUT has arrived
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Compatibility string `json:"compatibility"`
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/subjects/frames-value/versions":
			io.WriteString(w, `{"id":1}`)
		case r.Method == http.MethodPut && r.URL.Path == "/config/frames-value":
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				t.Errorf("PUT body: %v", err)
			}
			mu.Lock()
			puts++
			creating := rule == ""
			if creating {
				if arrived++; arrived == n {
					close(all)
				}
			}
			mu.Unlock()
			if creating {
				// Hold the PUTs that would create the rule until all have come, so they race.
				select {
				case <-all:
				case <-r.Context().Done():
					return
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if creating && rule != "" {
				w.WriteHeader(http.StatusConflict)
				io.WriteString(w, apicurioRuleExists)
				return
			}
			rule = body.Compatibility
			fmt.Fprintf(w, `{"compatibility":%q}`, rule)
		case r.Method == http.MethodGet && r.URL.Path == "/config/frames-value":
			mu.Lock()
			defer mu.Unlock()
			gets++
			fmt.Fprintf(w, `{"compatibilityLevel":%q}`, rule)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	ids := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			reg, err := codecs.NewRegistry(srv.URL)
			if err == nil {
				ids[i], err = reg.Register(ctx, "frames-value", schemas.FrameSchema().Text())
			}
			if err == nil {
				err = reg.SetCompatibility(ctx, "frames-value", codecs.CompatBackward)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != 1 {
			t.Errorf("client %d: id %d, error %v; want id 1", i, ids[i], errs[i])
		}
	}
	if rule != "BACKWARD" || puts != n || gets != n-1 {
		t.Errorf("level %q after %d PUTs and %d GETs; want BACKWARD after %d and %d", rule, puts, gets, n, n-1)
	}
}
