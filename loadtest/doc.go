// Package loadtest measures holostream under load: it keeps the books of a load test (every
// frame sent, acknowledged and what became of it), aggregates them per ramp step and per second
// (throughput, latency percentiles, consumer lag, CPU and memory), and writes the report as JSON
// and as a self-contained HTML page with SVG charts. It also holds the parts of a load generator
// that need no Kafka: an open-loop HTTP client for the upload endpoint, process CPU and RSS
// readers, and a terminal progress line. The Kafka side (producing, consuming, the lag) lives in
// the holostream command, which owns the clients.
//
// State: a Recorder holds one entry per camera (cameras are unique to a step, so a frame's
// (camera, seq) says which step sent it), each with its frames' send time and outcome, plus
// per step a one-second bucket per second of the step for the charts. Frames are counted by the
// step that sent them; per-second series are by wall clock (a frame sent in step 1 and
// processed during step 2 is throughput of step 2's second). A Recorder is safe for concurrent
// use; everything else is used from one goroutine unless its comment says otherwise.
package loadtest
