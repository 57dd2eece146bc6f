package codecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Registry is a Schema Registry: the subset of the Confluent REST API that holostream uses.
// Schemas are Avro JSON text. Implementations are safe for concurrent use.
type Registry interface {
	// Register registers schema under subject, or finds it already registered there, and
	// returns its id. A schema the subject's compatibility level refuses gives an error
	// wrapping ErrIncompatible with the registry's reasons.
	Register(ctx context.Context, subject, schema string) (id int, err error)
	// SetCompatibility sets the compatibility level of subject.
	SetCompatibility(ctx context.Context, subject string, level Compatibility) error
	// CheckCompatibility tells whether schema could be registered under subject: nil if it
	// could (also when the subject has no versions yet), an error wrapping ErrIncompatible
	// with the registry's reasons if not.
	CheckCompatibility(ctx context.Context, subject, schema string) error
	// SchemaByID returns the text of the schema with id; an error wrapping ErrUnknownSchema
	// when the registry has none.
	SchemaByID(ctx context.Context, id int) (string, error)
}

// Compatibility is a subject's compatibility level.
type Compatibility string

// Compatibility levels (Confluent's names). holostream's subjects are BACKWARD.
const (
	CompatNone               Compatibility = "NONE"
	CompatBackward           Compatibility = "BACKWARD"
	CompatBackwardTransitive Compatibility = "BACKWARD_TRANSITIVE"
	CompatForward            Compatibility = "FORWARD"
	CompatFull               Compatibility = "FULL"
)

// Subject is the registry subject of a topic's values (TopicNameStrategy): "<topic>-value".
func Subject(topic string) string { return topic + "-value" }

// RegistryOpt configures NewRegistry.
type RegistryOpt func(*registryConfig)

type registryConfig struct {
	client         *http.Client
	timeout        time.Duration
	user, password string
}

// WithHTTPClient makes the registry client send its requests with c (TLS settings, proxies).
// The default is a client of its own with http.DefaultTransport.
func WithHTTPClient(c *http.Client) RegistryOpt { return func(o *registryConfig) { o.client = c } }

// WithRequestTimeout bounds each registry request, on top of the caller's context. The default
// is 10s.
func WithRequestTimeout(d time.Duration) RegistryOpt {
	return func(o *registryConfig) { o.timeout = d }
}

// WithBasicAuth sends HTTP basic credentials with each request (Confluent Cloud: the API key
// and secret).
func WithBasicAuth(user, password string) RegistryOpt {
	return func(o *registryConfig) { o.user, o.password = user, password }
}

// maxResponse bounds the bytes read from one registry response.
const maxResponse = 8 << 20

// NewRegistry returns a client of the Schema Registry REST API at baseURL: Confluent's (e.g.
// http://localhost:8081) or a compatible one such as Apicurio Registry 3's
// (http://localhost:8080/apis/ccompat/v7). It talks to baseURL only. Ids are cached both ways
// (subject and schema to id, id to schema): a registration or lookup asks the registry once.
func NewRegistry(baseURL string, opts ...RegistryOpt) (Registry, error) {
	cfg := registryConfig{timeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&cfg)
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("codecs: schema registry URL %q: want http(s)://host[:port][/path]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("codecs: schema registry URL %q: want no query or fragment", baseURL)
	}
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("codecs: schema registry request timeout %v: want > 0", cfg.timeout)
	}
	if cfg.client == nil {
		cfg.client = &http.Client{}
	}
	return &httpRegistry{
		base:  strings.TrimRight(u.String(), "/"),
		cfg:   cfg,
		ids:   make(map[subjectSchema]int),
		texts: make(map[int]string),
	}, nil
}

// httpRegistry is the REST client. Safe for concurrent use.
type httpRegistry struct {
	base string // without a trailing slash
	cfg  registryConfig

	mu    sync.Mutex
	ids   map[subjectSchema]int // registrations made or found
	texts map[int]string        // schemas by id
}

type subjectSchema struct{ subject, schema string }

// schemaBody is the body of register and compatibility requests.
type schemaBody struct {
	Schema     string `json:"schema"`
	SchemaType string `json:"schemaType"`
}

