package model

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/holostream/holostream/pixels"
)

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	if _, err := Open("pose-giant"); err == nil {
		t.Error("unknown kind: no error")
	}
	if _, err := Open(PoseLite, WithModelDir(t.TempDir())); err == nil {
		t.Error("empty model dir: no error")
	}
	if _, err := Open(PoseLite, WithThreads(0)); err == nil {
		t.Error("0 threads: no error")
	}
}

// TestConcurrentDetect runs one Landmarker from many goroutines and checks every result equals
// the sequential one: workers share models but never interpreters or buffers.
func TestConcurrentDetect(t *testing.T) {
	t.Parallel()
	l := openForTest(t, PoseLite, WithWorkers(3))
	imgs := []pixels.Image{loadImage(t, "../testdata/images/messi5.jpg"), loadImage(t, "../testdata/images/basketball1.png")}
	want := make([]Result, len(imgs))
	for i, img := range imgs {
		r, err := l.Detect(img)
		if err != nil || r.Pose == nil {
			t.Fatalf("image %d: %v, pose %v", i, err, r.Pose != nil)
		}
		want[i] = r
	}
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 4; k++ {
				i := (g + k) % len(imgs)
				r, err := l.Detect(imgs[i])
				if err != nil {
					errs <- err
					return
				}
				if r.Pose == nil || r.Pose.Landmarks != want[i].Pose.Landmarks {
					errs <- errors.New("concurrent result differs from sequential")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestTrackSurvivesSerialization is what lets tracking survive a rebalance: a Track marshalled
// to JSON and back mid-stream (as the stream processor's table does) continues exactly as the
// one kept in memory.
func TestTrackSurvivesSerialization(t *testing.T) {
	t.Parallel()
	paths, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(paths)
	if len(paths) < 10 {
		t.Fatalf("%d frames under testdata/video", len(paths))
	}
	l := openForTest(t, PoseLite)
	var kept, moved Track
	for i, p := range paths[:10] {
		img := loadImage(t, p)
		ts := time.Duration(i) * 33333 * time.Microsecond
		a, err := l.Track(img, &kept, ts)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(&moved)
		if err != nil {
			t.Fatal(err)
		}
		moved = Track{}
		if err := json.Unmarshal(data, &moved); err != nil {
			t.Fatal(err)
		}
		b, err := l.Track(img, &moved, ts)
		if err != nil {
			t.Fatal(err)
		}
		if (a.Pose == nil) != (b.Pose == nil) || a.DetectorRan != b.DetectorRan {
			t.Fatalf("frame %d: kept and serialized tracks diverge", i)
		}
		if a.Pose != nil && a.Pose.Landmarks != b.Pose.Landmarks {
			t.Fatalf("frame %d: landmarks differ after a JSON round trip of the track", i)
		}
	}
	if kept.ROI == nil {
		t.Error("no tracking ROI after 10 frames of a person walking")
	}
}

func TestTrackNeedsState(t *testing.T) {
	t.Parallel()
	l := openForTest(t, PoseLite)
	if _, err := l.Track(loadImage(t, "../testdata/images/messi5.jpg"), nil, 0); err == nil {
		t.Error("Track with a nil *Track: no error")
	}
	if _, err := l.Detect(pixels.Image{Width: 10, Height: 10}); err == nil {
		t.Error("image without pixels: no error")
	}
}
