package model

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/holostream/holostream/pixels"
)

// Benchmarks per stage and per frame. Frames are the 640x480 JPEGs of testdata/video (real
// footage); decoding them alone is pixels' BenchmarkDecodeJPEG. One interpreter thread, XNNPACK on: the budgets (README.md, Benchmarks) are per core.
// `make bench` runs them; README.md has the measured table.

func videoFrames(b *testing.B) [][]byte {
	b.Helper()
	paths, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(paths)
	if len(paths) == 0 {
		b.Fatal("no frames under testdata/video")
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func decodeAll(b *testing.B, frames [][]byte) []pixels.Image {
	b.Helper()
	imgs := make([]pixels.Image, len(frames))
	for i, f := range frames {
		img, _, err := pixels.DecodeImage(f, 0)
		if err != nil {
			b.Fatal(err)
		}
		imgs[i] = img
	}
	return imgs
}

// BenchmarkTrackFrame is the budgeted number: video mode, JPEG bytes in, smoothed landmarks out,
// decode and crop included, the detector only when tracking is lost (as in a live stream).
func BenchmarkTrackFrame(b *testing.B) {
	frames := videoFrames(b)
	for _, kind := range poseKinds() {
		b.Run(string(kind), func(b *testing.B) {
			l := openForTest(b, kind)
			var tr Track
			detections := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				img, _, err := pixels.DecodeImage(frames[i%len(frames)], 0)
				if err != nil {
					b.Fatal(err)
				}
				res, err := l.Track(img, &tr, time.Duration(i)*33333*time.Microsecond)
				if err != nil {
					b.Fatal(err)
				}
				if res.DetectorRan {
					detections++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			b.ReportMetric(float64(detections)/float64(b.N), "detections/frame")
		})
	}
}

// BenchmarkDetectFrame is image mode: detector and landmark model on every frame, decode included.
func BenchmarkDetectFrame(b *testing.B) {
	frames := videoFrames(b)
	for _, kind := range poseKinds() {
		b.Run(string(kind), func(b *testing.B) {
			l := openForTest(b, kind)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				img, _, err := pixels.DecodeImage(frames[i%len(frames)], 0)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := l.Detect(img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
		})
	}
}

// BenchmarkStages times each model stage alone on a decoded frame: the detector (crop +
// invoke + decode + NMS) and each landmark model (crop + invoke).
func BenchmarkStages(b *testing.B) {
	imgs := decodeAll(b, videoFrames(b))
	l := openForTest(b, PoseLite)
	w := l.all[0]
	b.Run("detector", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, _, err := w.detect(l, imgs[i%len(imgs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, kind := range poseKinds() {
		b.Run("landmarks/"+string(kind), func(b *testing.B) {
			lk := openForTest(b, kind)
			wk := lk.all[0]
			roi := Rect{XCenter: 0.5, YCenter: 0.5, Width: 0.6, Height: 0.8}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := Crop(imgs[i%len(imgs)], roi, wk.lm.input, landmarkInput, landmarkInput, 0, 1, BorderReplicate); err != nil {
					b.Fatal(err)
				}
				if err := wk.lm.invoke(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
