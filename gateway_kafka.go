package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/holostream/holostream/gateway"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// gatewayKafka is what the gateway reads from and writes to a cluster: a writer of frames, a
// view of the landmarks table, and the live events of the output topics.
type gatewayKafka struct {
	frames *stream.FrameWriter
	table  *stream.Table
	hub    *gateway.Hub
	recent *gateway.Recent
}

// startGatewayKafka starts the frames writer, the table view and the output topics' follower
// in g. The view and the follower run until ctx ends.
func startGatewayKafka(ctx context.Context, g *errgroup.Group, clients *kafka.Clients, topo stream.Topology, w *stream.Wire) (*gatewayKafka, error) {
	if err := clients.EnsureStreams(topo.Streams()...); err != nil {
		return nil, err
	}
	table, err := stream.NewTable(clients, topo)
	if err != nil {
		return nil, err
	}
	frames, err := stream.NewFrameWriter(clients, topo, w)
	if err != nil {
		return nil, err
	}
	gk := &gatewayKafka{frames: frames, table: table, hub: gateway.NewHub(), recent: gateway.NewRecent(gateway.RecentOptions{})}
	g.Go(func() error {
		<-ctx.Done()
		return frames.Close()
	})
	g.Go(func() error { return table.Run(ctx) })
	// The frames too: the live page draws each skeleton over its picture (recent keeps the last
	// few of each camera).
	g.Go(func() error {
		return stream.Follow(ctx, clients, topo, w, stream.Outputs{
			Frame:     gk.recent.PutFrame,
			Keypoints: func(ev schemas.KeypointEvent) { gk.recent.PutKeypoints(ev); gk.hub.PublishKeypoints(ev) },
			Action:    func(ev schemas.ActionEvent) { gk.recent.PutAction(ev); gk.hub.PublishAction(ev) },
			Stats:     func(ev schemas.PoseStats) { gk.recent.PutStats(ev); gk.hub.PublishStats(ev) },
		})
	})
	return gk, nil
}

// apply plugs the cluster's parts into a gateway configuration.
func (gk *gatewayKafka) apply(cfg *gateway.Config) {
	cfg.Frames, cfg.Cameras, cfg.Events, cfg.Recent = frameSink{gk.frames}, gk.table, gk.hub, gk.recent
	prev := cfg.Ready
	cfg.Ready = func() error {
		if !gk.table.Recovered() {
			return errors.New("reading the landmarks table")
		}
		if prev != nil {
			return prev()
		}
		return nil
	}
}

// frameSink is the gateway's POST /v1/frames on a stream.FrameWriter: a record that can never
// be written is told apart, so that the client changes it rather than retrying.
type frameSink struct{ w *stream.FrameWriter }

func (s frameSink) Send(ctx context.Context, f schemas.Frame) (gateway.Delivery, error) {
	at, err := s.w.Write(ctx, f)
	switch code := kafka.Permanent(err); {
	case err == nil:
	case code == kafka.FailTooLarge:
		err = fmt.Errorf("%w (topic %s): %v", gateway.ErrFrameTooLarge, s.w.Topic(), err)
	case code != "":
		err = fmt.Errorf("%w (topic %s): %v", gateway.ErrFrameRefused, s.w.Topic(), err)
	}
	return gateway.Delivery{Topic: at.Topic, Partition: at.Partition, Offset: at.Offset}, err
}

// listen opens addr, saying which flag to change when it is taken.
func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (pass another %s, e.g. 127.0.0.1:0 for any free port)", flagName, addr, err, flagName)
	}
	return ln, nil
}

// startGateway builds the gateway from cfg, listens on addr (flagName names the flag that set
// it, for the error) and serves in g until ctx ends. It returns the address it listens on.
func startGateway(ctx context.Context, g *errgroup.Group, cfg gateway.Config, addr, flagName string) (string, error) {
	srv, err := gateway.New(cfg)
	if err != nil {
		return "", err
	}
	ln, err := listen(addr, flagName)
	if err != nil {
		return "", err
	}
	g.Go(func() error { return srv.Serve(ctx, ln) })
	return ln.Addr().String(), nil
}
