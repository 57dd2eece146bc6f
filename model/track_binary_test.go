package model

import (
	"errors"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

// TestTrackBinaryRoundTrip runs real footage through the tracker and checks the binary form of
// the track after every frame decodes to the same track, and that tracking continues identically
// from the decoded copy.
func TestTrackBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	paths, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(paths)
	l := openForTest(t, PoseLite)
	var kept, moved Track
	for i, p := range paths[:8] {
		img := loadImage(t, p)
		ts := time.Duration(i) * 33333 * time.Microsecond
		a, err := l.Track(img, &kept, ts)
		if err != nil {
			t.Fatal(err)
		}
		data, err := moved.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Track
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !reflect.DeepEqual(back, moved) {
			t.Fatalf("frame %d: track changed in a binary round trip", i)
		}
		b, err := l.Track(img, &back, ts)
		if err != nil {
			t.Fatal(err)
		}
		moved = back
		if (a.Pose == nil) != (b.Pose == nil) || (a.Pose != nil && a.Pose.Landmarks != b.Pose.Landmarks) {
			t.Fatalf("frame %d: tracking from the decoded track diverges", i)
		}
	}
	data, _ := kept.MarshalBinary()
	t.Logf("a pose track is %d bytes", len(data))
	// Holistic fields survive too.
	h := Track{FaceLandmarks: []Point{{1, 2}}, RightHandLandmarks: []Point{{3, 4}, {5, 6}}}
	data, _ = h.MarshalBinary()
	var back Track
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, h) {
		t.Errorf("holistic fields: %v %+v", err, back)
	}
}

func TestTrackBinaryRejectsGarbage(t *testing.T) {
	t.Parallel()
	good, _ := (&Track{ROI: &Rect{Width: 1}, Visibility: make([]LowPassState, 3)}).MarshalBinary()
	for i, data := range [][]byte{nil, {'T'}, {'X', 1}, {'T', 9}, good[:len(good)-1], append(append([]byte{}, good...), 0),
		{'T', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}} {
		var tr Track
		if err := tr.UnmarshalBinary(data); !errors.Is(err, ErrBadTrack) {
			t.Errorf("%d: err = %v, want ErrBadTrack", i, err)
		}
	}
}

// FuzzTrackUnmarshal: any bytes either fail with ErrBadTrack or decode to a track whose encoding
// is stable (encode, decode, encode gives the same bytes); never a panic or an allocation larger
// than the input allows.
func FuzzTrackUnmarshal(f *testing.F) {
	good, _ := (&Track{ROI: &Rect{Width: 1}, Landmarks: make([]OneEuroState, 2), FaceLandmarks: []Point{{1, 2}}}).MarshalBinary()
	f.Add(good)
	f.Add([]byte{'T', 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Track
		if err := tr.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrBadTrack) {
				t.Fatalf("error %v does not wrap ErrBadTrack", err)
			}
			return
		}
		again, err := tr.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Track
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded track does not decode: %v", err)
		}
		if third, _ := back.MarshalBinary(); string(third) != string(again) {
			t.Fatal("encoding is not stable")
		}
	})
}
