package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

// TestRecentStaysBounded: however many cameras and frames come, what Recent keeps stays within
// its frames per camera, cameras and bytes.
func TestRecentStaysBounded(t *testing.T) {
	t.Parallel()
	r := NewRecent(RecentOptions{Frames: 3, Cameras: 4, MaxBytes: 10_000})
	t0 := time.Now()
	for i := range 500 {
		cam := fmt.Sprintf("cam-%d", i%7)
		r.PutFrame(schemas.Frame{CameraID: cam, Seq: int64(i), CapturedAt: t0.Add(time.Duration(i)), ContentType: "image/jpeg", Image: make([]byte, 100+i%900)})
		if r.Bytes() > 10_000 {
			t.Fatalf("frame %d: %d bytes kept, budget 10000", i, r.Bytes())
		}
	}
	r.mu.Lock()
	cams, refs := len(r.cams), len(r.order)
	sum := int64(0)
	for _, c := range r.cams {
		if len(c.frames) > 3 {
			t.Errorf("%d frames kept for a camera, want <= 3", len(c.frames))
		}
		for _, f := range c.frames {
			sum += int64(len(f.image))
		}
	}
	r.mu.Unlock()
	if cams > 4 || sum != r.Bytes() || refs > 4*3*4 {
		t.Errorf("%d cameras (want <= 4), %d bytes counted vs %d kept, %d references", cams, r.Bytes(), sum, refs)
	}
	// The newest frame of a camera fed last is there; an old one is not.
	if _, _, ok := r.Frame("cam-2", 499); !ok {
		t.Error("the newest frame is not kept")
	}
	if _, _, ok := r.Frame("cam-2", 2); ok {
		t.Error("a frame 500 frames old is still kept")
	}
	// One picture may not take the whole budget.
	r.PutFrame(schemas.Frame{CameraID: "huge", Seq: 1, Image: make([]byte, 5000)})
	if _, _, ok := r.Frame("huge", 1); ok {
		t.Error("a picture of half the budget was kept")
	}
}

func TestRecentEndpoints(t *testing.T) {
	t.Parallel()
	r := NewRecent(RecentOptions{Actions: 2})
	jpg := photo(t, "messi5.jpg")
	r.PutKeypoints(schemas.KeypointEvent{CameraID: "cam-r", UserID: "u", Seq: 7})
	r.PutFrame(schemas.Frame{CameraID: "cam-r", Seq: 7, ContentType: "image/jpeg", Image: jpg})
	for i := range 3 {
		r.PutAction(schemas.ActionEvent{CameraID: "cam-r", UserID: "u", Seq: int64(i), Kind: schemas.ActionRep})
	}
	r.PutStats(schemas.PoseStats{UserID: "u", Frames: 10})
	r.PutStats(schemas.PoseStats{UserID: "nobody-seen", Frames: 1})
	s := newServer(t, Config{Recent: r})

	code, hdr, body := call(t, s, "GET", "/v1/cameras/cam-r/frames/7", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "image/jpeg" || len(body) != len(jpg) {
		t.Errorf("kept frame: %d %s, %d bytes", code, hdr.Get("Content-Type"), len(body))
	}
	for i, tc := range []struct {
		target string
		status int
		code   string
	}{
		{"/v1/cameras/cam-r/frames/8", http.StatusNotFound, CodeNotFound},
		{"/v1/cameras/other/frames/7", http.StatusNotFound, CodeNotFound},
		{"/v1/cameras/cam-r/frames/x", http.StatusBadRequest, CodeBadRequest},
	} {
		if code, _, body := call(t, s, "GET", tc.target, nil); code != tc.status || errorCode(t, body) != tc.code {
			t.Errorf("%d: %s: %d %s", i, tc.target, code, body)
		}
	}
	code, _, body = call(t, s, "GET", "/v1/cameras/cam-r/recent", nil)
	var h RecentHistory
	if err := json.Unmarshal(body, &h); code != http.StatusOK || err != nil {
		t.Fatalf("recent: %d %v %s", code, err, body)
	}
	if len(h.Actions) != 2 || h.Actions[1].Seq != 2 || len(h.Windows) != 1 || h.Windows[0].Frames != 10 || len(h.Frames) != 1 || h.Frames[0] != 7 {
		t.Errorf("recent: %+v, want the last 2 actions, the user's window and frame 7", h)
	}
	if code, _, _ := call(t, newServer(t, Config{}), "GET", "/v1/cameras/cam-r/recent", nil); code != http.StatusServiceUnavailable {
		t.Errorf("no Recent: %d, want 503", code)
	}
}
