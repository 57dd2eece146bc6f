package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
)

// rawBGR is a photo's pixels as OpenCV's frame.tobytes() gives them, and its size.
func rawBGR(t *testing.T, name string) (bgr []byte, w, h int) {
	t.Helper()
	img, _, err := pixels.DecodeImage(photo(t, name), 0)
	if err != nil {
		t.Fatal(err)
	}
	bgr, err = pixels.EncodeRaw(img, pixels.RawBGR24)
	if err != nil {
		t.Fatal(err)
	}
	return bgr, img.Width, img.Height
}

// TestInferRawAndWebP is the HTTP side of the frame formats: raw BGR24 with format, width and
// height in the query gives the landmarks of the PNG of the same pixels, bit for bit; a WebP is
// taken from its bytes; raw pixels that do not match their layout, or an unknown format, are a
// 400 with their own code, too many of them a 413.
func TestInferRawAndWebP(t *testing.T) {
	t.Parallel()
	s := newServer(t, Config{Inferer: landmarker(t)})
	bgr, w, h := rawBGR(t, "basketball1.png")
	infer := func(target string, body []byte) model.Output {
		t.Helper()
		code, _, resp := call(t, s, "POST", target, body, "Content-Type", "application/octet-stream")
		if code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", target, code, resp)
		}
		var out model.Output
		if err := json.Unmarshal(resp, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fromPNG := infer("/v1/infer", photo(t, "basketball1.png"))
	fromRaw := infer(fmt.Sprintf("/v1/infer?format=bgr24&width=%d&height=%d", w, h), bgr)
	a, _ := json.Marshal(fromPNG.Pose)
	b, _ := json.Marshal(fromRaw.Pose)
	if fromPNG.Pose == nil || !bytes.Equal(a, b) || fromRaw.Width != w || fromRaw.Height != h {
		t.Errorf("raw BGR24 over HTTP: %dx%d, landmarks differ from the PNG's:\n%s\n%s", fromRaw.Width, fromRaw.Height, a, b)
	}
	webp, err := os.ReadFile("../testdata/webp/messi5.q90.webp")
	if err != nil {
		t.Fatal(err)
	}
	if out := infer("/v1/infer", webp); out.Pose == nil || out.Width != 548 {
		t.Errorf("webp: %dx%d, pose %v", out.Width, out.Height, out.Pose != nil)
	}
	small := newServer(t, Config{Inferer: landmarker(t), MaxMegapixels: 0.1})
	for _, tc := range []struct {
		srv    *Server
		target string
		body   []byte
		status int
		code   string
	}{
		{s, fmt.Sprintf("/v1/infer?format=bgr24&width=%d&height=%d", w, h), bgr[:len(bgr)-1], http.StatusBadRequest, CodeBadRaw},
		{s, fmt.Sprintf("/v1/infer?format=nv12&width=%d&height=%d", w, h), bgr, http.StatusBadRequest, CodeBadRaw},
		{s, fmt.Sprintf("/v1/infer?format=bgr24&width=%d", w), bgr, http.StatusBadRequest, CodeBadRaw},
		{s, "/v1/infer?format=bgr24&width=wide&height=2", bgr, http.StatusBadRequest, CodeBadRaw},
		{s, fmt.Sprintf("/v1/infer?format=yuy2&width=%d&height=%d", w, h), bgr, http.StatusBadRequest, CodeRawFormat},
		{s, "/v1/infer?format=rgba&width=1073741824&height=1073741824", bgr[:64], http.StatusRequestEntityTooLarge, CodeTooLarge},
		{small, fmt.Sprintf("/v1/infer?format=bgr24&width=%d&height=%d", w, h), bgr, http.StatusRequestEntityTooLarge, CodeTooLarge},
		{small, "/v1/infer", webp, http.StatusRequestEntityTooLarge, CodeTooLarge},
	} {
		code, _, body := call(t, tc.srv, "POST", tc.target, tc.body)
		if code != tc.status || errorCode(t, body) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.target, code, body, tc.status, tc.code)
		}
	}
}

// TestFramesRaw: raw pixels sent to /v1/frames reach Kafka with their content type, size and
// stride; raw pixels that do not match their layout never do.
func TestFramesRaw(t *testing.T) {
	t.Parallel()
	sink := &recordingSink{}
	s := newServer(t, Config{Frames: sink})
	bgr, w, h := rawBGR(t, "messi5.jpg")
	padded := make([]byte, 0, (3*w+4)*h)
	for y := 0; y < h; y++ {
		padded = append(append(padded, bgr[3*w*y:3*w*(y+1)]...), 0, 0, 0, 0)
	}
	ok := fmt.Sprintf("/v1/frames?camera=cam-raw&format=BGR&width=%d&height=%d", w, h)
	for _, tc := range []struct {
		target string
		body   []byte
		status int
		code   string
	}{
		{ok, bgr, http.StatusAccepted, ""},
		{ok + fmt.Sprintf("&stride=%d", 3*w+4), padded, http.StatusAccepted, ""},
		{ok, padded, http.StatusBadRequest, CodeBadRaw},
		{"/v1/frames?format=i420&width=3&height=3", bgr, http.StatusBadRequest, CodeBadRaw},
		{"/v1/frames?format=gray16&width=3&height=3", bgr, http.StatusBadRequest, CodeRawFormat},
	} {
		code, _, body := call(t, s, "POST", tc.target, tc.body)
		if code != tc.status || tc.code != "" && errorCode(t, body) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.target, code, body, tc.status, tc.code)
		}
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.frames) != 2 {
		t.Fatalf("%d frames reached Kafka, want 2", len(sink.frames))
	}
	for i, f := range sink.frames {
		img, _, err := pixels.DecodeFrame(f.Image, f.ContentType, int(f.Width), int(f.Height), f.Attributes, 0)
		if err != nil || !bytes.Equal(mustEncode(t, img), bgr) {
			t.Errorf("frame %d (%s %dx%d %v): not the photo's pixels: %v", i, f.ContentType, f.Width, f.Height, f.Attributes, err)
		}
	}
}

func mustEncode(t *testing.T, img pixels.Image) []byte {
	t.Helper()
	b, err := pixels.EncodeRaw(img, pixels.RawBGR24)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
