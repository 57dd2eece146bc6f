package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	text := `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 2.097152e+08
holostream_landmarks_frames_total{code="",outcome="emitted"} 40
holostream_landmarks_frames_total{code="",outcome="stale"} 2 1700000000000
process_cpu_seconds_total_other 99
`
	m, err := ParseMetrics(strings.NewReader(text), "process_cpu_seconds_total", "process_resident_memory_bytes", "holostream_landmarks_frames_total")
	if err != nil {
		t.Fatal(err)
	}
	if m["process_cpu_seconds_total"] != 12.5 || m["process_resident_memory_bytes"] != 209715200 || m["holostream_landmarks_frames_total"] != 42 || len(m) != 3 {
		t.Errorf("%v", m)
	}
	if _, err := ParseMetrics(strings.NewReader("process_cpu_seconds_total{a=\"b\" 1\n"), "process_cpu_seconds_total"); err == nil {
		t.Error("unterminated labels: no error")
	}
	if _, err := ParseMetrics(strings.NewReader("process_cpu_seconds_total abc\n"), "process_cpu_seconds_total"); err == nil {
		t.Error("bad value: no error")
	}
}

func TestScrape(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("process_cpu_seconds_total 3\nprocess_resident_memory_bytes 1048576\n"))
	}))
	defer srv.Close()
	got, err := Scrape{URL: srv.URL + "/metrics"}.Read(context.Background())
	if err != nil || got.CPUSeconds != 3 || got.RSSBytes != 1<<20 || got.At.IsZero() {
		t.Errorf("%+v, %v", got, err)
	}
	if _, err := (Scrape{URL: srv.URL + "/nope"}).Read(context.Background()); err == nil {
		t.Error("404: no error")
	}
}

func TestVmRSS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "status")
	os.WriteFile(p, []byte("Name:\tholostream\nVmPeak:\t  999 kB\nVmRSS:\t  2048 kB\nThreads: 9\n"), 0o644)
	if v, err := vmRSS(p); err != nil || v != 2048*1024 {
		t.Errorf("%v, %v", v, err)
	}
	os.WriteFile(p, []byte("Name:\tx\n"), 0o644)
	if _, err := vmRSS(p); err == nil {
		t.Error("no VmRSS: no error")
	}
}

func TestSelfReads(t *testing.T) {
	t.Parallel()
	r, err := Self{}.Read(context.Background())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if r.CPUSeconds <= 0 || r.RSSBytes <= 0 {
		t.Errorf("%+v", r)
	}
}

type fakeReader []Reading

func (f *fakeReader) Read(context.Context) (Reading, error) {
	if len(*f) == 0 {
		return Reading{}, errors.New("gone")
	}
	r := (*f)[0]
	*f = (*f)[1:]
	return r, nil
}

func TestMeter(t *testing.T) {
	t.Parallel()
	f := &fakeReader{
		{At: t0, CPUSeconds: 10, RSSBytes: 100 << 20},
		{At: t0.Add(2 * time.Second), CPUSeconds: 13, RSSBytes: 150 << 20},
		{At: t0.Add(3 * time.Second), CPUSeconds: 13, RSSBytes: 150 << 20},
	}
	m := NewMeter(f)
	cores, rss, err := m.Sample(context.Background())
	if err != nil || cores != nil || rss == nil || *rss != 100 {
		t.Fatalf("first: %v %v %v", cores, rss, err)
	}
	cores, rss, err = m.Sample(context.Background())
	if err != nil || cores == nil || *cores != 1.5 || *rss != 150 {
		t.Errorf("second: %v %v %v", cores, rss, err)
	}
	if cores, _, _ = m.Sample(context.Background()); cores == nil || *cores != 0 {
		t.Errorf("idle: %v", cores)
	}
	if _, _, err := m.Sample(context.Background()); err == nil {
		t.Error("reader error not returned")
	}
}

func TestCPUModel(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "cpuinfo")
	os.WriteFile(p, []byte("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Some CPU @ 2.00GHz\n"), 0o644)
	if m := cpuModel(p); m != "Some CPU @ 2.00GHz" {
		t.Errorf("%q", m)
	}
	if m := cpuModel(filepath.Join(t.TempDir(), "none")); m != "" {
		t.Errorf("missing file: %q", m)
	}
}

func TestHostCPU(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "stat")
	write := func(user, idle int) {
		// user nice system idle iowait irq softirq steal guest guest_nice
		os.WriteFile(p, []byte(fmt.Sprintf("cpu  %d 0 100 %d 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\ncpu1 1 0 0 1 0 0 0 0 0 0\nintr 5\n", user, idle)), 0o644)
	}
	h := &HostCPU{path: p}
	write(1000, 5000)
	if c, err := h.Sample(); err != nil || c != nil {
		t.Fatalf("first: %v, %v", c, err)
	}
	write(1150, 5050) // 150 of 200 ticks busy, on 2 cores: 1.5 cores
	if c, err := h.Sample(); err != nil || c == nil || *c != 1.5 {
		t.Errorf("second: %v, %v", c, err)
	}
	os.WriteFile(p, []byte("intr 5\n"), 0o644)
	if _, err := h.Sample(); err == nil {
		t.Error("no cpu line: no error")
	}
	if c, err := NewHostCPU().Sample(); err == nil && c != nil {
		t.Errorf("first real sample: %v", *c)
	}
}
