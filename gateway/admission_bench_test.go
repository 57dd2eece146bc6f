package gateway

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkInferHugePNGFlood is the hostile client of issue 11: 16 clients at once, each
// POSTing a 143 KB PNG of 7000x7000 pixels (343 MB to decode), on the pose-lite model with 2
// workers. It reports the process's peak RSS (VmHWM, reset before each case) with the default
// memory budget and with none (the budget set past any need, as before admission by memory):
//
//	go test -run '^$' -bench HugePNGFlood -benchtime 3x ./gateway/
//
// Each case's peak includes the test process's own ~150 MB (models, Go runtime, test images).
func BenchmarkInferHugePNGFlood(b *testing.B) {
	bomb := hugePNG(b, 7000, 7000)
	b.Logf("PNG: %d bytes, 7000x7000", len(bomb))
	for _, bc := range []struct {
		name   string
		memory int64
	}{
		{"budget=default", 0},
		{"budget=none", 1 << 40},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(Config{Inferer: landmarker(b), InferMemory: bc.memory, InferTimeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ts := httptest.NewServer(s)
			defer ts.Close()
			debug.FreeOSMemory()
			if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
				b.Skipf("cannot reset the peak RSS: %v", err)
			}
			start := peakRSS(b)
			served, refused := 0, 0
			b.ResetTimer()
			for range b.N {
				ok, no := flood(b, ts.URL, bomb, 16)
				served, refused = served+ok, refused+no
			}
			b.StopTimer()
			b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(start)/(1<<20), "start-RSS-MiB")
			b.ReportMetric(float64(served)/float64(b.N), "served/op")
			b.ReportMetric(float64(refused)/float64(b.N), "refused/op")
		})
	}
}

// flood sends n copies of img at once and counts the 200s and 503s.
func flood(b *testing.B, url string, img []byte, n int) (served, refused int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url+"/v1/infer", "image/png", bytes.NewReader(img))
			if err != nil {
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusOK:
				served++
			case http.StatusServiceUnavailable:
				refused++
			}
		}()
	}
	wg.Wait()
	return served, refused
}

// peakRSS is the process's peak resident memory since the last reset (VmHWM).
func peakRSS(b *testing.B) int64 {
	b.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatal(fmt.Errorf("VmHWM %q: %w", v, err))
			}
			return kb << 10
		}
	}
	b.Skip("no VmHWM in /proc/self/status")
	return 0
}
