package loadtest

import (
	"math"
	"sort"
	"sync"
	"time"
)

// FrameID names one frame of a load test. Camera ids are unique to a step of a run, so a
// (camera, seq) pair is sent once.
type FrameID struct {
	Camera string
	Seq    int64
}

// Outcome is what became of a frame.
type Outcome uint8

// The outcomes.
const (
	Pending      Outcome = iota // none yet
	Emitted                     // a keypoint event (HTTP: a 200 answer)
	DeadLettered                // a dead letter
	Stale                       // dropped by the processor as too old
	Duplicate                   // dropped by the processor as a repeated seq
	Rejected                    // HTTP: an error status or a transport error
)

type frameState struct {
	sent     time.Time
	acked    bool
	outcome  Outcome
	detected bool
}

type cameraState struct {
	step   int
	frames map[int64]*frameState
	// Stale and duplicate counts the processors keep per camera, for runs that see only its
	// outputs: they are assigned to the camera's frames that have no outcome.
	extStale, extDup int64
}

type stepState struct {
	spec         StepSpec
	start        time.Time
	dur, warmup  time.Duration
	sent, acked  int64
	repeated     int64
	errors       map[string]int64
	latencies    []float64 // ms, emitted frames sent after the warmup
	sentMeasured int64     // sent after the warmup, within the step
	doneMeasured int64     // processed after the warmup, within the step
	seconds      []secondState
	lag          []int64
	cpu, rss     []float64 // cpu after the warmup only
	hostCPU      []float64 // after the warmup only
	cameras      []string
}

type secondState struct {
	sent, processed int
	lat             []float64
	lag             *int64
	cpu, rss        *float64
	hostCPU         *float64
}

func (s *stepState) end() time.Time { return s.start.Add(s.dur) }

// bucket is the second of the step at t, or -1 outside it.
func (s *stepState) bucket(t time.Time) int {
	if t.Before(s.start) || !t.Before(s.end()) {
		return -1
	}
	return min(int(t.Sub(s.start)/time.Second), len(s.seconds)-1)
}

func (s *stepState) measured(t time.Time) bool {
	return !t.Before(s.start.Add(s.warmup)) && t.Before(s.end())
}

// Sample is what a sampler read at one moment; nil fields were not read.
type Sample struct {
	At       time.Time
	Lag      *int64
	CPUCores *float64
	RSSMB    *float64
	// HostCPUCores is the whole machine's CPU use (see HostCPU).
	HostCPUCores *float64
}

// Recorder keeps the books of a load test. It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	steps   []*stepState
	cameras map[string]*cameraState
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{cameras: map[string]*cameraState{}} }

// BeginStep starts a step at start, lasting dur, whose first warmup is left out of the rates
// and percentiles, with these camera ids; it returns the step's index (from 0).
func (r *Recorder) BeginStep(spec StepSpec, cameras []string, start time.Time, dur, warmup time.Duration) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(1, int(math.Ceil(dur.Seconds())))
	st := &stepState{spec: spec, start: start, dur: dur, warmup: min(warmup, dur), errors: map[string]int64{},
		seconds: make([]secondState, n), cameras: append([]string(nil), cameras...)}
	r.steps = append(r.steps, st)
	i := len(r.steps) - 1
	for _, c := range cameras {
		r.cameras[c] = &cameraState{step: i, frames: map[int64]*frameState{}}
	}
	return i
}

// stepAt is the step whose window holds t, else nil.
func (r *Recorder) stepAt(t time.Time) *stepState {
	for i := len(r.steps) - 1; i >= 0; i-- {
		if s := r.steps[i]; !t.Before(s.start) && t.Before(s.end()) {
			return s
		}
	}
	return nil
}

func (r *Recorder) frame(id FrameID) (*stepState, *frameState) {
	c := r.cameras[id.Camera]
	if c == nil {
		return nil, nil
	}
	return r.steps[c.step], c.frames[id.Seq]
}

// Sent records a frame handed to the producer at t. It reports false for a camera no step has.
func (r *Recorder) Sent(id FrameID, t time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cameras[id.Camera]
	if c == nil {
		return false
	}
	st := r.steps[c.step]
	if c.frames[id.Seq] == nil {
		c.frames[id.Seq] = &frameState{sent: t}
		st.sent++
		if st.measured(t) {
			st.sentMeasured++
		}
		if b := st.bucket(t); b >= 0 {
			st.seconds[b].sent++
		}
	}
	return true
}

// Acked records that Kafka acknowledged a frame (HTTP: that it was posted).
func (r *Recorder) Acked(id FrameID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, f := r.frame(id); f != nil && !f.acked {
		f.acked = true
		st.acked++
	}
}

// Failed records a frame that was sent but not acknowledged (not posted), with why.
func (r *Recorder) Failed(id FrameID, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, f := r.frame(id); f != nil && !f.acked {
		st.errors[kind]++
	}
}