func (r *httpRegistry) Register(ctx context.Context, subject, schema string) (int, error) {
	key := subjectSchema{subject, schema}
	r.mu.Lock()
	id, ok := r.ids[key]
	r.mu.Unlock()
	if ok {
		return id, nil
	}
	op := fmt.Sprintf("register schema under subject %q", subject)
	var resp struct {
		ID *int `json:"id"`
	}
	path := "/subjects/" + url.PathEscape(subject) + "/versions"
	err := r.do(ctx, op, http.MethodPost, path, schemaBody{schema, "AVRO"}, &resp)
	if conflict(err) {
		// Replicas starting together register the same schema at the same moment. Registering is
		// idempotent, so the registries seen answer every one of them the same id; should one
		// answer a loser 409 instead, the schema is there now: look it up before blaming it. A
		// schema the subject's rule refused is not there, and the 409 stands.
		if found, lerr := r.lookup(ctx, subject, schema); lerr == nil {
			resp.ID, err = &found, nil
		}
	}
	if err != nil {
		return 0, err
	}
	if resp.ID == nil || *resp.ID < 0 || int64(*resp.ID) > 1<<31-1 {
		return 0, &RegistryError{Op: op, URL: r.base + path, Status: http.StatusOK, Err: errors.New("response has no valid id")}
	}
	r.mu.Lock()
	r.ids[key] = *resp.ID
	r.texts[*resp.ID] = schema
	r.mu.Unlock()
	return *resp.ID, nil
}

// lookup finds schema among subject's versions and returns its id (POST /subjects/{subject}).
func (r *httpRegistry) lookup(ctx context.Context, subject, schema string) (int, error) {
	op := fmt.Sprintf("look up a schema under subject %q", subject)
	var resp struct {
		ID *int `json:"id"`
	}
	path := "/subjects/" + url.PathEscape(subject)
	if err := r.do(ctx, op, http.MethodPost, path, schemaBody{schema, "AVRO"}, &resp); err != nil {
		return 0, err
	}
	if resp.ID == nil || *resp.ID < 0 || int64(*resp.ID) > 1<<31-1 {
		return 0, &RegistryError{Op: op, URL: r.base + path, Status: http.StatusOK, Err: errors.New("response has no valid id")}
	}
	return *resp.ID, nil
}

// conflictAttempts bounds how often SetCompatibility tries a change that concurrent writers keep
// getting to first.
const conflictAttempts = 5

// conflictBackoff is the pause before the next attempt after a conflict, times the attempt.
const conflictBackoff = 50 * time.Millisecond

func (r *httpRegistry) SetCompatibility(ctx context.Context, subject string, level Compatibility) error {
	op := fmt.Sprintf("set compatibility of subject %q to %s", subject, level)
	body := struct {
		Compatibility Compatibility `json:"compatibility"`
	}{level}
	path := "/config/" + url.PathEscape(subject)
	for attempt := 1; ; attempt++ {
		err := r.do(ctx, op, http.MethodPut, path, body, nil)
		if !conflict(err) {
			return err
		}
		// Apicurio keeps a subject's level as a rule that the first PUT creates, and answers 409
		// ("A rule named 'COMPATIBILITY' already exists") to a client whose PUT raced another's
		// first one: replicas starting together. The rule exists now; if it holds our level
		// there is nothing left to do, else a PUT now updates it.
		if cur, gerr := r.compatibility(ctx, subject); gerr == nil && cur == level {
			return nil
		}
		if attempt == conflictAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * conflictBackoff):
		}
	}
}

// compatibility is subject's own compatibility level (GET /config/{subject}).
func (r *httpRegistry) compatibility(ctx context.Context, subject string) (Compatibility, error) {
	op := fmt.Sprintf("get compatibility of subject %q", subject)
	// Confluent and Apicurio answer compatibilityLevel; some answer as the PUT does.
	var resp struct {
		Level         Compatibility `json:"compatibilityLevel"`
		Compatibility Compatibility `json:"compatibility"`
	}
	if err := r.do(ctx, op, http.MethodGet, "/config/"+url.PathEscape(subject), nil, &resp); err != nil {
		return "", err
	}
	if resp.Level != "" {
		return resp.Level, nil
	}
	return resp.Compatibility, nil
}

