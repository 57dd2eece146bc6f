package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/holostream/holostream/schemas"
)

// cameraJSON is the body of GET /v1/cameras/cam-1 for pinnedTable: its field names and order
// are the API's (and `holostream state` prints the same object).
const cameraJSON = `{"camera_id":"cam-1","last_seq":41,"last_captured_at":"2025-03-14T09:26:53.589793Z","tracking":true,` +
	`"counters":{"received":45,"emitted":40,"dead_lettered":3,"stale":1,"duplicate":1,"detected":38,"gaps":2,"restarts":1,"redelivered":4},` +
	`"balanced":true}`

// pinnedTable is the view that landmarks' TestCameraView builds from a camera state.
var pinnedTable = tableStore{"cam-1": {LastSeq: 41, LastCapturedAt: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC), Tracking: true,
	Counters: schemas.CameraCounters{Received: 45, Emitted: 40, DeadLettered: 3, Stale: 1, Duplicate: 1, Detected: 38, Gaps: 2,
		Restarts: 1, Redelivered: 4}, Balanced: true}}

// TestCameraJSON pins the JSON of a camera, alone and in the list.
func TestCameraJSON(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Cameras: pinnedTable})
	if code, _, body := call(t, s, "GET", "/v1/cameras/cam-1", nil); code != http.StatusOK || string(body) != cameraJSON+"\n" {
		t.Errorf("GET /v1/cameras/cam-1: %d\n got %s\nwant %s", code, body, cameraJSON)
	}
	if code, _, body := call(t, s, "GET", "/v1/cameras", nil); code != http.StatusOK || string(body) != `{"cameras":[`+cameraJSON+"]}\n" {
		t.Errorf("GET /v1/cameras: %d\n got %s\nwant %s", code, body, `{"cameras":[`+cameraJSON+"]}")
	}
}
