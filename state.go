package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/holostream/holostream/stream"
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
	topo := stream.NewTopology(cf.prefix)
	if err := clients.CheckAccess(stream.StateAccess(topo)); err != nil {
		fmt.Fprintln(stderr, "holostream state:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	states, err := stream.CameraStates(ctx, clients, topo, cams)
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
