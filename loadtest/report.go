package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// FormatVersion is the version of the report's JSON layout.
const FormatVersion = 1

// Report is a load test's result: how it ran, one entry per ramp step, and the totals.
type Report struct {
	FormatVersion int    `json:"format_version"`
	Run           Run    `json:"run"`
	Steps         []Step `json:"steps"`
	Totals        Totals `json:"totals"`
}

// Run describes the run and the machine it ran on.
type Run struct {
	ID       string    `json:"id"`
	Mode     string    `json:"mode"`   // "kafka" or "http"
	Target   string    `json:"target"` // "embedded", the brokers, or the URL
	Model    string    `json:"model"`  // the landmark pipeline, as the processors report it
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationS and WarmupS are per step; the first WarmupS seconds of each step are left out of
	// the latency percentiles, the throughput and the CPU mean.
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	// DrainS is how long the run waited, at most, for the last frames' outcomes.
	DrainS float64 `json:"drain_s"`
	// Source is where the frames came from and how many distinct ones it has.
	Source       string `json:"source"`
	SourceFrames int    `json:"source_frames"`
	// Process says whose CPU and memory the report shows ("" when none was measured).
	Process string `json:"process"`
	Host    Host   `json:"host"`
}

// Host is the machine the load test ran on.
type Host struct {
	CPUModel  string `json:"cpu_model"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// ThisHost describes the machine this process runs on.
func ThisHost() Host {
	return Host{CPUModel: cpuModel("/proc/cpuinfo"), Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH}
}

func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Counts are the frame counters of a step, and summed over the steps, of the run.
type Counts struct {
	// Sent frames were handed to the producer (HTTP: due to be posted); Acknowledged ones were
	// acknowledged by Kafka (HTTP: posted). Sent - Acknowledged failed, see Errors.
	Sent         int64 `json:"sent"`
	Acknowledged int64 `json:"acknowledged"`
	// The outcomes of acknowledged frames: Acknowledged = Emitted + DeadLettered + Stale +
	// Duplicate + Rejected + Unaccounted. Detected is of Emitted. Rejected is HTTP only: an error
	// status or a transport error.
	Emitted      int64 `json:"emitted"`
	Detected     int64 `json:"detected"`
	DeadLettered int64 `json:"dead_lettered"`
	Stale        int64 `json:"stale"`
	Duplicate    int64 `json:"duplicate"`
	Rejected     int64 `json:"rejected"`
	Unaccounted  int64 `json:"unaccounted"`
	// RepeatedOutputs are outcomes seen again for a frame that already had one (at-least-once
	// redelivery after a processor restart); they are counted once above.
	RepeatedOutputs int64 `json:"repeated_outputs"`
	// Errors by kind: produce, dropped_by_client, http_503, transport, ...
	Errors map[string]int64 `json:"errors"`
}

// add sums o into c.
func (c *Counts) add(o Counts) {
	c.Sent += o.Sent
	c.Acknowledged += o.Acknowledged
	c.Emitted += o.Emitted
	c.Detected += o.Detected
	c.DeadLettered += o.DeadLettered
	c.Stale += o.Stale
	c.Duplicate += o.Duplicate
	c.Rejected += o.Rejected
	c.Unaccounted += o.Unaccounted
	c.RepeatedOutputs += o.RepeatedOutputs
	if c.Errors == nil {
		c.Errors = map[string]int64{}
	}
	for k, n := range o.Errors {
		c.Errors[k] += n
	}
}

// Balanced reports whether the outcomes add up to the frames acknowledged.
func (c Counts) Balanced() bool {
	return c.Acknowledged == c.Emitted+c.DeadLettered+c.Stale+c.Duplicate+c.Rejected+c.Unaccounted
}

// Step is one ramp step. Frame counts are of the frames this step sent, whenever their outcome
// came; rates, percentiles and samples leave the warmup out.
type Step struct {
	Index      int       `json:"index"` // from 1
	Cameras    int       `json:"cameras"`
	FPS        float64   `json:"fps"`
	OfferedFPS float64   `json:"offered_fps"`
	Start      time.Time `json:"start"`
	DurationS  float64   `json:"duration_s"`
	WarmupS    float64   `json:"warmup_s"`
	// Counts are the frames this step sent, by outcome.
	Counts
	// SentFPS and ThroughputFPS are frames sent and processed (emitted or dead-lettered, HTTP:
	// answered 200) per second of wall clock after the warmup, whichever step sent them.
	SentFPS       float64 `json:"sent_fps"`
	ThroughputFPS float64 `json:"throughput_fps"`
	// LatencyMs is capture to keypoint event received (HTTP: request to response) of the frames
	// this step sent after its warmup.
	LatencyMs Latency `json:"latency_ms"`
	// Lag is the landmarks group's consumer lag on the frames topic, in records, read every
	// second (Kafka only). The group commits its offsets about once a second, so a pipeline that
	// keeps up shows about one second of frames.
	Lag *Lag `json:"consumer_lag"`
	// CPU is in cores (1.0 = one core busy); RSSMBMax in MiB; of the process Run.Process names
	// (embedded: the broker too, which keeps every topic in memory). Null when not measured.
	CPU      *CPU     `json:"cpu_cores"`
	RSSMBMax *float64 `json:"rss_mb_max"`
	// HostCPU is the whole machine's CPU use in cores, where the load test runs: minus CPU, what
	// else ran (a build, another test) and took cores from the process under test.
	HostCPU *CPU     `json:"host_cpu_cores"`
	Series  []Second `json:"series"`
}

// Latency is a distribution in milliseconds; Count is how many values it has (0: all zero).
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Lag is the consumer lag over a step, in records.
type Lag struct {
	Max  int64 `json:"max"`
	Last int64 `json:"last"`
}

// CPU is the processor's CPU use over a step, in cores.
type CPU struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// Second is one second of a step, T seconds after its start: frames sent, frames processed
// and the latency percentiles (ms) of the keypoint events received in it; the samples taken in
// it. Null fields had no value in that second.
type Second struct {
	T         int      `json:"t"`
	Warmup    bool     `json:"warmup"`
	Sent      int      `json:"sent"`
	Processed int      `json:"processed"`
	P50       *float64 `json:"p50"`
	P95       *float64 `json:"p95"`
	P99       *float64 `json:"p99"`
	Lag       *int64   `json:"lag"`
	CPUCores  *float64 `json:"cpu_cores"`
	RSSMB     *float64 `json:"rss_mb"`
	// HostCPUCores is the whole machine's CPU use.
	HostCPUCores *float64 `json:"host_cpu_cores"`
}

// Totals sum the steps; LatencyMs is over every step's measured frames.
type Totals struct {
	Counts
	LatencyMs Latency `json:"latency_ms"`
	// Accounted is true when every acknowledged frame has an outcome (Unaccounted is 0) and the
	// counts add up.
	Accounted bool `json:"accounted"`
	// Problems say in words what failed the run: frames unaccounted for, errors.
	Problems []string `json:"problems"`
}

// Label is the step as CAMERASxFPS.
func (s Step) Label() string { return StepSpec{Cameras: s.Cameras, FPS: s.FPS}.String() }

// Shed are the error kinds that are a server shedding load (or the client not sending while it
// waits): expected when saturated, reported but not failures of the run.
var shed = map[string]bool{"http_503": true, "http_429": true, "dropped_by_client": true}

// IsShed reports whether an error kind is load shedding rather than a failure.
func IsShed(kind string) bool { return shed[kind] }

// total fills r.Totals from the steps and lists the problems.
func (r *Report) total(all []float64) {
	t := Totals{Counts: Counts{Errors: map[string]int64{}}, Problems: []string{}}
	balanced := true
	for _, s := range r.Steps {
		t.add(s.Counts)
		if !s.Balanced() {
			balanced = false
			t.Problems = append(t.Problems, fmt.Sprintf("step %d (%s): outcomes do not add up to the %d frames acknowledged", s.Index, s.Label(), s.Acknowledged))
		}
		if s.Unaccounted > 0 {
			t.Problems = append(t.Problems, fmt.Sprintf("step %d (%s): %d of %d acknowledged frames unaccounted for", s.Index, s.Label(), s.Unaccounted, s.Acknowledged))
		}
		for _, k := range sortedKeys(s.Errors) {
			if !IsShed(k) && s.Errors[k] > 0 {
				t.Problems = append(t.Problems, fmt.Sprintf("step %d (%s): %d errors %s", s.Index, s.Label(), s.Errors[k], k))
			}
		}
	}
	t.LatencyMs = Summarize(all)
	t.Accounted = balanced && t.Unaccounted == 0
	r.Totals = t
}

// OK reports whether the run passed: every frame accounted for and no error other than load
// shedding.
func (r *Report) OK() bool { return len(r.Totals.Problems) == 0 }

// Write writes dir/loadtest.json and dir/loadtest.html, creating dir, and returns their paths.
func (r *Report) Write(dir string) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	jsonPath, htmlPath = filepath.Join(dir, "loadtest.json"), filepath.Join(dir, "loadtest.html")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
		return "", "", err
	}
	f, err := os.Create(htmlPath)
	if err != nil {
		return "", "", err
	}
	if err := r.HTML(f); err != nil {
		f.Close()
		return "", "", err
	}
	return jsonPath, htmlPath, f.Close()
}

// Summary is one line for a step: offered and achieved rates, latency, outcomes.
func (s Step) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d %-6s offered %5.1f fps  sent %5.1f  throughput %5.1f fps  p50 %6.0f  p95 %6.0f  p99 %6.0f ms",
		s.Index, s.Label(), s.OfferedFPS, s.SentFPS, s.ThroughputFPS, s.LatencyMs.P50, s.LatencyMs.P95, s.LatencyMs.P99)
	fmt.Fprintf(&b, "  ack %d = emitted %d + dlq %d + stale %d + dup %d", s.Acknowledged, s.Emitted, s.DeadLettered, s.Stale, s.Duplicate)
	if s.Rejected > 0 {
		fmt.Fprintf(&b, " + rejected %d", s.Rejected)
	}
	fmt.Fprintf(&b, " + unaccounted %d", s.Unaccounted)
	if s.Lag != nil {
		fmt.Fprintf(&b, "  lag max %d", s.Lag.Max)
	}
	if s.CPU != nil {
		fmt.Fprintf(&b, "  cpu %.2f cores", s.CPU.Mean)
	}
	if s.RSSMBMax != nil {
		fmt.Fprintf(&b, "  rss %.0f MB", *s.RSSMBMax)
	}
	if s.HostCPU != nil {
		fmt.Fprintf(&b, "  host cpu %.2f", s.HostCPU.Mean)
	}
	for _, k := range sortedKeys(s.Errors) {
		fmt.Fprintf(&b, "  %s %d", k, s.Errors[k])
	}
	return b.String()
}
