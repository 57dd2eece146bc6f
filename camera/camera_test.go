package camera

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

func TestFromDirReadsImagesInOrder(t *testing.T) {
	t.Parallel()
	src, err := FromDir("../testdata/images")
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md is skipped; the five photos come in name order.
	want := []string{"astronaut.png", "basketball1.png", "basketball2.png", "fruits.jpg", "messi5.jpg"}
	if len(src) != len(want) {
		t.Fatalf("%d stills, want %d", len(src), len(want))
	}
	for i, s := range src {
		if s.Name != want[i] || len(s.Data) == 0 {
			t.Errorf("%d: %s (%d bytes), want %s", i, s.Name, len(s.Data), want[i])
		}
	}
	if src[0].ContentType != "image/png" || src[4].ContentType != "image/jpeg" {
		t.Errorf("content types %s, %s", src[0].ContentType, src[4].ContentType)
	}
	if _, err := FromDir(t.TempDir()); err == nil {
		t.Error("empty directory: no error")
	}
}

func TestCameraRunStampsAndLoops(t *testing.T) {
	t.Parallel()
	src, err := Synthetic(3, 64, 48)
	if err != nil {
		t.Fatal(err)
	}
	var got []schemas.Frame
	sink := func(_ context.Context, f schemas.Frame) error { got = append(got, f); return nil }
	n, err := Camera{ID: "cam", User: "u", FirstSeq: 5}.Run(context.Background(), src, 7, sink)
	if err != nil || n != 7 || len(got) != 7 {
		t.Fatalf("sent %d (%d seen): %v", n, len(got), err)
	}
	for i, f := range got {
		if f.Seq != int64(5+i) || f.CameraID != "cam" || f.UserID != "u" || f.ContentType != "image/jpeg" {
			t.Errorf("frame %d: %+v", i, f)
		}
		if string(f.Image) != string(src[i%3].Data) {
			t.Errorf("frame %d: not source still %d", i, i%3)
		}
		if i > 0 && f.CapturedAt.Before(got[i-1].CapturedAt) {
			t.Errorf("frame %d captured before frame %d", i, i-1)
		}
	}
}

func TestCameraRunPacesAndStops(t *testing.T) {
	t.Parallel()
	src, _ := Synthetic(2, 16, 16)
	start := time.Now()
	n, err := Camera{ID: "cam", FPS: 50}.Run(context.Background(), src, 6, func(context.Context, schemas.Frame) error { return nil })
	if err != nil || n != 6 {
		t.Fatalf("sent %d: %v", n, err)
	}
	// Six frames at 50 fps are five intervals of 20 ms.
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Errorf("6 frames at 50 fps took %v, want >= 100 ms", el)
	}
	boom := errors.New("broker down")
	_, err = Camera{ID: "cam"}.Run(context.Background(), src, 3, func(context.Context, schemas.Frame) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("sink error not returned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := (Camera{ID: "cam", FPS: 10}).Run(ctx, src, 0, func(context.Context, schemas.Frame) error { return nil }); err != nil || n > 1 {
		t.Errorf("cancelled: sent %d, %v", n, err)
	}
	if _, err := (Camera{}).Run(context.Background(), src, 1, nil); err == nil {
		t.Error("no camera id: no error")
	}
}
