package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/overlay"
	"github.com/holostream/holostream/pixels"
)

// maxInferFileBytes bounds how much of a file `infer` reads: a JPEG, PNG or WebP of the largest
// accepted size fits with a wide margin, and a huge non-image cannot exhaust memory.
const maxInferFileBytes = 256 << 20

type inferConfig struct {
	kind          model.Kind
	video         bool
	fps           float64
	overlayDir    string
	modelDir      string
	threads       int
	maxMegapixels float64
	minDetection  float64
	minTracking   float64
	people        peopleFlags
	files         []string
	// raw, when set, is the layout of every file: raw pixels, not an encoded image.
	raw *pixels.RawLayout
}

func parseInfer(args []string, stderr io.Writer) (inferConfig, error) {
	fs := flag.NewFlagSet("infer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: holostream infer [flags] IMAGE...\n       holostream infer --raw FORMAT --width W --height H [flags] FILE...\n\nPrints one JSON object per image (JSON Lines). Exit status 1 if any image failed.\nImages are JPEG, PNG or WebP, read from their bytes; with --raw, files of raw pixels.\n\nflags:")
		fs.PrintDefaults()
	}
	var c inferConfig
	kind := fs.String("model", string(model.PoseFull), fmt.Sprintf("pipeline: one of %v", model.Kinds()))
	fs.BoolVar(&c.video, "video", false, "treat the images as consecutive frames of one stream (tracking and smoothing)")
	fs.Float64Var(&c.fps, "fps", 30, "frame rate of the stream with --video (timestamps for smoothing)")
	fs.StringVar(&c.overlayDir, "overlay", "", "write each image with its skeleton drawn to `DIR` as PNG")
	fs.StringVar(&c.modelDir, "models", "", "directory of the .tflite models (default $HOLOSTREAM_MODELS or .deps/models)")
	fs.IntVar(&c.threads, "threads", 1, "threads per TFLite interpreter")
	fs.Float64Var(&c.maxMegapixels, "max-megapixels", pixels.DefaultMaxMegapixels, "reject images larger than this many megapixels, from their header")
	fs.Float64Var(&c.minDetection, "min-detection-confidence", 0.5, "detector score threshold")
	fs.Float64Var(&c.minTracking, "min-tracking-confidence", 0.5, "landmark presence threshold")
	c.people.register(fs, "find up to `N` people per image (1..%d), most confident first; above 1 each line gains \"people\" (MediaPipe Tasks' PoseLandmarker; with --video: Tasks' tracking, no smoothing, ids that follow each person)")
	raw := fs.String("raw", "", fmt.Sprintf("the files are raw pixels in `FORMAT`, one of %v (needs --width and --height)", pixels.RawFormats()))
	width := fs.Int("width", 0, "width in pixels of the --raw files")
	height := fs.Int("height", 0, "height in pixels of the --raw files")
	stride := fs.Int("stride", 0, "bytes from one row of the --raw files to the next (of the Y plane for nv12 and i420), when rows are padded")
	files, err := parseArgs(fs, args)
	if err != nil {
		return c, err
	}
	if c.raw, err = rawLayoutFlags(*raw, *width, *height, *stride); err != nil {
		return c, err
	}
	if c.kind, err = model.ParseKind(*kind); err != nil {
		return c, err
	}
	c.files = files
	switch {
	case len(c.files) == 0:
		return c, errors.New("no images given: holostream infer [flags] IMAGE...")
	case c.fps <= 0:
		return c, fmt.Errorf("--fps %v: must be > 0", c.fps)
	case c.maxMegapixels <= 0:
		return c, fmt.Errorf("--max-megapixels %v: must be > 0", c.maxMegapixels)
	case c.minDetection < 0 || c.minDetection > 1 || c.minTracking < 0 || c.minTracking > 1:
		return c, errors.New("confidence thresholds must be in [0,1]")
	}
	return c, c.people.check()
}

