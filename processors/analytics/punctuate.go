package analytics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/holostream/holostream/codecs"
)

// Control records. A control record on the group's loopback topic is keyed by user, has no
// value and carries the header ControlHeader. Route loops back every event with a value and no
// headers, so no event can be taken for one; goka drops records without a value unless told
// otherwise (Punctuator.ProcessorOptions tells it), so an instance of an older holostream that
// meets one during a rolling upgrade skips it.
const (
	ControlHeader = "holostream-control"
	// FlushControl asks Process to close the user's windows that its idle stream time has passed
	// (Config.Flush).
	FlushControl = "flush-windows"
)

// flushHeaders are the headers of a flush record.
var flushHeaders = goka.Headers{ControlHeader: []byte(FlushControl)}

// Punctuator closes the windows of users who stop sending. goka has no punctuators, so it runs
// beside the processor: every FlushInterval it reads the group table through a goka View and
// sends each user whose oldest open window is due (Windows.IdleDue) a flush record on the
// group's loopback topic, keyed by the user. The flush itself runs in Process, in the user's
// partition, serialized with the user's events, where the state may change and windows may be
// emitted; it decides again from the state it holds then, so a flush record that finds nothing
// due (a duplicate, a stale view) does nothing.
//
// The idle clock also starts no earlier than the moment this instance was assigned the user's
// partition (Rebalanced): a partition that moves to another instance, or that an instance takes
// back after a restart, comes with a backlog of events to process, and during that backlog a
// user is not idle, only late; without this its window would close before its backlog arrived.
//
// Safe for concurrent use.
type Punctuator struct {
	spec     WindowSpec
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	assigned map[int32]time.Time // when this instance was last assigned each partition
}

// NewPunctuator is a Punctuator for windows of spec, ticking every FlushInterval(spec).
func NewPunctuator(spec WindowSpec) *Punctuator {
	return &Punctuator{spec: spec, interval: FlushInterval(spec), now: time.Now, assigned: map[int32]time.Time{}}
}

// FlushInterval is how often the Punctuator looks for due windows: half the grace, between 1 s
// and 10 s. A window of a user who stopped sending comes out at most this long after it is due.
func FlushInterval(spec WindowSpec) time.Duration {
	return min(max(spec.Grace/2, time.Second), 10*time.Second)
}

// ProcessorOptions are the goka options the analytics processor needs for the punctuator: nil
// values reach the callbacks (a control record has none; a nil keypoints record is counted as
// undecodable instead of dropped unseen) and rebalances are noted.
func (p *Punctuator) ProcessorOptions() []goka.ProcessorOption {
	return []goka.ProcessorOption{goka.WithNilHandling(goka.NilProcess), goka.WithRebalanceCallback(p.Rebalanced)}
}

// Rebalanced is the processor's goka.RebalanceCallback: every partition of the new assignment
// was assigned now. A rebalance stops every partition of the group while it lasts, those kept
// too, so each one's idle clock starts again.
func (p *Punctuator) Rebalanced(a goka.Assignment) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.assigned)
	for part := range a {
		p.assigned[part] = now
	}
}

// since is when this instance was assigned partition; now when it does not know, which holds
// the idle clock back as long as it can.
func (p *Punctuator) since(partition int32, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at, ok := p.assigned[partition]; ok {
		return at
	}
	return now
}

// Rows is the part of goka.Iterator that due reads.
type Rows interface {
	Next() bool
	Key() string
	Value() (any, error)
}

// userClock is the part of a UserState the punctuator reads from the table: its windows.
// Decoding only that keeps a tick cheap.
type userClock struct {
	Windows Windows `json:"windows"`
	Person  bool    `json:"person"`
}

// due appends to users the keys of rows (values *userClock) whose oldest open window is due at
// wall-clock time now, or, for a person's row with no window open, whose deletion is
// (Windows.ForgetDue). It knows nothing of partitions: Process holds a flush back while the
// user's partition is new to its instance. Rows it cannot read are skipped: Process, which
// reads the same rows, fails on them.
func (p *Punctuator) due(now time.Time, rows Rows, users []string) []string {
	for rows.Next() {
		v, err := rows.Value()
		c, ok := v.(*userClock)
		if err != nil || !ok || c == nil {
			continue
		}
		at, ok := c.Windows.IdleDue(time.Time{}, p.spec)
		if !ok && c.Person {
			at, ok = c.Windows.ForgetDue(time.Time{}, p.spec)
		}
		if ok && !now.Before(at) {
			users = append(users, rows.Key())
		}
	}
	return users
}

// Run sends flush records until ctx ends: it reads the table of group through a View (built with
// viewOpts, in memory) and writes to the group's loopback topic through an Emitter (built with
// emitterOpts, which must place keys as the processor does). Every instance runs one and sends
// for every user, whichever instance holds the user's partition: duplicates are harmless, and
// no instance has to know where each user is.
func (p *Punctuator) Run(ctx context.Context, brokers []string, group goka.Group, viewOpts []goka.ViewOption, emitterOpts []goka.EmitterOption) error {
	// The view reconnects by itself: a broker going away is no reason to stop the processors.
	view, err := goka.NewView(brokers, goka.GroupTable(group), codecs.JSON[userClock]{},
		append(viewOpts[:len(viewOpts):len(viewOpts)], goka.WithViewStorageBuilder(storage.MemoryBuilder()), goka.WithViewAutoReconnect())...)
	if err != nil {
		return fmt.Errorf("analytics: punctuator view: %w", err)
	}
	// goka names a group's loopback topic "<group>-loop". The codec encodes nothing: control
	// records have no value.
	em, err := goka.NewEmitter(brokers, goka.Stream(string(group)+"-loop"), codecs.JSON[userClock]{}, emitterOpts...)
	if err != nil {
		return fmt.Errorf("analytics: punctuator emitter: %w", err)
	}
	// The view stops only once tick has returned: goka's View closes its partitions as its Run
	// returns (goka view.go, close), which must not overlap tick's Recovered and Iterator (the
	// race detector caught it when a broker restart made stream.Run rebuild the pipeline).
	// With auto-reconnect its Run returns only when its context ends; should it return by
	// itself, ticking stops too.
	viewCtx, stopView := context.WithCancel(context.WithoutCancel(ctx))
	defer stopView()
	tickCtx, stopTick := context.WithCancel(ctx)
	defer stopTick()
	viewErr := make(chan error, 1)
	go func() {
		viewErr <- view.Run(viewCtx)
		stopTick()
	}()
	err = p.tick(tickCtx, view, func(user string) error {
		// A flush that is not written is sent again at the next tick: the window is still
		// due then.
		_, err := em.EmitWithHeaders(user, nil, flushHeaders)
		return err
	})
	em.Finish()
	stopView()
	if verr := <-viewErr; err == nil {
		err = verr
	}
	if err != nil {
		return fmt.Errorf("analytics: punctuator: %w", err)
	}
	return nil
}

// table is the part of goka.View that tick reads.
type table interface {
	Recovered() bool
	Iterator() (goka.Iterator, error)
}

// tick sends a flush to every due user of tbl every interval, until ctx ends.
func (p *Punctuator) tick(ctx context.Context, tbl table, send func(user string) error) error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	var users []string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if !tbl.Recovered() {
			continue
		}
		it, err := tbl.Iterator()
		if err != nil {
			return err
		}
		users = p.due(p.now(), it, users[:0])
		it.Release()
		for _, u := range users {
			if err := send(u); err != nil {
				return err
			}
		}
	}
}