// conflict tells whether err is a registry's 409 answer.
func conflict(err error) bool {
	var re *RegistryError
	return errors.As(err, &re) && re.Status == http.StatusConflict
}

func (r *httpRegistry) CheckCompatibility(ctx context.Context, subject, schema string) error {
	op := fmt.Sprintf("check compatibility of a schema with subject %q", subject)
	path := "/compatibility/subjects/" + url.PathEscape(subject) + "/versions/latest?verbose=true"
	var resp struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages"`
	}
	err := r.do(ctx, op, http.MethodPost, path, schemaBody{schema, "AVRO"}, &resp)
	var re *RegistryError
	switch {
	case errors.As(err, &re) && re.Status == http.StatusNotFound:
		return nil // no versions yet: anything goes
	case err != nil:
		return err
	case !resp.IsCompatible:
		reasons := strings.Join(resp.Messages, "; ")
		if reasons == "" {
			reasons = "the registry gave no reasons"
		}
		return fmt.Errorf("codecs: %s at %s: %w: %s", op, r.base, ErrIncompatible, reasons)
	}
	return nil
}

func (r *httpRegistry) SchemaByID(ctx context.Context, id int) (string, error) {
	r.mu.Lock()
	text, ok := r.texts[id]
	r.mu.Unlock()
	if ok {
		return text, nil
	}
	op := fmt.Sprintf("get schema id %d", id)
	path := "/schemas/ids/" + strconv.Itoa(id)
	var resp struct {
		Schema     *string `json:"schema"`
		SchemaType string  `json:"schemaType"`
	}
	if err := r.do(ctx, op, http.MethodGet, path, nil, &resp); err != nil {
		return "", err
	}
	switch {
	case resp.Schema == nil:
		return "", &RegistryError{Op: op, URL: r.base + path, Status: http.StatusOK, Err: errors.New("response has no schema")}
	case resp.SchemaType != "" && !strings.EqualFold(resp.SchemaType, "AVRO"):
		return "", fmt.Errorf("codecs: %s at %s: %w: a %s schema, not Avro", op, r.base, ErrUnknownSchema, resp.SchemaType)
	}
	r.mu.Lock()
	r.texts[id] = *resp.Schema
	r.mu.Unlock()
	return *resp.Schema, nil
}

// do sends one request with a JSON body (in, when not nil) and decodes a JSON answer into out
// (when not nil). An error is a *RegistryError.
func (r *httpRegistry) do(ctx context.Context, op, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	u := r.base + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &RegistryError{Op: op, URL: u, Err: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return &RegistryError{Op: op, URL: u, Err: err}
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	}
	if r.cfg.user != "" {
		req.SetBasicAuth(r.cfg.user, r.cfg.password)
	}
	resp, err := r.cfg.client.Do(req)
	if err != nil {
		return &RegistryError{Op: op, URL: u, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &RegistryError{Op: op, URL: u, Status: resp.StatusCode, Err: fmt.Errorf("read response: %w", err)}
	}
	if resp.StatusCode/100 != 2 {
		return responseError(op, u, method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &RegistryError{Op: op, URL: u, Status: resp.StatusCode, Message: snippet(data), Err: fmt.Errorf("not a registry answer: %w", err)}
		}
	}
	return nil
}

// responseError reads a registry's error answer: {"error_code": 40401, "message": "..."}.
func responseError(op, u, method, path string, status int, data []byte) *RegistryError {
	e := &RegistryError{Op: op, URL: u, Status: status}
	var body struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) == nil && (body.Code != 0 || body.Message != "") {
		e.Code, e.Message = body.Code, body.Message
	} else {
		e.Message = snippet(data)
	}
	switch {
	case status == http.StatusConflict && method == http.MethodPost && strings.HasPrefix(path, "/subjects/") && strings.HasSuffix(path, "/versions"):
		// A refused registration. A 409 to anything else (Apicurio's to a compatibility PUT that
		// raced another) says nothing about the schema.
		e.Err = ErrIncompatible
	case status == http.StatusNotFound && method == http.MethodGet && strings.HasPrefix(path, "/schemas/ids/"):
		e.Err = ErrUnknownSchema
	}
	return e
}

// snippet is the start of a body, for error messages.
func snippet(data []byte) string {
	const max = 200
	s := strings.TrimSpace(string(data))
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
