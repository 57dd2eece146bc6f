package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/holostream/holostream/stream"
)

func runConsume(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("consume", "consume [flags] TOPIC\n\nPrints a topic's records as JSON Lines, decoded with their schemas.", stderr)
	var cf clusterFlags
	cf.registerConnection(fs)
	fromOldest := fs.Bool("from-beginning", true, "start at the oldest record; --from-beginning=false reads only records written from now on")
	limit := fs.Int("n", 0, "stop after this many records (0: until interrupted)")
	idle := fs.Duration("idle", 0, "stop when no record came for this long (0: wait forever)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "holostream consume: give exactly one TOPIC (got %q)\n", pos)
		return 2
	}
	topic := pos[0]
	clients, err := cf.clients("holostream-consume")
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 2
	}
	topo := stream.NewTopology(cf.prefix)
	w, err := stream.NewWire(ctx, topo, cf.registry)
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 1
	}
	decode, err := w.Decoder(topo, topic)
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 2
	}
	if err := clients.CheckAccess(stream.ConsumeAccess(topic)); err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	n := 0
	var timer *time.Timer
	if *idle > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		timer = time.AfterFunc(*idle, cancel)
		defer timer.Stop()
	}
	err = stream.Tail(ctx, clients, []string{topic}, *fromOldest, func(r stream.Record) error {
		if timer != nil {
			timer.Reset(*idle)
		}
		return printRecord(enc, decode, r, &n, *limit)
	})
	if err != nil {
		fmt.Fprintln(stderr, "holostream consume:", err)
		return 1
	}
	return 0
}

func printRecord(enc *json.Encoder, decode func([]byte) (any, error), r stream.Record, n *int, limit int) error {
	out := map[string]any{"topic": r.Topic, "partition": r.Partition, "offset": r.Offset, "key": r.Key}
	if v, err := decode(r.Value); err != nil {
		out["error"] = err.Error()
	} else {
		out["value"] = v
	}
	if err := enc.Encode(out); err != nil {
		return err
	}
	*n++
	if limit > 0 && *n >= limit {
		return stream.ErrStop
	}
	return nil
}