// Outcome records what became of a frame, at t; latency counts for Emitted frames and
// detected says whether they had a person. It reports false for a frame this run did not send
// (an output of other traffic).
func (r *Recorder) Outcome(id FrameID, o Outcome, t time.Time, latency time.Duration, detected bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outcome(id, o, t, latency, detected)
}

func (r *Recorder) outcome(id FrameID, o Outcome, t time.Time, latency time.Duration, detected bool) bool {
	st, f := r.frame(id)
	if f == nil {
		return false
	}
	if f.outcome != Pending {
		st.repeated++
		return true
	}
	f.outcome, f.detected = o, detected
	ms := float64(latency.Microseconds()) / 1000
	if o == Emitted && st.measured(f.sent) {
		st.latencies = append(st.latencies, ms)
	}
	if o != Emitted && o != DeadLettered {
		return true
	}
	// Throughput and the per-second series go by wall clock: the step running at t.
	if now := r.stepAt(t); now != nil {
		if now.measured(t) {
			now.doneMeasured++
		}
		b := &now.seconds[now.bucket(t)]
		b.processed++
		if o == Emitted {
			b.lat = append(b.lat, ms)
		}
	}
	return true
}

// Reject records an HTTP request answered with an error (kind: "http_503", "transport", ...).
func (r *Recorder) Reject(id FrameID, kind string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, f := r.frame(id); f != nil && f.outcome == Pending {
		st.errors[kind]++
		r.outcome(id, Rejected, t, 0, false)
	}
}

// Error records an error not tied to one frame (an output that could not be decoded) in the
// step running at t, else the last one.
func (r *Recorder) Error(kind string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stepAt(t)
	if st == nil && len(r.steps) > 0 {
		st = r.steps[len(r.steps)-1]
	}
	if st != nil {
		st.errors[kind]++
	}
}

// CameraCounts sets the stale and duplicate counts the processors report for a camera, for
// runs that cannot see those outcomes frame by frame.
func (r *Recorder) CameraCounts(camera string, stale, dup int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cameras[camera]; c != nil {
		c.extStale, c.extDup = stale, dup
	}
}

// Cameras are the camera ids of every step so far.
func (r *Recorder) Cameras() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.steps {
		out = append(out, s.cameras...)
	}
	return out
}

// Sample records a sampler's reading in the step running at s.At (none: dropped).
func (r *Recorder) Sample(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stepAt(s.At)
	if st == nil {
		return
	}
	b := &st.seconds[st.bucket(s.At)]
	if s.Lag != nil {
		st.lag = append(st.lag, *s.Lag)
		b.lag = s.Lag
	}
	if s.CPUCores != nil {
		if st.measured(s.At) {
			st.cpu = append(st.cpu, *s.CPUCores)
		}
		b.cpu = s.CPUCores
	}
	if s.RSSMB != nil {
		st.rss = append(st.rss, *s.RSSMB)
		b.rss = s.RSSMB
	}
	if s.HostCPUCores != nil {
		if st.measured(s.At) {
			st.hostCPU = append(st.hostCPU, *s.HostCPUCores)
		}
		b.hostCPU = s.HostCPUCores
	}
}

// pending counts a camera's acknowledged frames without an outcome, less the stale and
// duplicate frames the processors report for it; it returns the remainder and how many of the
// reported ones were assigned as stale and as duplicate.
func (c *cameraState) pending() (left, stale, dup int64) {
	for _, f := range c.frames {
		if f.acked && f.outcome == Pending {
			left++
		}
	}
	stale = min(c.extStale, left)
	dup = min(c.extDup, left-stale)
	return left - stale - dup, stale, dup
}

// Pending is how many acknowledged frames have no outcome yet.
func (r *Recorder) Pending() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, c := range r.cameras {
		left, _, _ := c.pending()
		n += left
	}
	return n
}

// Live is the state of the run for a progress line.
type Live struct {
	Step, Steps     int // Step from 1; 0 before the first
	Spec            StepSpec
	Elapsed, Length time.Duration
	Sent, Processed int64 // in the current step, by wall clock
	P95             float64
	Lag             *int64
	CPUCores        *float64
	Pending         int64
}

// Live returns the state at now, for a progress line: the running step, its frames sent and
// processed so far, and the latest second's p95, lag and CPU.
func (r *Recorder) Live(now time.Time) Live {
	r.mu.Lock()
	defer r.mu.Unlock()
	var l Live
	if len(r.steps) == 0 {
		return l
	}
	i := len(r.steps) - 1
	st := r.steps[i]
	l.Step, l.Spec, l.Length = i+1, st.spec, st.dur
	l.Elapsed = min(max(0, now.Sub(st.start)), st.dur)
	for _, b := range st.seconds {
		l.Sent += int64(b.sent)
		l.Processed += int64(b.processed)
	}
	for j := len(st.seconds) - 1; j >= 0; j-- {
		b := st.seconds[j]
		if l.Lag == nil && b.lag != nil {
			l.Lag = b.lag
		}
		if l.CPUCores == nil && b.cpu != nil {
			l.CPUCores = b.cpu
		}
		if l.P95 == 0 && len(b.lat) > 0 && j < int(l.Elapsed/time.Second) {
			l.P95 = Percentile(sorted(b.lat), 95)
		}
	}
	for _, c := range r.cameras {
		left, _, _ := c.pending()
		l.Pending += left
	}
	return l
}

