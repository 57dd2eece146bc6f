package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
)

func TestInferGoodAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jpg")
	text := filepath.Join(dir, "notes.jpg")
	truncated := filepath.Join(dir, "truncated.jpg")
	photo, err := os.ReadFile("testdata/images/messi5.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{empty: nil, text: []byte("not a picture\n"), truncated: photo[:len(photo)/4]} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	overlayDir := filepath.Join(dir, "overlay")
	files := []string{"testdata/images/messi5.jpg", empty, text, truncated, filepath.Join(dir, "missing.png"), "testdata/images/fruits.jpg"}
	outs, code, stderr := runInferLines(t, append([]string{"--model", "pose-lite", "--overlay", overlayDir}, files...)...)
	if code != 1 {
		t.Errorf("exit status %d, want 1 (some files failed); stderr: %s", code, stderr)
	}
	if len(outs) != len(files) {
		t.Fatalf("%d lines for %d files", len(outs), len(files))
	}
	wantErr := []string{"", "empty image", "not a JPEG, PNG or WebP", "corrupt image data", "no such file", ""}
	for i, o := range outs {
		if o.Source != files[i] {
			t.Errorf("line %d: source %q, want %q", i, o.Source, files[i])
		}
		if wantErr[i] == "" && o.Error != "" || !strings.Contains(o.Error, wantErr[i]) {
			t.Errorf("line %d (%s): error %q, want %q", i, files[i], o.Error, wantErr[i])
		}
	}
	if p := outs[0].Pose; p == nil || len(p.Landmarks) != 33 || len(p.WorldLandmarks) != 33 {
		t.Errorf("messi5.jpg: want a pose with 33+33 landmarks, got %+v", p)
	}
	if outs[0].Width != 548 || outs[0].Height != 342 || outs[0].Model != model.PoseLite || outs[0].Timings == nil {
		t.Errorf("messi5.jpg: header fields %+v", outs[0])
	}
	if outs[5].Pose != nil {
		t.Errorf("fruits.jpg: found a person in a bowl of fruit")
	}
	if _, err := os.Stat(filepath.Join(overlayDir, "messi5.png")); err != nil {
		t.Errorf("overlay not written: %v", err)
	}
	if !strings.Contains(stderr, "4 of 6 images failed") {
		t.Errorf("stderr %q lacks the failure count", stderr)
	}
}

func TestInferUsageErrors(t *testing.T) {
	for i, args := range [][]string{
		{"infer"},
		{"infer", "--model", "pose-giant", "x.jpg"},
		{"infer", "--fps", "0", "--video", "x.jpg"},
		{"infer", "--width", "640", "x.jpg"},
		{"infer", "--raw", "yuy2", "--width", "640", "--height", "480", "x.raw"},
		{"infer", "--raw", "bgr24", "--width", "640", "x.raw"},
		{"frobnicate"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%d %v: exit %d, want 2; stderr %q", i, args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("%d %v: no message on stderr", i, args)
		}
	}
}

// inferLines runs infer with args and returns its JSON lines.
func inferLines(t *testing.T, args ...string) []model.Output {
	t.Helper()
	outs, _, _ := runInferLines(t, args...)
	return outs
}

// runInferLines runs infer with args and returns its JSON lines, its exit status and stderr.
func runInferLines(t *testing.T, args ...string) ([]model.Output, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), append([]string{"infer"}, args...), &stdout, &stderr)
	var outs []model.Output
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o model.Output
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		outs = append(outs, o)
	}
	return outs, code, stderr.String()
}

