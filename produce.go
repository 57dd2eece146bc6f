package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/pixels"
	"github.com/holostream/holostream/stream"
)

type produceFlags struct {
	camera, user string
	cameras      int
	fps          float64
	count        int
	dir, video   string
	synthetic    bool
	raw          string
}

func (p *produceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.camera, "camera", "camera-1", "camera id (the record key); with --cameras N, ids are CAMERA-1..N")
	fs.StringVar(&p.user, "user", "", "user id carried by the frames (default: the camera id)")
	fs.IntVar(&p.cameras, "cameras", 1, "number of cameras to simulate")
	fs.Float64Var(&p.fps, "fps", 10, "frames per second per camera (0: as fast as Kafka takes them)")
	fs.IntVar(&p.count, "count", 0, "frames per camera, then stop (0: until interrupted)")
	fs.StringVar(&p.dir, "dir", "", "send the .jpg/.png images of this directory, in name order, looping")
	fs.StringVar(&p.video, "video", "", "send the frames of this video file (needs ffmpeg)")
	fs.BoolVar(&p.synthetic, "synthetic", false, "send synthetic frames (a moving disc: no person)")
	fs.StringVar(&p.raw, "raw", "", fmt.Sprintf("send the frames as raw pixels in `FORMAT`, one of %v, as a camera pipeline would", pixels.RawFormats()))
}

// source is the frames to send, laid out as --raw says.
func (p *produceFlags) source(ctx context.Context) (camera.Source, error) {
	var format pixels.RawFormat
	if p.raw != "" {
		var err error
		if format, err = pixels.ParseRawFormat(p.raw); err != nil {
			return nil, fmt.Errorf("--raw: %w", err)
		}
	}
	src, err := p.encoded(ctx)
	if err != nil || format == "" {
		return src, err
	}
	return rawSource(src, format)
}

// rawSource decodes each still and lays its pixels out in format.
func rawSource(src camera.Source, format pixels.RawFormat) (camera.Source, error) {
	out := make(camera.Source, 0, len(src))
	for _, s := range src {
		img, _, err := pixels.DecodeImage(s.Data, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		data, err := pixels.EncodeRaw(img, format)
		if err != nil {
			return nil, err
		}
		out = append(out, camera.Still{Name: s.Name, Data: data, ContentType: format.ContentType(), Width: img.Width, Height: img.Height})
	}
	return out, nil
}

func (p *produceFlags) encoded(ctx context.Context) (camera.Source, error) {
	n := 0
	for _, set := range []bool{p.dir != "", p.video != "", p.synthetic} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, errors.New("give at most one of --dir, --video, --synthetic")
	case p.dir != "":
		return camera.FromDir(p.dir)
	case p.video != "":
		return camera.FromVideo(ctx, p.video, 3000, 1280)
	case p.synthetic:
		return camera.Synthetic(60, 640, 480)
	}
	return defaultFootage()
}

func runProduce(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("produce", "produce [flags]\n\nA camera producer: sends frames to the frames topic, keyed by camera, as Avro Frame records.\nWithout --dir, --video or --synthetic it sends the footage built into the binary.", stderr)
	var cf clusterFlags
	var pf produceFlags
	cf.register(fs)
	pf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return usageExit(err)
	}
	log := newLogger(stderr)
	fail := func(err error) int { stream.LogError(log, "holostream produce failed", err); return 1 }
	if pf.cameras < 1 || pf.fps < 0 || pf.count < 0 {
		fmt.Fprintln(stderr, "holostream produce: --cameras must be >= 1, --fps and --count >= 0")
		return 2
	}
	src, err := pf.source(ctx)
	if err != nil {
		return fail(err)
	}
	clients, err := cf.clients("holostream-produce")
	if err != nil {
		return fail(err)
	}
	topo := stream.NewTopology(cf.prefix)
	if err := clients.CheckAccess(stream.ProducerAccess(topo)); err != nil {
		return fail(err)
	}
	w, err := stream.NewWire(ctx, topo, cf.registry)
	if err != nil {
		return fail(err)
	}
	log.Info("producing", "topic", topo.Frames, "cameras", pf.cameras, "fps", pf.fps, "frames_in_source", len(src))
	acked, err := stream.Produce(ctx, clients, topo, w, src, cameras(pf.camera, pf.user, pf.cameras, pf.fps), pf.count)
	fmt.Fprintf(stdout, "{\"frames_acknowledged\":%d}\n", acked)
	if err != nil {
		return fail(err)
	}
	return 0
}
