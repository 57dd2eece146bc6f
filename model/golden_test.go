package model

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/pixels"
)

// The goldens are MediaPipe's own Python pipeline's output on the same images
// (scripts/mediapipe/golden.py, mediapipe 0.10.14). A port is faithful when it finds a person
// exactly where MediaPipe does, and its landmarks are within maxGoldenError of the image diagonal
// of MediaPipe's, averaged over the landmarks MediaPipe deems visible.
const (
	maxGoldenError   = 0.015
	goldenVisibility = 0.5
)

type goldenRecord struct {
	Source string `json:"source"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Model  Kind   `json:"model"`
	Pose   *struct {
		Landmarks []LandmarkOutput `json:"landmarks"`
	} `json:"pose"`
}

// poseKinds are the pose pipelines, whose goldens are under testdata/golden/pose and pose-video;
// Holistic's are under testdata/golden/holistic (holistic_test.go).
func poseKinds() []Kind {
	var out []Kind
	for _, k := range Kinds() {
		if !k.IsHolistic() {
			out = append(out, k)
		}
	}
	return out
}

func openForTest(t testing.TB, kind Kind, opts ...Option) *Landmarker {
	t.Helper()
	l, err := Open(kind, opts...)
	if err != nil {
		t.Fatalf("open %s: %v (run `make setup`)", kind, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func loadImage(t testing.TB, path string) pixels.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := pixels.DecodeImage(data, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// goldenError is the mean distance between our landmarks and MediaPipe's, over the landmarks
// MediaPipe gives visibility > 0.5, as a fraction of the image diagonal; n is how many were used.
func goldenError(got *Pose, want []LandmarkOutput, w, h int) (mean float64, n int) {
	diag := math.Hypot(float64(w), float64(h))
	var sum float64
	for i, g := range want {
		if g.Visibility <= goldenVisibility {
			continue
		}
		l := got.Landmarks[i]
		sum += math.Hypot(float64(l.X-g.X)*float64(w), float64(l.Y-g.Y)*float64(h)) / diag
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

func TestGoldenImageMode(t *testing.T) {
	files, _ := filepath.Glob("../testdata/golden/pose/*.json")
	if len(files) == 0 {
		t.Fatal("no goldens under testdata/golden/pose")
	}
	sort.Strings(files)
	byKind := map[Kind][]string{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		k := Kind(parts[len(parts)-2])
		byKind[k] = append(byKind[k], f)
	}
	for _, kind := range poseKinds() {
		if len(byKind[kind]) == 0 {
			t.Errorf("%s: no goldens", kind)
			continue
		}
		l := openForTest(t, kind)
		for _, f := range byKind[kind] {
			var g goldenRecord
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			img := loadImage(t, filepath.Join("..", g.Source))
			res, err := l.Detect(img)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			name := filepath.Base(f)
			switch {
			case g.Pose == nil && res.Pose == nil:
				t.Logf("%-32s no person, as MediaPipe", name)
			case g.Pose == nil:
				t.Errorf("%s: found a person where MediaPipe finds none", name)
			case res.Pose == nil:
				t.Errorf("%s: no person where MediaPipe finds one", name)
			default:
				e, n := goldenError(res.Pose, g.Pose.Landmarks, img.Width, img.Height)
				t.Logf("%-32s mean error %.4f of diagonal over %d visible landmarks", name, e, n)
				if e > maxGoldenError {
					t.Errorf("%s: mean error %.4f of the diagonal > %.3f", name, e, maxGoldenError)
				}
			}
		}
	}
}

func TestGoldenVideoMode(t *testing.T) {
	frames, _ := filepath.Glob("../testdata/video/*.jpg")
	sort.Strings(frames)
	if len(frames) == 0 {
		t.Fatal("no frames under testdata/video")
	}
	for _, kind := range poseKinds() {
		f, err := os.Open(filepath.Join("../testdata/golden/pose-video", string(kind)+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var golden []goldenRecord
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			var g goldenRecord
			if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
				t.Fatal(err)
			}
			golden = append(golden, g)
		}
		f.Close()
		if len(golden) != len(frames) {
			t.Fatalf("%s: %d golden lines for %d frames", kind, len(golden), len(frames))
		}
		l := openForTest(t, kind)
		var tr Track
		var worst, total float64
		matched, detections := 0, 0
		for i, path := range frames {
			img := loadImage(t, path)
			// MediaPipe's Python solution stamps frame i at (i+1)·33 333 us.
			res, err := l.Track(img, &tr, time.Duration(i+1)*33333*time.Microsecond)
			if err != nil {
				t.Fatal(err)
			}
			if res.DetectorRan {
				detections++
			}
			g := golden[i]
			switch {
			case (g.Pose == nil) != (res.Pose == nil):
				t.Errorf("%s frame %d: person found = %v, MediaPipe %v", kind, i, res.Pose != nil, g.Pose != nil)
			case g.Pose != nil:
				e, _ := goldenError(res.Pose, g.Pose.Landmarks, img.Width, img.Height)
				worst = math.Max(worst, e)
				total += e
				matched++
				if e > maxGoldenError {
					t.Errorf("%s frame %d: mean error %.4f of the diagonal > %.3f", kind, i, e, maxGoldenError)
				}
			}
		}
		if matched > 0 {
			t.Logf("%s: %d frames with a person, mean error %.4f, worst %.4f of diagonal; detector ran on %d of %d frames",
				kind, matched, total/float64(matched), worst, detections, len(frames))
		}
	}
}