// TestInferRawFiles is the raw contract on the command line: the landmarks of a raw BGR24 file
// are those of the PNG of the same pixels, bit for bit; those of an NV12 file (OpenCV's own
// BGR -> I420 of messi5.jpg, its chroma interleaved) stay within 0.01 of the image's diagonal of
// the JPEG's, the cost of 4:2:0 chroma and limited range; a file that does not match its layout
// fails with what to check.
func TestInferRawFiles(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/images/astronaut.png")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := pixels.DecodeImage(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	bgr := make([]byte, len(img.Pix))
	for i := 0; i < len(bgr); i += 3 {
		bgr[i], bgr[i+1], bgr[i+2] = img.Pix[i+2], img.Pix[i+1], img.Pix[i]
	}
	bgrPath, shortPath := filepath.Join(dir, "astronaut.bgr"), filepath.Join(dir, "short.bgr")
	i420, err := os.ReadFile("testdata/raw/messi5.i420")
	if err != nil {
		t.Fatal(err)
	}
	const mw, mh = 548, 342
	nv12 := append([]byte(nil), i420[:mw*mh]...)
	for i, cs := 0, mw*mh/4; i < cs; i++ {
		nv12 = append(nv12, i420[mw*mh+i], i420[mw*mh+cs+i])
	}
	nv12Path := filepath.Join(dir, "messi5.nv12")
	for path, b := range map[string][]byte{bgrPath: bgr, shortPath: bgr[:len(bgr)-1], nv12Path: nv12} {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, h := fmt.Sprint(img.Width), fmt.Sprint(img.Height)
	fromPNG := inferLines(t, "--model", "pose-lite", "testdata/images/astronaut.png")
	fromRaw := inferLines(t, "--model", "pose-lite", "--raw", "bgr24", "--width", w, "--height", h, bgrPath, shortPath)
	if len(fromPNG) != 1 || len(fromRaw) != 2 || fromPNG[0].Pose == nil {
		t.Fatalf("outputs %+v and %+v: want a pose from the PNG, two lines from --raw", fromPNG, fromRaw)
	}
	a, _ := json.Marshal(fromPNG[0].Pose)
	b, _ := json.Marshal(fromRaw[0].Pose)
	if !bytes.Equal(a, b) {
		t.Errorf("landmarks from raw BGR24 differ from the PNG's:\n%s\n%s", a, b)
	}
	if e := fromRaw[1].Error; !strings.Contains(e, "does not match its layout") || !strings.Contains(e, "check the format") {
		t.Errorf("short raw file: error %q, want the layout mismatch and what to check", e)
	}
	fromJPEG := inferLines(t, "--model", "pose-lite", "testdata/images/messi5.jpg")
	fromNV12 := inferLines(t, "--model", "pose-lite", "--raw", "nv12", "--width", fmt.Sprint(mw), "--height", fmt.Sprint(mh), nv12Path)
	if len(fromJPEG) != 1 || len(fromNV12) != 1 || fromJPEG[0].Pose == nil || fromNV12[0].Pose == nil {
		t.Fatalf("outputs %+v and %+v: want a pose from each", fromJPEG, fromNV12)
	}
	diag := math.Hypot(mw, mh)
	worst := 0.0
	for i, p := range fromJPEG[0].Pose.Landmarks {
		q := fromNV12[0].Pose.Landmarks[i]
		worst = max(worst, math.Hypot(float64(p.X-q.X)*mw, float64(p.Y-q.Y)*mh)/diag)
	}
	t.Logf("NV12 vs JPEG: landmarks within %.4f of the diagonal", worst)
	if worst > 0.01 {
		t.Errorf("NV12 landmarks %.4f of the diagonal from the JPEG's, want <= 0.01", worst)
	}
}

// TestInferMaxPeople is --max-people: above 1 each line gains "people" (ids = index, most
// confident first, people[0] the line's pose; [] when nobody), at 1 the line has no such field;
// with --video the ids are track ids: the same people keep theirs, and people found again where
// they were after one frame with nobody (33 ms at 30 fps, within model.DefaultReidWindow: a short
// occlusion) get theirs back.
func TestInferMaxPeople(t *testing.T) {
	var stdout, stderr bytes.Buffer
	files := []string{"testdata/images/basketball2.png", "testdata/images/fruits.jpg"}
	if code := dispatch(context.Background(), append([]string{"infer", "--max-people", "4"}, files...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], `"people":[]`) {
		t.Fatalf("want 2 lines, fruits.jpg with \"people\":[]; got %q", lines)
	}
	var o model.Output
	if err := json.Unmarshal([]byte(lines[0]), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.People) != 2 {
		t.Fatalf("basketball2.png: %d people, want 2", len(o.People))
	}
	for i, p := range o.People {
		if p.ID != int64(i) || p.Pose == nil || len(p.Pose.Landmarks) != 33 || len(p.Pose.WorldLandmarks) != 33 {
			t.Errorf("person %d: id %d, pose %v", i, p.ID, p.Pose != nil)
		}
	}
	if fmt.Sprint(o.People[0].Pose) != fmt.Sprint(o.Pose) {
		t.Errorf("people[0].pose is not the line's pose")
	}

	stdout.Reset()
	if code := dispatch(context.Background(), []string{"infer", "--max-people", "1", files[0]}, &stdout, &stderr); code != 0 || strings.Contains(stdout.String(), `"people"`) {
		t.Errorf("--max-people 1: exit %d, line %.80q... has \"people\"", code, stdout.String())
	}
	stdout.Reset()
	video := []string{"infer", "--video", "--max-people", "4", files[0], files[0], files[1], files[0]}
	if code := dispatch(context.Background(), video, &stdout, &stderr); code != 0 {
		t.Fatalf("--video --max-people 4: exit %d: %s", code, stderr.String())
	}
	var ids [][]int64
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var o model.Output
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatal(err)
		}
		var frame []int64
		for _, p := range o.People {
			frame = append(frame, p.ID)
		}
		ids = append(ids, frame)
	}
	if fmt.Sprint(ids) != "[[1 2] [1 2] [] [1 2]]" {
		t.Errorf("--video --max-people 4 ids per frame: %v, want [[1 2] [1 2] [] [1 2]] (re-identified)", ids)
	}
	for _, args := range [][]string{{"--max-people", "0"}, {"--max-people", "65"}, {"--person-detector", "yolo"}} {
		stderr.Reset()
		if code := dispatch(context.Background(), append(append([]string{"infer"}, args...), files[0]), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), args[0]) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message about %s", args, code, stderr.String(), args[0])
		}
	}
}

// TestInferPersonDetector is --person-detector ssd on a surveillance frame (768x576, 9 people
// 38-132 px tall): the SSD finds most of them, each line's people with landmarks inside the
// image, where the pose detector (the default) finds nobody.
func TestInferPersonDetector(t *testing.T) {
	frame := "testdata/surveillance/frame_0720.jpg"
	count := func(args ...string) int {
		t.Helper()
		lines, code, stderr := runInferLines(t, append(append([]string{"--max-people", "16"}, args...), frame)...)
		if code != 0 || len(lines) != 1 {
			t.Fatalf("%v: exit %d, %d lines, want 0 and 1: %s", args, code, len(lines), stderr)
		}
		for _, p := range lines[0].People {
			if x, y := p.Pose.Landmarks[0].X, p.Pose.Landmarks[0].Y; x < 0 || x > 1 || y < 0 || y > 1 {
				t.Errorf("%v: person %d's nose at (%v, %v), outside the image", args, p.ID, x, y)
			}
		}
		return len(lines[0].People)
	}
	if n := count("--person-detector", "ssd"); n < 6 || n > 9 {
		t.Errorf("--person-detector ssd: %d people, want 6-9 of the 9", n)
	}
	if n := count(); n > 1 {
		t.Errorf("the pose detector: %d people, want at most 1", n)
	}
}