// rawLayoutFlags checks --raw, --width, --height and --stride together: the size flags go with
// --raw only, and --raw needs both sizes.
func rawLayoutFlags(raw string, width, height, stride int) (*pixels.RawLayout, error) {
	if raw == "" {
		if width != 0 || height != 0 || stride != 0 {
			return nil, errors.New("--width, --height and --stride describe --raw files: give --raw FORMAT too")
		}
		return nil, nil
	}
	format, err := pixels.ParseRawFormat(raw)
	if err != nil {
		return nil, fmt.Errorf("--raw: %w", err)
	}
	if width <= 0 || height <= 0 || stride < 0 {
		return nil, fmt.Errorf("--raw %s needs --width and --height in pixels (> 0), and --stride >= 0; got %dx%d stride %d",
			format, width, height, stride)
	}
	return &pixels.RawLayout{Format: format, Width: width, Height: height, Stride: stride}, nil
}

func runInfer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseInfer(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "holostream infer:", err)
		return 2
	}
	if c.overlayDir != "" {
		if err := os.MkdirAll(c.overlayDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "holostream infer: --overlay:", err)
			return 2
		}
	}
	lm, err := model.Open(c.kind, append(c.people.options(), model.WithModelDir(c.modelDir), model.WithThreads(c.threads),
		model.WithMinDetectionConfidence(float32(c.minDetection)), model.WithMinTrackingConfidence(float32(c.minTracking)))...)
	if err != nil {
		fmt.Fprintln(stderr, "holostream infer:", err)
		return 1
	}
	defer lm.Close()

	enc := json.NewEncoder(stdout)
	var track model.Track
	failed := 0
	for i, path := range c.files {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "holostream infer: interrupted")
			return 130
		}
		ts := time.Duration(float64(i) * float64(time.Second) / c.fps)
		out, err := inferFile(lm, c, path, &track, ts)
		if err != nil {
			failed++
			out = model.Output{Source: path, Error: err.Error()}
			if c.video {
				track.Reset() // a frame we could not read is a gap in the stream
			}
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "holostream infer: write:", err)
			return 1
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "holostream infer: %d of %d images failed\n", failed, len(c.files))
		return 1
	}
	return 0
}

func inferFile(lm *model.Landmarker, c inferConfig, path string, track *model.Track, ts time.Duration) (model.Output, error) {
	start := time.Now()
	data, err := readFileLimited(path, maxInferFileBytes)
	if err != nil {
		return model.Output{}, err
	}
	img, err := decodeInferFile(data, c)
	if err != nil {
		return model.Output{}, err
	}
	decoded := time.Since(start)
	var res model.Result
	if c.video {
		res, err = lm.Track(img, track, ts)
	} else {
		res, err = lm.Detect(img)
	}
	if err != nil {
		return model.Output{}, err
	}
	out := model.NewOutput(path, img, lm.Kind(), res, decoded, time.Since(start))
	if c.people.maxPeople > 1 {
		out.People = model.NewPeopleOutput(res)
	}
	if c.overlayDir != "" {
		if err := writeOverlay(c.overlayDir, path, img, res); err != nil {
			return model.Output{}, err
		}
	}
	return out, nil
}

// decodeInferFile reads a file as --raw says, or as an encoded image.
func decodeInferFile(data []byte, c inferConfig) (pixels.Image, error) {
	if c.raw != nil {
		return pixels.DecodeRaw(data, *c.raw, c.maxMegapixels)
	}
	img, _, err := pixels.DecodeImage(data, c.maxMegapixels)
	return img, err
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not an image", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a camera frame", path, limit>>20)
	}
	return data, nil
}

func writeOverlay(dir, path string, img pixels.Image, res model.Result) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".png"
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	if err := png.Encode(f, overlay.Draw(img, res)); err != nil {
		f.Close()
		return fmt.Errorf("overlay %s: %w", name, err)
	}
	return f.Close()
}
