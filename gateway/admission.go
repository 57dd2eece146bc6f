package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// POST /v1/infer's admission: which requests enter the worker pool, and which are refused at once.
//
// A request is admitted while the answer it can expect comes within the latency budget
// (Config.InferTimeout): the requests admitted before it, divided among the workers, times the
// measured time one request holds a worker, plus its own. So clients wait as long as the budget
// allows, as behind a listen backlog, and past it they are refused with 503 and a Retry-After
// instead of waiting for a 504: under overload the workers stay busy with requests that will be
// answered in time, and goodput stays at its peak. Config.InferQueue caps the waiting requests as
// a backstop.
//
// Memory is admitted too: a request holds its body and, while it is decoded and inferred, its
// decoded pixels (estimated from the image's header, see decodeCost). Admitted requests together
// never hold more than Config.InferMemory, so peak memory is bounded whatever the images: a
// flood of small-file, huge-dimension PNGs is refused with 503, not decoded side by side.

// inferRefusal says why a request was not admitted: reason labels the metric, msg and retryAfter
// are the client's answer.
type inferRefusal struct {
	reason     string // "wait", "queue" or "memory"
	msg        string
	retryAfter time.Duration
}

// ticket is an admitted request's claim: released by done.
type ticket struct{ cost int64 }

// admission is the pool's book-keeping. It is safe for concurrent use.
type admission struct {
	workers    int
	maxWaiting int           // requests waiting for a worker beyond those running
	budget     time.Duration // the answer time a request is admitted for
	memory     int64         // bytes the admitted requests may hold together

	mu       sync.Mutex
	admitted int           // running or waiting
	held     int64         // bytes the admitted requests hold
	peak     int64         // the most held at once
	service  time.Duration // moving average of the time one request holds a worker; 0: none yet
	heldG    prometheus.Gauge
}

func newAdmission(workers, maxWaiting int, budget time.Duration, memory int64, held prometheus.Gauge) *admission {
	return &admission{workers: workers, maxWaiting: maxWaiting, budget: budget, memory: memory, heldG: held}
}

// expected is the answer time of a request with n admitted before it: it starts when all but
// workers-1 of them are done, each worker finishing one every service, then takes its own
// service. Requests running now count whole, so the estimate errs long. Callers hold mu.
func (a *admission) expected(n int) time.Duration {
	return time.Duration(n/a.workers+1) * a.service
}

// check refuses a request with cost bytes if it cannot be admitted now; nil: it can. Callers
// hold mu.
func (a *admission) check(cost int64) *inferRefusal {
	if waiting := a.admitted - a.workers + 1; waiting > a.maxWaiting {
		return &inferRefusal{reason: "queue", retryAfter: a.drain(),
			msg: fmt.Sprintf("all %d inference workers are busy and %d requests are waiting, the most this server queues (--infer-queue): retry after the Retry-After seconds, or send to another instance",
				a.workers, a.admitted-a.workers)}
	}
	// A free worker takes any request: refusing it would idle the worker, and the measure of
	// service time could then never come down again after a slow spell.
	if e := a.expected(a.admitted); a.admitted >= a.workers && e > a.budget {
		return &inferRefusal{reason: "wait", retryAfter: e - a.budget,
			msg: fmt.Sprintf("%d requests are ahead of this one on %d inference workers, about %v of work, more than the server's latency budget (--infer-timeout %v): retry after the Retry-After seconds, or send to another instance",
				a.admitted, a.workers, e.Round(time.Millisecond), a.budget)}
	}
	if a.held+cost > a.memory {
		return &inferRefusal{reason: "memory", retryAfter: a.drain(),
			msg: fmt.Sprintf("the images being inferred hold %d MiB of the server's %d MiB for decoding (--infer-memory-bytes) and this one needs %d MiB more: retry after the Retry-After seconds, or send a smaller image",
				a.held>>20, a.memory>>20, max(1, cost>>20))}
	}
	return nil
}

// drain is about how long the admitted requests take to finish. Callers hold mu.
func (a *admission) drain() time.Duration { return a.expected(a.admitted - 1) }

// precheck refuses early, before the body is read, a request that would be refused whatever its
// size: refusing must cost less than the work it sheds.
func (a *admission) precheck() *inferRefusal {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.check(0)
}

// admit takes cost bytes for a request, or says why not.
func (a *admission) admit(cost int64) (ticket, *inferRefusal) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.check(cost); r != nil {
		return ticket{}, r
	}
	a.admitted++
	a.held += cost
	a.peak = max(a.peak, a.held)
	a.heldG.Set(float64(a.held))
	return ticket{cost: cost}, nil
}

