package pixels

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// The decode benchmarks (BenchmarkDecodeJPEG here, BenchmarkDecodeRaw, BenchmarkDecodeWebP) run on
// the 640x480 JPEGs of testdata/video (real footage), the frames model's per-frame benchmarks
// decode too. `make bench` runs them; README.md has the measured table.

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

func decodeAll(b *testing.B, frames [][]byte) []Image {
	b.Helper()
	imgs := make([]Image, len(frames))
	for i, f := range frames {
		img, _, err := DecodeImage(f, 0)
		if err != nil {
			b.Fatal(err)
		}
		imgs[i] = img
	}
	return imgs
}

func BenchmarkDecodeJPEG(b *testing.B) {
	frames := videoFrames(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := DecodeImage(frames[i%len(frames)], 0); err != nil {
			b.Fatal(err)
		}
	}
}
