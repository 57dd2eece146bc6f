package stream

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
	"github.com/holostream/holostream/schemas"
)

// Table is a read-only view of the landmarks table: each camera's state, as the landmarks
// processor last wrote it. It keeps its copy in memory: a local cache could outlive the cluster
// it came from and mislead the view. Safe for concurrent use once running.
type Table struct {
	view *goka.View
	name goka.Table
	// mu keeps reads and the view's end apart: goka's View closes its partitions as its Run
	// returns (goka view.go, close), which must not overlap a Get or an Iterator (the
	// punctuator raced so). Reads hold it shared; Run takes it, and marks the table stopped,
	// before it lets the view stop.
	mu      sync.RWMutex
	stopped bool
}

// NewTable makes a view of the landmarks table (creating the table's topic if missing), not
// yet running: Run it.
func NewTable(clients *kafka.Clients, topo Topology) (*Table, error) {
	name := goka.GroupTable(topo.Landmarks)
	if err := clients.EnsureTables(topo.Landmarks); err != nil {
		return nil, err
	}
	// Auto-reconnect: a broker going away is no reason to stop following the table, and with
	// it the view's Run returns only when its context ends, so no read can overlap the close
	// goka does as Run returns except the one Run below orders.
	opts := append(clients.ViewOptions(), goka.WithViewStorageBuilder(storage.MemoryBuilder()), goka.WithViewAutoReconnect())
	view, err := goka.NewView(clients.Config.Brokers, name, landmarks.StateCodec{}, opts...)
	if err != nil {
		return nil, fmt.Errorf("view of %s: %w", name, err)
	}
	return &Table{view: view, name: name}, nil
}

// Run reads the table and follows it until ctx ends; reads after that answer errStopped.
func (t *Table) Run(ctx context.Context) error {
	viewCtx, stopView := context.WithCancel(context.WithoutCancel(ctx))
	defer stopView()
	done := make(chan error, 1)
	go func() { done <- t.view.Run(viewCtx) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-done: // not with auto-reconnect; kept so that Run cannot hang
	}
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	if err == nil {
		stopView()
		err = <-done
	}
	return IgnoreCanceled(err)
}

// Recovered reports whether the table has been read to its end once (and is still followed).
func (t *Table) Recovered() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return !t.stopped && t.view.Recovered()
}

var (
	// errRecovering is what a read answers before the table has been read.
	errRecovering = errors.New("the landmarks table is still being read")
	// errStopped is what a read answers once the table's Run has ended.
	errStopped = errors.New("the landmarks table is no longer read (shutting down)")
)

// readable reports why the table cannot be read now, with t.mu held shared.
func (t *Table) readable() error {
	if t.stopped {
		return errStopped
	}
	if !t.view.Recovered() {
		return errRecovering
	}
	return nil
}

// State is one camera's state, nil when the table has none.
func (t *Table) State(id string) (*landmarks.CameraState, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.readable(); err != nil {
		return nil, err
	}
	v, err := t.view.Get(id)
	if err != nil {
		return nil, err
	}
	s, _ := v.(*landmarks.CameraState)
	return s, nil
}

// Each calls fn for every camera in the table, in no particular order, until fn returns an error.
func (t *Table) Each(fn func(id string, s *landmarks.CameraState) error) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := t.readable(); err != nil {
		return err
	}
	it, err := t.view.Iterator()
	if err != nil {
		return err
	}
	defer it.Release()
	for it.Next() {
		val, err := it.Value()
		if err != nil {
			return err
		}
		if s, ok := val.(*landmarks.CameraState); ok && s != nil {
			if err := fn(it.Key(), s); err != nil {
				return err
			}
		}
	}
	return nil
}

// Cameras lists every camera the table holds as the read model the gateway shows, in id order.
// With Camera, a Table is the gateway's CameraStore.
func (t *Table) Cameras(context.Context) ([]schemas.CameraView, error) {
	var out []schemas.CameraView
	err := t.Each(func(id string, s *landmarks.CameraState) error {
		out = append(out, s.View(id))
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Camera is one camera as the read model the gateway shows; found is false when the table has
// no row for it.
func (t *Table) Camera(_ context.Context, id string) (v schemas.CameraView, found bool, err error) {
	s, err := t.State(id)
	if err != nil || s == nil {
		return schemas.CameraView{}, false, err
	}
	return s.View(id), true, nil
}

// CameraStates reads the landmarks table once and returns each camera's state (nil when the
// table has none); it gives up when ctx ends before the table has been read.
func CameraStates(ctx context.Context, clients *kafka.Clients, topo Topology, cameras []string) ([]*landmarks.CameraState, error) {
	t, err := NewTable(clients, topo)
	if err != nil {
		return nil, err
	}
	vctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- t.view.Run(vctx) }()
	exited := false
	defer func() {
		stop()
		if !exited {
			<-done
		}
	}()
	// Recovered, not WaitRunning: goka's view says running as soon as the partitions that have
	// reported a state so far all run (view.go, runStateMerger), which can be before the last
	// partition has started; the state command then read "still being read" now and then.
	// Polling Recovered while the view runs is safe because, with auto-reconnect (NewTable),
	// its Run returns only once vctx ends, after the last read.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !t.view.Recovered() {
		select {
		case <-tick.C:
		case err := <-done:
			exited = true
			return nil, fmt.Errorf("view of %s: %w", t.name, err)
		case <-ctx.Done():
			return nil, fmt.Errorf("view of %s: not recovered: %w", t.name, ctx.Err())
		}
	}
	out := make([]*landmarks.CameraState, len(cameras))
	for i, id := range cameras {
		if out[i], err = t.State(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