// done releases t. ran is how long the request held a worker; 0 when it never got one (it
// timed out waiting), which says nothing of the service time.
func (a *admission) done(t ticket, ran time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.admitted--
	a.held -= t.cost
	a.heldG.Set(float64(a.held))
	if ran <= 0 {
		return
	}
	// A moving average over about the last 10 requests: quick to follow a change of image sizes
	// or model, steady under the jitter of a busy machine.
	if a.service == 0 {
		a.service = ran
	} else {
		a.service += (ran - a.service) / 5
	}
}

// state is a snapshot for the refusal summary in the log.
func (a *admission) state() (admitted int, held int64, service time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.admitted, a.held, a.service
}

// inferPool runs admitted requests, Config.InferWorkers at once.
type inferPool struct {
	*admission
	work    chan struct{} // capacity workers: requests decoding or inferring
	timeout time.Duration
	metrics *metrics
}

func newInferPool(workers, queue int, timeout time.Duration, memory int64, m *metrics) *inferPool {
	return &inferPool{admission: newAdmission(workers, queue, timeout, memory, m.inferHeld),
		work: make(chan struct{}, workers), timeout: timeout, metrics: m}
}

// do runs fn on a worker for an admitted request, then releases its ticket. It returns
// errTimeout when fn has not finished within the pool's timeout (counted from admission). fn
// keeps its worker until it returns, also after a timeout: the model cannot be interrupted, and
// freeing the slot early would let more work in than there are workers.
func (p *inferPool) do(ctx context.Context, t ticket, fn func()) error {
	p.metrics.inferQueued.Inc()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	done := make(chan struct{})
	go func() {
		var ran time.Duration
		defer func() { p.admission.done(t, ran); p.metrics.inferQueued.Dec() }()
		select {
		case p.work <- struct{}{}:
		case <-ctx.Done():
			close(done)
			return
		}
		defer func() { <-p.work }()
		p.metrics.inferRunning.Inc()
		defer p.metrics.inferRunning.Dec()
		if ctx.Err() == nil {
			start := time.Now()
			fn()
			ran = time.Since(start)
		}
		close(done)
		p.collect(t)
	}()
	select {
	case <-done:
		if ctx.Err() != nil {
			return errTimeout
		}
		return nil
	case <-ctx.Done():
		return errTimeout
	}
}

// collect returns a large request's pixels to the heap at once. Left to the collector's pace
// (GOGC), they would stay garbage until the heap doubled, and the next huge image would be
// decoded beside them: peak memory would be twice the budget. A collection costs about a
// millisecond per 10 MB of live heap, little beside decoding a quarter of the budget.
func (p *inferPool) collect(t ticket) {
	if t.cost >= p.memory/4 {
		runtime.GC()
	}
}

// shedLog sums the refusals up in one log line at most every period, instead of one line per
// refused request: a client that ignores Retry-After can send thousands a second, and logging
// each would cost more than the refusal. The first refusal after a quiet period is logged at once.
type shedLog struct {
	log    *slog.Logger
	period time.Duration

	mu     sync.Mutex
	logged time.Time // the last line
	first  time.Time // the first refusal counted since
	counts map[string]int
}

func newShedLog(log *slog.Logger, period time.Duration) *shedLog {
	return &shedLog{log: log, period: period, counts: map[string]int{}}
}

// add counts one refusal and, once a period has passed since the last line, logs the counts.
// state is asked only then.
func (l *shedLog) add(reason string, now time.Time, state func() (int, int64, time.Duration)) {
	l.mu.Lock()
	if len(l.counts) == 0 {
		l.first = now
	}
	l.counts[reason]++
	if now.Sub(l.logged) < l.period {
		l.mu.Unlock()
		return
	}
	counts, first := l.counts, l.first
	l.counts, l.logged = map[string]int{}, now
	l.mu.Unlock()
	admitted, held, service := state()
	args := []any{"seconds", math.Round(now.Sub(first).Seconds()*10) / 10}
	for _, r := range []string{"wait", "queue", "memory"} {
		if counts[r] > 0 {
			args = append(args, "refused_"+r, counts[r])
		}
	}
	args = append(args, "admitted", admitted, "held_mib", held>>20, "service_ms", float64(service.Microseconds())/1000)
	l.log.Warn("POST /v1/infer refusing requests (503): overloaded; counted in holostream_infer_rejected_total", args...)
}
