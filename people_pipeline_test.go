package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/holostream/holostream/camera"
	"github.com/holostream/holostream/embedded"
	"github.com/holostream/holostream/kafka"
	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/schemas"
	"github.com/holostream/holostream/stream"
)

// TestPeopleKeepTheirIdsAcrossFailover: with several people per camera (max people 4), every
// keypoint event carries every person with a track id, and the ids live in the camera's table
// row: when the instance that had a camera stops, the other takes it over with the same ids.
// Each camera sees two players (basketball2.png) for 5 frames (ids 1 and 2), nobody for 4
// (tracking lost; 400 ms at the test clock's 100 ms a frame, beyond the test's 300 ms
// re-identification window, so not a short occlusion), the players again (new ids 3 and 4,
// never 1 and 2 again), then the handover, then 10 more frames of them: a fresh tracker would call them 1 and 2, the one
// restored from the table keeps 3 and 4.
func TestPeopleKeepTheirIdsAcrossFailover(t *testing.T) {
	cluster, err := embedded.Start(embedded.Options{Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	topo := stream.NewTopology("")
	clients, err := kafka.New(kafka.Config{Brokers: cluster.Brokers(), ClientID: "people-test", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	w, err := stream.NewWire(context.Background(), topo, cluster.RegistryURL())
	if err != nil {
		t.Fatal(err)
	}
	const reid = 300 * time.Millisecond
	lm, err := model.Open(model.PoseFull, model.WithWorkers(2), model.WithMaxPeople(4), model.WithReidWindow(reid))
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	still := func(path string) camera.Still {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return camera.Still{Name: path, Data: data, ContentType: "image/png"}
	}
	players, nobody := still("testdata/images/basketball2.png"), still("testdata/images/fruits.jpg")
	nobody.ContentType = "image/jpeg"
	var src camera.Source
	for seq := 1; seq <= 20; seq++ {
		if seq >= 6 && seq <= 9 {
			src = append(src, nobody)
		} else {
			src = append(src, players)
		}
	}
	if gap := 4 * 100 * time.Millisecond; gap <= reid {
		t.Fatalf("the players' absence (%v) is within the re-identification window (%v): they would keep ids 1 and 2", gap, reid)
	}
	ids := []string{"court-a", "court-b", "court-c", "court-d"}
	clocks := map[string]func() time.Time{}
	for _, id := range ids {
		clocks[id] = steppingClock(time.Now())
	}
	produce := func(first int64) {
		t.Helper()
		var cams []camera.Camera
		for _, id := range ids {
			cams = append(cams, camera.Camera{ID: id, User: id, FirstSeq: first, Now: clocks[id]})
		}
		if n, err := stream.Produce(context.Background(), clients, topo, w, src[first-1:], cams, 10); err != nil || n != int64(10*len(ids)) {
			t.Fatalf("produced %d frames: %v", n, err)
		}
	}
	cfg := func() stream.Config {
		return stream.Config{Topology: topo, Landmarker: lm, MaxImageBytes: 8 << 20, MaxMegapixels: 50,
			Window: time.Second, Grace: 100 * time.Millisecond}
	}
	a := runInstance(t, cfg(), clients, w, prometheus.NewRegistry())
	b := runInstance(t, cfg(), clients, w, prometheus.NewRegistry())
	defer a.stop(t)
	defer b.stop(t)
	produce(1)
	waitAccounted(t, topo, clients, ids, 10)
	onA := map[string]bool{}
	for _, o := range a.observations() {
		onA[o.Camera] = true
	}
	if len(onA) == 0 || len(onA) == len(ids) {
		t.Fatalf("instance A had %d of %d cameras: the partitions were not shared", len(onA), len(ids))
	}
	a.stop(t)
	produce(11)
	states := waitAccounted(t, topo, clients, ids, 20)

	// Every event of every camera, by seq: the people's ids; n counts the frames seen.
	var mu sync.Mutex
	got := map[string]map[int64][]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	err = stream.Tail(ctx, clients, []string{string(topo.Keypoints)}, true, func(r stream.Record) error {
		ev, err := w.Keypoints.Decode(r.Value)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if got[ev.CameraID] == nil {
			got[ev.CameraID] = map[int64][]int64{}
		}
		var people []int64
		for _, p := range ev.People {
			people = append(people, p.ID)
			if p.Pose == nil {
				t.Errorf("%s seq %d: person %d without a pose", ev.CameraID, ev.Seq, p.ID)
			}
		}
		sort.Slice(people, func(i, j int) bool { return people[i] < people[j] })
		if _, again := got[ev.CameraID][ev.Seq]; !again {
			n++ // a frame read again after the handover (at-least-once) is emitted again
		}
		got[ev.CameraID][ev.Seq] = people
		if (len(people) > 0) != (ev.Status == schemas.StatusDetected) {
			t.Errorf("%s seq %d: %d people but status %s", ev.CameraID, ev.Seq, len(people), ev.Status)
		}
		if n == 20*len(ids) {
			return stream.ErrStop
		}
		return nil
	})
	if err != nil || n < 20*len(ids) {
		var missing []string
		for i, id := range ids {
			for seq := int64(1); seq <= 20; seq++ {
				if _, ok := got[id][seq]; !ok {
					missing = append(missing, fmt.Sprintf("%s seq %d (counters %+v; A saw %s; B saw %s)", id, seq, states[i].Counters,
						seen(a.observations(), id), seen(b.observations(), id)))
				}
			}
		}
		t.Fatalf("read %d keypoint events of %d (%v); missing: %s", n, 20*len(ids), err, strings.Join(missing, "; "))
	}
	want := func(seq int64) string {
		switch {
		case seq <= 5:
			return "[1 2]"
		case seq <= 9:
			return "[]"
		default:
			return "[3 4]"
		}
	}
	for i, id := range ids {
		var wrong []string
		for seq := int64(1); seq <= 20; seq++ {
			if g := fmt.Sprint(got[id][seq]); g != want(seq) && !(want(seq) == "[]" && g == "[]") {
				wrong = append(wrong, fmt.Sprintf("seq %d: %s, want %s", seq, g, want(seq)))
			}
		}
		if len(wrong) > 0 {
			t.Errorf("%s (on A before the handover: %v): %s", id, onA[id], strings.Join(wrong, "; "))
		}
		if s := states[i]; s.Track.LastID != 4 || len(s.Track.People) != 2 || s.Counters.Emitted != 20 {
			t.Errorf("%s: table row: last id %d, %d people tracked, %d emitted; want 4, 2, 20", id, s.Track.LastID, len(s.Track.People), s.Counters.Emitted)
		}
	}
	t.Logf("A had %d of %d cameras; after the handover every camera's two players kept ids 3 and 4", len(onA), len(ids))
}
