package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Reading is a process's CPU time (user + system) and resident memory at one moment.
type Reading struct {
	At         time.Time
	CPUSeconds float64
	RSSBytes   float64
}

// Reader reads a process's CPU time and memory.
type Reader interface {
	Read(ctx context.Context) (Reading, error)
}

// Self reads this process: getrusage(2) for the CPU time, VmRSS of /proc/self/status for the
// memory.
type Self struct{}

// Read implements Reader.
func (Self) Read(context.Context) (Reading, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Reading{}, fmt.Errorf("loadtest: getrusage: %w", err)
	}
	at := time.Now()
	rss, err := vmRSS("/proc/self/status")
	if err != nil {
		return Reading{}, err
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	return Reading{At: at, CPUSeconds: cpu, RSSBytes: rss}, nil
}

// vmRSS reads the VmRSS line of a /proc/PID/status file, in bytes.
func vmRSS(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("loadtest: rss: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != "VmRSS" {
			continue
		}
		fields := strings.Fields(v) // "123456 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			break
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			break
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("loadtest: rss: no VmRSS line in %s", path)
}

// Scrape reads another process from its Prometheus endpoint: the process collector's
// process_cpu_seconds_total and process_resident_memory_bytes (holostream run serves them on
// --metrics-addr).
type Scrape struct {
	URL    string
	Client *http.Client // nil: one with a 5 s timeout
}

// Read implements Reader.
func (s Scrape) Read(ctx context.Context) (Reading, error) {
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return Reading{}, fmt.Errorf("loadtest: metrics url: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reading{}, fmt.Errorf("loadtest: scrape: %w", err)
	}
	defer resp.Body.Close()
	at := time.Now()
	if resp.StatusCode != http.StatusOK {
		return Reading{}, fmt.Errorf("loadtest: scrape %s: %s", s.URL, resp.Status)
	}
	m, err := ParseMetrics(io.LimitReader(resp.Body, 16<<20), "process_cpu_seconds_total", "process_resident_memory_bytes")
	if err != nil {
		return Reading{}, err
	}
	cpu, ok1 := m["process_cpu_seconds_total"]
	rss, ok2 := m["process_resident_memory_bytes"]
	if !ok1 || !ok2 {
		return Reading{}, fmt.Errorf("loadtest: scrape %s: no process_cpu_seconds_total or process_resident_memory_bytes (is the process collector registered?)", s.URL)
	}
	return Reading{At: at, CPUSeconds: cpu, RSSBytes: rss}, nil
}

// ParseMetrics reads the Prometheus text format and returns the values of the named series,
// summed over their label sets. Other lines are skipped.
func ParseMetrics(r io.Reader, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ \t"); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !want[name] {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				return nil, fmt.Errorf("loadtest: metrics: unterminated labels in %q", line)
			}
			rest = rest[j+1:]
		}
		fields := strings.Fields(rest) // value [timestamp]
		if len(fields) == 0 {
			return nil, fmt.Errorf("loadtest: metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("loadtest: metrics: %q: %w", line, err)
		}
		out[name] += v
	}
	return out, sc.Err()
}

// Meter turns successive readings into CPU use in cores (CPU seconds over wall seconds since
// the previous reading) and memory in MiB.
type Meter struct {
	r    Reader
	prev *Reading
}

// NewMeter returns a Meter over r.
func NewMeter(r Reader) *Meter { return &Meter{r: r} }

// Sample reads the process and returns its CPU use since the previous Sample and its memory.
// The first call only takes the reading it will compare with (cores and rss are nil).
func (m *Meter) Sample(ctx context.Context) (cores, rssMB *float64, err error) {
	cur, err := m.r.Read(ctx)
	if err != nil {
		return nil, nil, err
	}
	prev := m.prev
	m.prev = &cur
	mb := round(cur.RSSBytes/(1<<20), 1)
	if prev == nil {
		return nil, &mb, nil
	}
	wall := cur.At.Sub(prev.At).Seconds()
	if wall <= 0 {
		return nil, &mb, nil
	}
	c := round(max(0, cur.CPUSeconds-prev.CPUSeconds)/wall, 3)
	return &c, &mb, nil
}

// HostCPU reads the whole machine's CPU use from /proc/stat, so a report shows what else ran
// beside the process under test on the machine of the load test (another build, a test suite):
// host cores minus the process's cores is everybody else. Use it from one goroutine.
type HostCPU struct {
	path              string
	prevBusy, prevAll float64
	primed            bool
}

// NewHostCPU reads /proc/stat.
func NewHostCPU() *HostCPU { return &HostCPU{path: "/proc/stat"} }

// Sample returns the cores busy since the previous Sample (nil the first time).
func (h *HostCPU) Sample() (*float64, error) {
	busy, all, cores, err := procStat(h.path)
	if err != nil {
		return nil, err
	}
	prevBusy, prevAll, primed := h.prevBusy, h.prevAll, h.primed
	h.prevBusy, h.prevAll, h.primed = busy, all, true
	if !primed || all <= prevAll {
		return nil, nil
	}
	c := round((busy-prevBusy)/(all-prevAll)*float64(cores), 3)
	return &c, nil
}

// procStat sums the aggregate "cpu" line of /proc/stat: busy time (user, nice, system, irq,
// softirq, steal), all time (busy plus idle and iowait), in clock ticks, and counts the cores.
func procStat(path string) (busy, all float64, cores int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("loadtest: host cpu: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu") {
			continue
		}
		if fields[0] != "cpu" {
			cores++
			continue
		}
		if len(fields) < 9 {
			return 0, 0, 0, fmt.Errorf("loadtest: host cpu: short line %q", sc.Text())
		}
		var v [8]float64 // user nice system idle iowait irq softirq steal
		for i := range v {
			if v[i], err = strconv.ParseFloat(fields[i+1], 64); err != nil {
				return 0, 0, 0, fmt.Errorf("loadtest: host cpu: %w", err)
			}
		}
		busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		all = busy + v[3] + v[4]
		found = true
	}
	if !found || cores == 0 {
		return 0, 0, 0, fmt.Errorf("loadtest: host cpu: no cpu lines in %s", path)
	}
	return busy, all, cores, sc.Err()
}
