package pixels

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// jpegInputs are real JPEGs (photos, the footage, CMYK, grayscale, progressive) and the ways
// they can fail: truncated, a header alone, over the pixel limit.
type jpegInput struct {
	name string
	data []byte
	max  float64
}

func jpegInputs(t *testing.T) []jpegInput {
	t.Helper()
	var paths []string
	for _, glob := range []string{"../testdata/images/*.jpg", "../testdata/decode/*.jpg", "../testdata/video/frame_00*.jpg"} {
		p, _ := filepath.Glob(glob)
		paths = append(paths, p...)
	}
	sort.Strings(paths)
	if len(paths) < 10 {
		t.Fatalf("%d JPEGs under testdata, want the photos, the decode set and the footage", len(paths))
	}
	var in []jpegInput
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		in = append(in,
			jpegInput{name, data, DefaultMaxMegapixels},
			jpegInput{name + " truncated", data[:len(data)/3], DefaultMaxMegapixels},
			jpegInput{name + " header only", data[:200], DefaultMaxMegapixels},
			jpegInput{name + " over 0.01 MP", data, 0.01},
			jpegInput{name + " damaged", damage(data), DefaultMaxMegapixels},
		)
	}
	return in
}

// damage overwrites the middle of the entropy-coded data with a run of markers.
func damage(data []byte) []byte {
	out := bytes.Clone(data)
	for i := len(out) / 2; i < len(out)/2+64 && i < len(out)-2; i++ {
		out[i] = 0xff
	}
	return out
}

// outcome is what one decode gave: the pixels' digest, or the error.
func outcome(img Image, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%dx%d %x", img.Width, img.Height, sha256.Sum256(img.Pix))
}

// TestTurboHandlesAreDestroyed: every TurboJPEG handle made is destroyed, whether the decode
// succeeds or fails at any point, with 8 goroutines decoding at once (run with -race); and each
// decode gives what it gives alone, its error message included (libjpeg-turbo keeps that in a
// thread-local buffer, which goroutines moving between threads read wrong when it is fetched
// in a call of its own).
func TestTurboHandlesAreDestroyed(t *testing.T) {
	inputs := jpegInputs(t)
	want := make([]string, len(inputs))
	var live atomic.Int64
	failures := 0
	for i, in := range inputs {
		img, err := decodeJPEG(in.data, in.max, &live)
		want[i] = outcome(img, err)
		if err != nil {
			failures++
			if !errors.Is(err, ErrCorruptImage) && !errors.Is(err, ErrImageTooLarge) {
				t.Errorf("%d (%s): %v, want a corrupt or too large image", i, in.name, err)
			}
			// libjpeg's own message, not another thread's or none.
			if strings.HasSuffix(err.Error(), ": No error") {
				t.Errorf("%d (%s): %v: the message of what was wrong is lost", i, in.name, err)
			}
		}
		if n := live.Load(); n != 0 {
			t.Fatalf("%d (%s): %d handles alive after the decode returned", i, in.name, n)
		}
	}
	if failures == 0 || failures == len(inputs) {
		t.Fatalf("%d of %d decodes failed: the inputs do not cover both paths", failures, len(inputs))
	}

	const goroutines, rounds = 8, 3
	var wg sync.WaitGroup
	var mismatches atomic.Int64
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for k := range inputs {
					i := (k + g*7 + r) % len(inputs) // each goroutine in its own order
					img, err := decodeJPEG(inputs[i].data, inputs[i].max, &live)
					if got := outcome(img, err); got != want[i] && mismatches.Add(1) <= 3 {
						t.Errorf("%d (%s) decoded beside others: %q; alone: %q", i, inputs[i].name, got, want[i])
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := mismatches.Load(); n != 0 {
		t.Errorf("%d of %d concurrent decodes differ from the same decode alone", n, goroutines*rounds*len(inputs))
	}
	if n := live.Load(); n != 0 {
		t.Errorf("%d TurboJPEG handles alive after %d decodes: leaked", n, (goroutines*rounds+1)*len(inputs))
	}
	t.Logf("%d decodes (%d inputs, %d failing), no handle left", (goroutines*rounds+1)*len(inputs), len(inputs), failures)
}

// TestTurboCountsHandles: the count moves with each handle made and destroyed, so a leak would
// show in the test above; destroying a decompressor twice frees its handle once.
func TestTurboCountsHandles(t *testing.T) {
	var live atomic.Int64
	var open []decompressor
	for range 64 {
		d, err := newDecompressor(&live)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, d)
	}
	if n := live.Load(); n != 64 {
		t.Fatalf("%d handles counted alive, 64 made", n)
	}
	for i := range open {
		open[i].destroy()
	}
	if n := live.Load(); n != 0 {
		t.Errorf("%d handles counted alive after all 64 were destroyed", n)
	}
	open[0].destroy()
	if n := live.Load(); n != 0 {
		t.Errorf("a second destroy counted %d handles alive, want 0", n)
	}
}
