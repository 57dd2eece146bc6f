package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/processors/landmarks"
)

func runState(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("state", "state [flags] CAMERA...\n\nPrints each camera's state in the landmarks processor's table as JSON: its last seq and capture\ntime, whether it is tracked, and its counters (--internals: the whole value).", stderr)
	var cf clusterFlags
	cf.registerConnection(fs)
	timeout := fs.Duration("timeout", 30*time.Second, "give up if the table has not been read by then")
	internals := fs.Bool("internals", false, "print the whole table value: the tracking ROI and every smoothing filter's state (~30 KB a camera)")
	cams, err := parseArgs(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(cams) == 0 {
		fmt.Fprintln(stderr, "holostream state: give at least one CAMERA id")
		return 2
	}
	clients, err := cf.clients("holostream-state")
	if err != nil {
		fmt.Fprintln(stderr, "holostream state:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	states, err := cameraStates(ctx, clients, NewTopology(cf.prefix), cams)
	if err != nil {
		fmt.Fprintln(stderr, "holostream state:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	missing := 0
	for i, id := range cams {
		if states[i] == nil {
			fmt.Fprintf(stderr, "holostream state: no state for camera %q (no frame of it processed yet?)\n", id)
			missing++
			continue
		}
		if *internals {
			enc.Encode(map[string]any{"camera": id, "state": states[i]})
		} else {
			enc.Encode(map[string]any{"camera": id, "state": states[i].View(id)})
		}
	}
	if missing > 0 {
		return 1
	}
	return 0
}

// cameraStates reads the landmarks table through a goka View and returns each camera's state
// (nil when the table has none).
func cameraStates(ctx context.Context, clients *kafka.Clients, topo Topology, cameras []string) ([]*landmarks.CameraState, error) {
	table := goka.GroupTable(topo.Landmarks)
	view, err := landmarksView(clients, topo)
	if err != nil {
		return nil, err
	}
	vctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- view.Run(vctx) }()
	exited := false
	defer func() {
		stop()
		if !exited {
			<-done
		}
	}()
	select {
	case <-view.WaitRunning():
	case err := <-done:
		exited = true
		return nil, fmt.Errorf("view of %s: %w", table, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("view of %s: not recovered: %w", table, ctx.Err())
	}
	out := make([]*landmarks.CameraState, len(cameras))
	for i, id := range cameras {
		v, err := view.Get(id)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[i] = v.(*landmarks.CameraState)
		}
	}
	return out, nil
}

// landmarksView is a goka View of the landmarks table (created if missing), not yet running.
// It keeps its copy in memory: a local cache could outlive the cluster it came from and
// mislead the view.
func landmarksView(clients *kafka.Clients, topo Topology) (*goka.View, error) {
	table := goka.GroupTable(topo.Landmarks)
	if err := clients.EnsureTables(topo.Landmarks); err != nil {
		return nil, err
	}
	opts := append(clients.ViewOptions(), goka.WithViewStorageBuilder(storage.MemoryBuilder()))
	view, err := goka.NewView(clients.Config.Brokers, table, landmarks.StateCodec{}, opts...)
	if err != nil {
		return nil, fmt.Errorf("view of %s: %w", table, err)
	}
	return view, nil
}
