// Package loadtest measures holostream under load: it keeps the books of a load test (every
// frame sent, acknowledged and what became of it), aggregates them per ramp step and per second
// (throughput, latency percentiles, consumer lag, CPU and memory), and writes the report as JSON
// and as a self-contained HTML page with SVG charts. It also drives a run (plan.go, driver.go): a
// Plan's steps of simulated cameras one after the other, a sampler of lag, CPU and memory each
// second, a terminal progress line and the drain; ExecuteHTTP loads the gateway's upload
// endpoint with an open-loop HTTP client, ExecuteKafka a pipeline through Kafka (kafka.go) that
// the caller connects to a cluster or to the processors in its own process (a Pipeline: emit a
// frame, follow the outputs, read the lag and the table's counters), so this package holds no
// Kafka client of its own.
//
// State: a Recorder holds one entry per camera (cameras are unique to a step, so a frame's
// (camera, seq) says which step sent it), each with its frames' send time and outcome, plus
// per step a one-second bucket per second of the step for the charts. Frames are counted by the
// step that sent them; per-second series are by wall clock (a frame sent in step 1 and
// processed during step 2 is throughput of step 2's second). A Recorder is safe for concurrent
// use; everything else is used from one goroutine unless its comment says otherwise.
package loadtest
