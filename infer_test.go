package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holostream/holostream/model"
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
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), append([]string{"infer", "--model", "pose-lite", "--overlay", overlayDir}, files...), &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit status %d, want 1 (some files failed); stderr: %s", code, stderr.String())
	}
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
	if len(outs) != len(files) {
		t.Fatalf("%d lines for %d files", len(outs), len(files))
	}
	wantErr := []string{"", "empty image", "not a JPEG or PNG", "corrupt image data", "no such file", ""}
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
	if !strings.Contains(stderr.String(), "4 of 6 images failed") {
		t.Errorf("stderr %q lacks the failure count", stderr.String())
	}
}

func TestInferUsageErrors(t *testing.T) {
	for i, args := range [][]string{
		{"infer"},
		{"infer", "--model", "pose-giant", "x.jpg"},
		{"infer", "--fps", "0", "--video", "x.jpg"},
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