// Steps returns the report's steps as they stand.
func (r *Recorder) Steps() []Step {
	steps, _ := r.snapshot()
	return steps
}

func (r *Recorder) snapshot() ([]Step, []float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Step, len(r.steps))
	var all []float64
	for i, st := range r.steps {
		out[i] = r.step(i, st)
		all = append(all, st.latencies...)
	}
	return out, all
}

func (r *Recorder) step(i int, st *stepState) Step {
	s := Step{Index: i + 1, Cameras: st.spec.Cameras, FPS: st.spec.FPS, OfferedFPS: round(st.spec.OfferedFPS(), 2),
		Start: st.start, DurationS: st.dur.Seconds(), WarmupS: st.warmup.Seconds(),
		Counts:    Counts{Sent: st.sent, Acknowledged: st.acked, RepeatedOutputs: st.repeated, Errors: map[string]int64{}},
		LatencyMs: Summarize(st.latencies)}
	for k, n := range st.errors {
		s.Errors[k] = n
	}
	for _, id := range st.cameras {
		c := r.cameras[id]
		for _, f := range c.frames {
			if !f.acked {
				continue
			}
			switch f.outcome {
			case Emitted:
				s.Emitted++
				if f.detected {
					s.Detected++
				}
			case DeadLettered:
				s.DeadLettered++
			case Stale:
				s.Stale++
			case Duplicate:
				s.Duplicate++
			case Rejected:
				s.Rejected++
			}
		}
		left, stale, dup := c.pending()
		s.Stale += stale
		s.Duplicate += dup
		s.Unaccounted += left
	}
	if m := (st.dur - st.warmup).Seconds(); m > 0 {
		s.SentFPS = round(float64(st.sentMeasured)/m, 2)
		s.ThroughputFPS = round(float64(st.doneMeasured)/m, 2)
	}
	if len(st.lag) > 0 {
		s.Lag = &Lag{Max: st.lag[0], Last: st.lag[len(st.lag)-1]}
		for _, v := range st.lag {
			s.Lag.Max = max(s.Lag.Max, v)
		}
	}
	s.CPU, s.HostCPU = meanMax(st.cpu), meanMax(st.hostCPU)
	if len(st.rss) > 0 {
		m := st.rss[0]
		for _, v := range st.rss {
			m = max(m, v)
		}
		m = round(m, 1)
		s.RSSMBMax = &m
	}
	warmSecs := st.warmup.Seconds()
	for j, b := range st.seconds {
		sec := Second{T: j, Warmup: float64(j) < warmSecs, Sent: b.sent, Processed: b.processed, Lag: b.lag,
			CPUCores: b.cpu, RSSMB: b.rss, HostCPUCores: b.hostCPU}
		if len(b.lat) > 0 {
			l := sorted(b.lat)
			sec.P50, sec.P95, sec.P99 = ptr(Percentile(l, 50)), ptr(Percentile(l, 95)), ptr(Percentile(l, 99))
		}
		s.Series = append(s.Series, sec)
	}
	return s
}

// meanMax summarizes CPU samples; nil for none.
func meanMax(v []float64) *CPU {
	if len(v) == 0 {
		return nil
	}
	c := &CPU{}
	for _, x := range v {
		c.Mean += x
		c.Max = max(c.Max, x)
	}
	c.Mean = round(c.Mean/float64(len(v)), 3)
	c.Max = round(c.Max, 3)
	return c
}

// Report builds the report: run as given, the steps and the totals.
func (r *Recorder) Report(run Run) *Report {
	steps, all := r.snapshot()
	rep := &Report{FormatVersion: FormatVersion, Run: run, Steps: steps}
	rep.total(all)
	return rep
}

// Summarize is the distribution of values (ms): count, mean, nearest-rank percentiles, max,
// rounded to 0.1 ms.
func Summarize(values []float64) Latency {
	if len(values) == 0 {
		return Latency{}
	}
	v := sorted(values)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return Latency{Count: len(v), Mean: round(sum/float64(len(v)), 1), P50: Percentile(v, 50), P95: Percentile(v, 95),
		P99: Percentile(v, 99), Max: round(v[len(v)-1], 1)}
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of ascending values, rounded
// to 0.1; 0 for none. Nearest rank always returns one of the values, so p50 <= p95 <= p99 <=
// max holds for any data.
func Percentile(asc []float64, p float64) float64 {
	if len(asc) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(asc)))) - 1
	i = max(0, min(i, len(asc)-1))
	return round(asc[i], 1)
}

func sorted(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func ptr[T any](v T) *T { return &v }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
