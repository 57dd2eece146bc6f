package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
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
	for i, data := range [][]byte{nil, {'T'}, {'X', 1}, {'T', 9}, {'T', 0}, good[:len(good)-1], append(append([]byte{}, good...), 0),
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
	multi, _ := (&Track{People: []TrackedPerson{{ID: 1, ROI: Rect{Width: 1}}}, LastID: 1}).MarshalBinary()
	f.Add(multi)
	withLost, _ := (&Track{People: []TrackedPerson{{ID: 2, ROI: Rect{Width: 1}}}, LastID: 2,
		Lost: []LostPerson{{ID: 1, ROI: Rect{XCenter: 0.3, Width: 0.5}, LostAt: 5}}}).MarshalBinary()
	f.Add(withLost)
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

// TestTrackBinaryVersions: a track without several-people state is written as version 1, the
// bytes builds before version 2 wrote (and read back the same by this one); one with people is
// version 2 and round-trips, people, ids and the id counter included; lost people make version
// 3, extents version 4 and Holistic landmarks per person version 5, each the previous version's
// bytes with its field appended.
func TestTrackBinaryVersions(t *testing.T) {
	t.Parallel()
	one := Track{ROI: &Rect{XCenter: 0.5, YCenter: 0.25, Width: 0.5, Height: 0.375, Rotation: 0.125}, LastTimestamp: 7,
		Visibility: []LowPassState{{Initialized: true, Raw: 1, Stored: 0.5}}, LeftHandLandmarks: []Point{{0.25, 0.75}}}
	data, err := one.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// Version 1, as written before version 2 existed: header, ROI, timestamp, 3 empty One Euro
	// lists, 1 visibility and 0 world visibility states, face 0, left hand 1 point, right hand 0.
	want := "5401" + "01" + "0000003f" + "0000803e" + "0000003f" + "0000c03e" + "0000003e" + "0700000000000000" +
		"0000" + "0000" + "0000" + "0100" + "01" + "0000803f" + "0000003f" + "0000" + "0000" + "0100" + "0000803e" + "0000403f" + "0000"
	if got := fmt.Sprintf("%x", data); got != want {
		t.Errorf("one-person track:\n got %s\nwant %s", got, want)
	}
	var back Track
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, one) {
		t.Errorf("version 1: %v %+v", err, back)
	}
	many := Track{LastTimestamp: 9, People: []TrackedPerson{{ID: 3, ROI: Rect{XCenter: 0.1, Width: 0.2}}, {ID: 7, ROI: Rect{YCenter: 0.9, Rotation: -1}}}, LastID: 7}
	if data, err = many.MarshalBinary(); err != nil || data[1] != 2 {
		t.Fatalf("several people: version %d, err %v", data[1], err)
	}
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, many) {
		t.Errorf("version 2: %v %+v", err, back)
	}
	// A counter alone (everyone lost) is state too: ids must not restart.
	lost := Track{LastID: 4}
	data, _ = lost.MarshalBinary()
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || back.LastID != 4 {
		t.Errorf("id counter alone: %v %+v", err, back)
	}
	for _, cut := range []int{1, 9} {
		if err := back.UnmarshalBinary(data[:len(data)-cut]); !errors.Is(err, ErrBadTrack) {
			t.Errorf("version 2 cut by %d: err %v", cut, err)
		}
	}
	// Lost people (re-identification) make version 3: version 2's bytes, then the lost list.
	v2, _ := many.MarshalBinary()
	withLost := many
	withLost.Lost = []LostPerson{{ID: 5, ROI: Rect{XCenter: 0.4, YCenter: 0.5, Width: 0.3, Height: 0.25}, LostAt: 123456789}, {ID: 6, LostAt: -1}}
	data, err = withLost.MarshalBinary()
	if err != nil || data[1] != 3 {
		t.Fatalf("lost people: version %d, err %v", data[1], err)
	}
	if string(data[2:len(v2)]) != string(v2[2:]) || len(data) != len(v2)+2+2*36 {
		t.Errorf("version 3 is not version 2's bytes then the lost list: %x", data)
	}
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, withLost) {
		t.Errorf("version 3: %v %+v", err, back)
	}
	// Lost people alone (nobody tracked now) are state too.
	alone := Track{LastID: 6, Lost: withLost.Lost[:1]}
	data, _ = alone.MarshalBinary()
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, alone) {
		t.Errorf("lost people alone: %v %+v", err, back)
	}
	for _, cut := range []int{1, 8, 36} {
		if err := back.UnmarshalBinary(data[:len(data)-cut]); !errors.Is(err, ErrBadTrack) {
			t.Errorf("version 3 cut by %d: err %v", cut, err)
		}
	}
	// Extents (the SSD person detector) make version 4: version 3's bytes, then one extent per
	// tracked person; none lost is still version 4, with an empty lost list.
	v3, _ := withLost.MarshalBinary()
	withExtents := withLost
	withExtents.People = slices.Clone(withLost.People)
	for i := range withExtents.People {
		withExtents.People[i].Extent = Extent{0.1 * float32(i), 0.2, 0.3, 0.9}
	}
	data, err = withExtents.MarshalBinary()
	if err != nil || data[1] != 4 {
		t.Fatalf("extents: version %d, err %v", data[1], err)
	}
	if string(data[2:len(v3)]) != string(v3[2:]) || len(data) != len(v3)+2+16*len(withExtents.People) {
		t.Errorf("version 4 is not version 3's bytes then the extents: %x", data)
	}
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, withExtents) {
		t.Errorf("version 4: %v %+v", err, back)
	}
	for _, cut := range []int{1, 16} {
		if err := back.UnmarshalBinary(data[:len(data)-cut]); !errors.Is(err, ErrBadTrack) {
			t.Errorf("version 4 cut by %d: err %v", cut, err)
		}
	}
	// An extents count that is not the people's is refused.
	bad := slices.Clone(data)
	binary.LittleEndian.PutUint16(bad[len(v3):], uint16(len(withExtents.People)-1))
	if err := back.UnmarshalBinary(bad[:len(bad)-16]); !errors.Is(err, ErrBadTrack) {
		t.Errorf("version 4 with %d extents for %d people: err %v", len(withExtents.People)-1, len(withExtents.People), err)
	}
	noLost := withExtents
	noLost.Lost = nil
	data, _ = noLost.MarshalBinary()
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || data[1] != 4 || !reflect.DeepEqual(back, noLost) {
		t.Errorf("version 4 without lost people: version %d, %v %+v", data[1], err, back)
	}
	// Holistic landmarks per person make version 5: version 4's bytes (extents or an empty
	// extents list), then each person's face and hands.
	withParts := withExtents
	withParts.People = slices.Clone(withExtents.People)
	withParts.People[0].FaceLandmarks = []Point{{0.1, 0.2}, {0.3, 0.4}}
	withParts.People[1].RightHandLandmarks = []Point{{0.5, 0.6}}
	v4, _ := withExtents.MarshalBinary()
	data, err = withParts.MarshalBinary()
	if err != nil || data[1] != 5 {
		t.Fatalf("Holistic people: version %d, err %v", data[1], err)
	}
	if string(data[2:len(v4)]) != string(v4[2:]) || len(data) != len(v4)+2+3*2*len(withParts.People)+3*8 {
		t.Errorf("version 5 is not version 4's bytes then the people's landmarks: %x", data)
	}
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || !reflect.DeepEqual(back, withParts) {
		t.Errorf("version 5: %v %+v", err, back)
	}
	for _, cut := range []int{1, 8} {
		if err := back.UnmarshalBinary(data[:len(data)-cut]); !errors.Is(err, ErrBadTrack) {
			t.Errorf("version 5 cut by %d: err %v", cut, err)
		}
	}
	partsOnly := withParts
	partsOnly.People = slices.Clone(withParts.People)
	for i := range partsOnly.People {
		partsOnly.People[i].Extent = Extent{}
	}
	data, _ = partsOnly.MarshalBinary()
	back = Track{}
	if err := back.UnmarshalBinary(data); err != nil || data[1] != 5 || !reflect.DeepEqual(back, partsOnly) {
		t.Errorf("version 5 without extents: version %d, %v %+v", data[1], err, back)
	}
	// This build refuses what a later one may write.
	data[1] = trackBinaryVersion + 1
	if err := back.UnmarshalBinary(data); !errors.Is(err, ErrBadTrack) {
		t.Errorf("version %d: err %v", data[1], err)
	}
}
