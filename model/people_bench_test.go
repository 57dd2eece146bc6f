package model

import (
	"fmt"
	"testing"
)

// BenchmarkPeople is the cost of several people in one frame (WithMaxPeople): the detector once,
// then one landmark-model run per person, on one worker (no idle workers to spread over), pose
// full, one interpreter thread. basketball2.png has two people; the 4- and 8-people cases run
// each of their ROIs 2 and 4 times, which costs what more people would. "landmarks" is one
// landmark-model run alone (crop, invoke, decode, project), the unit the extra people should
// cost.
func BenchmarkPeople(b *testing.B) {
	img := loadImage(b, "../testdata/images/basketball2.png")
	l := openForTest(b, PoseFull, WithMaxPeople(4))
	w := <-l.pool
	defer func() { l.pool <- w }()
	found, err := w.peopleROIs(l, img)
	if err != nil || len(found) != 2 {
		b.Fatalf("basketball2.png: %d ROIs (%v), want 2", len(found), err)
	}
	for _, n := range []int{1, 2, 4, 8} {
		rois := make([]Rect, n)
		for i := range rois {
			rois[i] = found[i%len(found)]
		}
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.peopleROIs(l, img); err != nil {
					b.Fatal(err)
				}
				people, _, err := l.peopleOn(w, img, rois)
				if err != nil || len(people) != n {
					b.Fatalf("%d people (%v), want %d", len(people), err, n)
				}
			}
		})
	}
	b.Run("landmarks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if p, _, err := w.landmarks(l, img, found[0], tasksHeatmapKernel); err != nil || p == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("detector", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.peopleROIs(l, img); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSSDPeople is the SSD person detector's cost on a surveillance frame (768x576, 9
// labelled people 38-132 px tall, 8 found): the detector alone, and a whole frame in image mode
// (the detector, then the landmark model per person, one worker on one thread); people/op is
// how many people the frame gave.
func BenchmarkSSDPeople(b *testing.B) {
	img := loadImage(b, "../testdata/surveillance/frame_0720.jpg")
	l := openForTest(b, PoseFull, WithMaxPeople(16), WithPersonDetector(SSDDetector))
	b.Run("detector", func(b *testing.B) {
		w := <-l.pool
		defer func() { l.pool <- w }()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.ssd.people(l.ssdAnchors, img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("frame", func(b *testing.B) {
		b.ReportAllocs()
		people := 0
		for b.Loop() {
			res, err := l.Detect(img)
			if err != nil {
				b.Fatal(err)
			}
			people = len(res.People)
		}
		b.ReportMetric(float64(people), "people/op")
	})
}
