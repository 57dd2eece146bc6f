package gateway_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/holostream/holostream/gateway"
)

// uiServer is a gateway with no parts: the UI is served whatever is configured.
func uiServer(t *testing.T) *httptest.Server {
	t.Helper()
	s, err := gateway.New(gateway.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func uiGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestUIPages checks the pages and assets are served, with the content types a browser needs
// (a module script served as anything but JavaScript does not run).
func TestUIPages(t *testing.T) {
	t.Parallel()
	ts := uiServer(t)
	for i, tc := range []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/", "text/html", `src="/ui/upload.js"`, 200},
		{"/cameras/cam-1", "text/html", `src="/ui/camera.js"`, 200},
		{"/cameras/door.2:left", "text/html", `id="live"`, 200},
		{"/ui/app.css", "text/css", "", 200},
		{"/ui/api.js", "text/javascript", "export async function api", 200},
		{"/ui/draw.js", "text/javascript", "/v1/skeleton", 200},
		{"/ui/chart.js", "text/javascript", "", 200},
		{"/ui/upload.js", "text/javascript", "/v1/infer", 200},
		{"/ui/camera.js", "text/javascript", "EventSource", 200},
		{"/ui/missing.js", "", "", 404},
		{"/missing", "", "", 404},
	} {
		res, body := uiGet(t, ts.URL+tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%d: GET %s: status %d, want %d", i, tc.path, res.StatusCode, tc.status)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
			t.Errorf("%d: GET %s: Content-Type %q, want %s", i, tc.path, ct, tc.contentType)
		}
		if !strings.Contains(body, tc.contains) {
			t.Errorf("%d: GET %s: body lacks %q", i, tc.path, tc.contains)
		}
	}
}

// uiFiles reads every file of the UI from the source directory (what go:embed embeds).
func uiFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS("ui"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS("ui"), path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("%d files under ui/", len(files))
	}
	return files
}

// TestUIOffline: the UI fetches nothing from elsewhere (no CDN, no web fonts), so it works
// without the internet.
func TestUIOffline(t *testing.T) {
	t.Parallel()
	remote := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|(src|href)=["']//|url\(\s*["']?//|@import`)
	for name, text := range uiFiles(t) {
		for _, m := range remote.FindAllString(text, -1) {
			t.Errorf("ui/%s: %q: the UI must work offline (serve the file under ui/ instead)", name, m)
		}
	}
}

// TestUIReferences: every URL a page or script refers to is a local asset that exists under
// /ui/, or one of the pages. A relative reference ("app.css") would break on /cameras/{id}.
func TestUIReferences(t *testing.T) {
	t.Parallel()
	ts := uiServer(t)
	ref := regexp.MustCompile(`(?:\b(?:src|href)=|\bfrom\s+|\bimport\s*\(\s*)["']([^"']*)["']`)
	pages := map[string]bool{"/": true, "/#cameras": true, "data:,": true}
	n := 0
	for name, text := range uiFiles(t) {
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			url := m[1]
			n++
			switch {
			case pages[url]:
			case strings.HasPrefix(url, "/ui/"):
				if res, _ := uiGet(t, ts.URL+url); res.StatusCode != http.StatusOK {
					t.Errorf("ui/%s refers to %s: status %d", name, url, res.StatusCode)
				}
			default:
				t.Errorf("ui/%s refers to %q: want an absolute /ui/ path or a page", name, url)
			}
		}
	}
	if n < 8 {
		t.Errorf("found only %d references: is the pattern still right?", n)
	}
}
