package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Still is one image and its content type: encoded, or raw pixels with their size.
type Still struct {
	Name        string
	Data        []byte
	ContentType string // "image/jpeg", "image/png" or a raw layout ("video/x-raw; format=BGR")
	// Width and Height are the pixels of a raw still (0 for an encoded one, whose bytes say).
	Width, Height int
}

// Source is a finite, ordered list of frames; producers loop over it.
type Source []Still

// FromFS reads every .jpg, .jpeg and .png file matching pattern in fsys, in name order.
func FromFS(fsys fs.FS, pattern string) (Source, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var src Source
	for _, n := range names {
		ct := contentType(n)
		if ct == "" {
			continue
		}
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		src = append(src, Still{Name: n, Data: data, ContentType: ct})
	}
	if len(src) == 0 {
		return nil, fmt.Errorf("camera: no .jpg or .png files match %s", pattern)
	}
	return src, nil
}

// FromDir reads the images of a directory, in name order.
func FromDir(dir string) (Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("camera: %s is not a directory", dir)
	}
	return FromFS(os.DirFS(dir), "*")
}

func contentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	}
	return ""
}

// ErrNoFFmpeg is returned by FromVideo when ffmpeg is not installed.
var ErrNoFFmpeg = errors.New("camera: ffmpeg not found: install it (apt-get install ffmpeg) to read video files, or give a directory of images")

// FromVideo decodes up to maxFrames frames of a video file with ffmpeg into JPEGs, scaled to at
// most width pixels wide (0 keeps the size).
func FromVideo(ctx context.Context, path string, maxFrames, width int) (Source, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, ErrNoFFmpeg
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "holostream-video-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := []string{"-nostdin", "-loglevel", "error", "-i", path, "-frames:v", fmt.Sprint(maxFrames), "-q:v", "3"}
	if width > 0 {
		args = append(args, "-vf", fmt.Sprintf("scale='min(%d,iw)':-2", width))
	}
	args = append(args, filepath.Join(dir, "frame_%06d.jpg"))
	if out, err := exec.CommandContext(ctx, ff, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("camera: ffmpeg %s: %v: %s", path, err, bytes.TrimSpace(out))
	}
	return FromDir(dir)
}

// Synthetic makes n JPEG frames of a bright disc moving over a gradient: frames with no person,
// for load tests of the pipeline rather than of the model's accuracy.
func Synthetic(n, w, h int) (Source, error) {
	src := make(Source, 0, n)
	for i := 0; i < n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		cx := float64(w) * (0.5 + 0.35*math.Cos(2*math.Pi*float64(i)/float64(n)))
		cy := float64(h) * (0.5 + 0.35*math.Sin(2*math.Pi*float64(i)/float64(n)))
		r := float64(min(w, h)) / 10
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 96, 255}
				if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < r*r {
					c = color.RGBA{250, 250, 250, 255}
				}
				img.SetRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		src = append(src, Still{Name: fmt.Sprintf("synthetic-%04d.jpg", i), Data: buf.Bytes(), ContentType: "image/jpeg"})
	}
	return src, nil
}
