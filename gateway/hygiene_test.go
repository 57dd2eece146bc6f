package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDeclaredTooLargeAnsweredAtOnce: a request whose Content-Length is over --max-body-bytes
// gets 413 before it sends a byte of its body, and the connection closes; before, the server
// waited for the body until its read timeout and answered 400.
func TestDeclaredTooLargeAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Inferer: landmarker(t), MaxBodyBytes: 1 << 20})
	addr := streamServer(t, s)
	for i, path := range []string{"/v1/infer", "/v1/frames"} {
		if path == "/v1/frames" {
			s = newServer(t, Config{Frames: &recordingSink{}, MaxBodyBytes: 1 << 20})
			addr = streamServer(t, s)
		}
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The headers only: the body would follow, 100 MB of it.
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", path, addr, 100<<20)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // the old answer took the read timeout
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("case %d: %s: no answer before the body: %v", i, path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || errorCode(t, body) != CodeTooLarge ||
			!strings.Contains(string(body), "--max-body-bytes") || !strings.Contains(string(body), "104857600") {
			t.Errorf("case %d: %s: %d %s: want 413 TOO_LARGE naming the declared size and --max-body-bytes", i, path, resp.StatusCode, body)
		}
		if !resp.Close {
			t.Errorf("case %d: %s: the answer keeps the connection open (Connection: %q)", i, path, resp.Header.Get("Connection"))
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("case %d: %s: after the 413 the connection gave %v, want EOF", i, path, err)
		}
	}
}

// TestQueryTokenOnlyOnEventStreams: ?access_token= opens an event stream (EventSource cannot send
// headers) and nothing else; elsewhere the 401 says to send the header.
func TestQueryTokenOnlyOnEventStreams(t *testing.T) {
	t.Parallel()
	hub := NewHub()
	s := newServer(t, Config{Inferer: landmarker(t), Events: hub, Token: "s3cret-token"})
	addr := streamServer(t, s)
	for i, tc := range []struct {
		method, path string
		status       int
		says         string
	}{
		{"GET", "/v1/info?access_token=s3cret-token", 401, "only by GET /v1/cameras/{id}/events"},
		{"POST", "/v1/infer?access_token=s3cret-token", 401, "send Authorization: Bearer"},
		{"GET", "/v1/cameras?access_token=s3cret-token", 401, "only by GET /v1/cameras/{id}/events"},
		{"GET", "/v1/cameras/cam-1/events?access_token=wrong", 401, "missing or wrong token"},
		{"GET", "/v1/cameras/cam-1/events", 401, "missing or wrong token"},
		{"GET", "/v1/cameras/cam-1/events?access_token=s3cret-token", 200, ""},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, strings.NewReader(""))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if tc.status == http.StatusOK {
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("case %d: %s %s: %d %q", i, tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp.Body.Close()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || errorCode(t, body) != CodeUnauthorized || !strings.Contains(string(body), tc.says) {
			t.Errorf("case %d: %s %s: %d %s: want %d saying %q", i, tc.method, tc.path, resp.StatusCode, body, tc.status, tc.says)
		}
	}
}

// TestUISecurityHeaders: the UI's pages and assets forbid framing (the token form could be
// overlaid), sniffing, and scripts from elsewhere; API answers forbid framing too.
func TestUISecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{})
	for i, path := range []string{"/", "/cameras/cam-1", "/ui/api.js", "/ui/app.css", "/ui/camera.js"} {
		code, h, _ := call(t, s, "GET", path, nil)
		csp := h.Get("Content-Security-Policy")
		if code != http.StatusOK || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") ||
			strings.Contains(csp, "unsafe-inline") || h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("case %d: GET %s: %d, CSP %q, X-Frame-Options %q, X-Content-Type-Options %q", i, path, code, csp,
				h.Get("X-Frame-Options"), h.Get("X-Content-Type-Options"))
		}
	}
	if _, h, _ := call(t, s, "GET", "/v1/info", nil); !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("GET /v1/info: CSP %q", h.Get("Content-Security-Policy"))
	}
}

// TestLongValuesCutInErrors: an error answer quotes at most 64 bytes of a client's value and says
// how long it was (10,000 bytes and more here), never a 10 KB id in full.
func TestLongValuesCutInErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10_000) + "!"
	s := newServer(t, Config{Events: NewHub(), Cameras: newTableCameras(), Frames: &recordingSink{}})
	jpg := photo(t, "messi5.jpg")
	for i, tc := range []struct {
		method, path string
		body         []byte
		status       int
	}{
		{"GET", "/v1/cameras/" + long + "/events", nil, 400},
		{"GET", "/v1/cameras/" + long, nil, 404},
		{"POST", "/v1/frames?camera=" + long, jpg, 400},
		{"POST", "/v1/frames?user=" + long, jpg, 400},
		{"POST", "/v1/frames?seq=" + long, jpg, 400},
		{"POST", "/v1/frames?captured_at=" + long, jpg, 400},
		{"GET", "/v1/" + long, nil, 404},
		{strings.ToUpper(long[:10_000]), "/v1/infer", nil, 405},
	} {
		code, _, body := call(t, s, tc.method, tc.path, tc.body)
		if code != tc.status || len(body) > 600 || !strings.Contains(string(body), "... (100") {
			t.Errorf("case %d: %s %.40s...: %d, %d bytes: %.300s", i, tc.method, tc.path, code, len(body), body)
		}
	}
}
