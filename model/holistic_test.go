package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/holostream/holostream/pixels"
)

// holisticGolden is one record of testdata/golden/holistic (or holistic-refined): MediaPipe
// Holistic's output (static_image_mode, model_complexity 1, refine_face_landmarks off, or on),
// null where it found nothing.
type holisticGolden struct {
	Source string `json:"source"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Pose   *struct {
		Landmarks []LandmarkOutput `json:"landmarks"`
	} `json:"pose"`
	Face      []PointOutput `json:"face"`
	LeftHand  []PointOutput `json:"left_hand"`
	RightHand []PointOutput `json:"right_hand"`
}

func readHolisticGolden(t testing.TB, path string) holisticGolden {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g holisticGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

// pointsError is the mean distance between got's and want's points (all of them), as a fraction
// of the image diagonal.
func pointsError(got []Landmark, want []PointOutput, w, h int) float64 {
	diag := math.Hypot(float64(w), float64(h))
	var sum float64
	for i, g := range want {
		l := got[i]
		sum += math.Hypot(float64(l.X-g.X)*float64(w), float64(l.Y-g.Y)*float64(h)) / diag
	}
	return sum / float64(len(want))
}

// compareBranch checks one holistic branch against MediaPipe's: found in both or in neither, and
// when found a mean error within maxError of the diagonal. It returns a line for the log.
func compareBranch(t *testing.T, name, branch string, got []Landmark, want []PointOutput, w, h int, maxError float64) string {
	t.Helper()
	switch {
	case want == nil && got == nil:
		return fmt.Sprintf("%s -", branch)
	case want == nil:
		t.Errorf("%s: %s found where MediaPipe finds none", name, branch)
		return fmt.Sprintf("%s extra", branch)
	case got == nil:
		t.Errorf("%s: no %s where MediaPipe finds one", name, branch)
		return fmt.Sprintf("%s missing", branch)
	case len(got) != len(want):
		t.Errorf("%s: %s has %d landmarks, MediaPipe %d", name, branch, len(got), len(want))
		return fmt.Sprintf("%s bad", branch)
	}
	e := pointsError(got, want, w, h)
	if e > maxError {
		t.Errorf("%s: %s mean error %.4f of the diagonal > %.3f", name, branch, e, maxError)
	}
	return fmt.Sprintf("%s %.4f", branch, e)
}

func faceLandmarks(f *Face) []Landmark {
	if f == nil {
		return nil
	}
	return f.Landmarks[:]
}

// irisLandmarks are the 10 iris points of a refined face (468-477), nil without.
func irisLandmarks(f *Face) []Landmark {
	if f == nil || len(f.Landmarks) != NumRefinedFaceLandmarks {
		return nil
	}
	return f.Landmarks[NumFaceLandmarks:]
}

func irisGolden(face []PointOutput) []PointOutput {
	if len(face) != NumRefinedFaceLandmarks {
		return nil
	}
	return face[NumFaceLandmarks:]
}

func handLandmarks(h *Hand) []Landmark {
	if h == nil {
		return nil
	}
	return h.Landmarks[:]
}

// TestHolisticGoldenImageMode compares Detect with MediaPipe Holistic on real photos: the same
// pose, faces and hands found, each within maxGoldenError of the diagonal on average over all its
// landmarks. Then it runs the face and hand branches alone on MediaPipe's own pose: that must
// find the same and come within 0.1%, which tells the branches' port from the pose's.
func TestHolisticGoldenImageMode(t *testing.T) { holisticGoldenImageMode(t, Holistic) }

// TestHolisticRefinedGoldenImageMode is the same with refine_face_landmarks: 478 face points,
// whose 10 iris points are also checked on their own.
func TestHolisticRefinedGoldenImageMode(t *testing.T) { holisticGoldenImageMode(t, HolisticRefined) }

// holisticGoldenImageMode compares kind with its goldens, testdata/golden/<kind>/*.json.
func holisticGoldenImageMode(t *testing.T, kind Kind) {
	files, _ := filepath.Glob(filepath.Join("../testdata/golden", string(kind), "*.json"))
	if len(files) == 0 {
		t.Fatalf("no goldens under testdata/golden/%s", kind)
	}
	sort.Strings(files)
	l := openForTest(t, kind)
	// The iris is its own line for the refined kind (compareBranch says "-" where neither has one).
	iris := func(name string, f *Face, want []PointOutput, w, h int, maxError float64) string {
		if kind != HolisticRefined {
			return ""
		}
		return ", " + compareBranch(t, name, "iris", irisLandmarks(f), irisGolden(want), w, h, maxError)
	}
	for _, f := range files {
		g := readHolisticGolden(t, f)
		img := loadImage(t, filepath.Join("..", g.Source))
		res, err := l.Detect(img)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(f)
		if (g.Pose == nil) != (res.Pose == nil) {
			t.Errorf("%s: person found = %v, MediaPipe %v", name, res.Pose != nil, g.Pose != nil)
			continue
		}
		pose := "pose -"
		if g.Pose != nil {
			e, n := goldenError(res.Pose, g.Pose.Landmarks, img.Width, img.Height)
			pose = fmt.Sprintf("pose %.4f (%d)", e, n)
			if e > maxGoldenError {
				t.Errorf("%s: pose mean error %.4f of the diagonal > %.3f", name, e, maxGoldenError)
			}
		}
		t.Logf("%-18s %s, %s%s, %s, %s", name, pose,
			compareBranch(t, name, "face", faceLandmarks(res.Face), g.Face, img.Width, img.Height, maxGoldenError),
			iris(name, res.Face, g.Face, img.Width, img.Height, maxGoldenError),
			compareBranch(t, name, "left hand", handLandmarks(res.LeftHand), g.LeftHand, img.Width, img.Height, maxGoldenError),
			compareBranch(t, name, "right hand", handLandmarks(res.RightHand), g.RightHand, img.Width, img.Height, maxGoldenError))
		if g.Pose == nil {
			continue
		}
		mp := Result{Pose: &Pose{}}
		for k, lm := range g.Pose.Landmarks {
			mp.Pose.Landmarks[k] = Landmark(lm)
		}
		if err := l.all[0].hol.holistic(l, img, &mp, nil); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-18s on MediaPipe's pose: %s%s, %s, %s", name,
			compareBranch(t, name+" on MediaPipe's pose", "face", faceLandmarks(mp.Face), g.Face, img.Width, img.Height, 0.001),
			iris(name+" on MediaPipe's pose", mp.Face, g.Face, img.Width, img.Height, 0.001),
			compareBranch(t, name+" on MediaPipe's pose", "left hand", handLandmarks(mp.LeftHand), g.LeftHand, img.Width, img.Height, 0.001),
			compareBranch(t, name+" on MediaPipe's pose", "right hand", handLandmarks(mp.RightHand), g.RightHand, img.Width, img.Height, 0.001))
	}
}

// holisticVideoGolden is one line of testdata/golden/holistic-video/*.jsonl (or
// holistic-refined-video); Crop, when set, is the window [x, y, w, h] of Source that made the
// frame.
type holisticVideoGolden struct {
	holisticGolden
	Crop []int `json:"crop"`
}

func readHolisticVideoGolden(t testing.TB, kind Kind, name string) []holisticVideoGolden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../testdata/golden", string(kind)+"-video", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []holisticVideoGolden
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var g holisticVideoGolden
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, g)
	}
	return out
}

// cropImage cuts the w x h window at (x, y) out of img, as numpy slicing does in golden.py.
func cropImage(img pixels.Image, x, y, w, h int) pixels.Image {
	out := pixels.Image{Pix: make([]uint8, 0, 3*w*h), Width: w, Height: h}
	for r := y; r < y+h; r++ {
		out.Pix = append(out.Pix, img.Pix[3*(r*img.Width+x):3*(r*img.Width+x+w)]...)
	}
	return out
}

// goldenFrames loads the frames of a holistic video golden: files, or crops of one photo.
func goldenFrames(t testing.TB, golden []holisticVideoGolden) []pixels.Image {
	t.Helper()
	sources := map[string]pixels.Image{}
	frames := make([]pixels.Image, len(golden))
	for i, g := range golden {
		img, ok := sources[g.Source]
		if !ok {
			img = loadImage(t, filepath.Join("..", g.Source))
			sources[g.Source] = img
		}
		if len(g.Crop) == 4 {
			img = cropImage(img, g.Crop[0], g.Crop[1], g.Crop[2], g.Crop[3])
		}
		if img.Width != g.Width || img.Height != g.Height {
			t.Fatalf("frame %d: %dx%d, golden %dx%d", i, img.Width, img.Height, g.Width, g.Height)
		}
		frames[i] = img
	}
	return frames
}

// branchStats accumulate one branch's comparison with MediaPipe over a sequence.
type branchStats struct {
	name                   string
	found, mismatch, kept  int
	sum, worst, maxAllowed float64
}

// compare records one frame: got and want are the branch's landmarks (nil when not found), roi
// the ROI ours used, tracked the ROI tracking would keep (ok when there was one).
func (b *branchStats) compare(t *testing.T, frame string, got []Landmark, want []PointOutput, roi, tracked Rect, ok bool, w, h int) {
	t.Helper()
	if (got == nil) != (want == nil) {
		b.mismatch++
		t.Logf("%s: %s found = %v, MediaPipe %v", frame, b.name, got != nil, want != nil)
		return
	}
	if got == nil {
		return
	}
	e := pointsError(got, want, w, h)
	if e > b.maxAllowed {
		t.Errorf("%s: %s mean error %.4f of the diagonal > %.4f", frame, b.name, e, b.maxAllowed)
	}
	b.found++
	b.sum += e
	b.worst = math.Max(b.worst, e)
	if ok && roi == tracked {
		b.kept++
	}
}

func (b *branchStats) String() string {
	if b.found == 0 {
		return fmt.Sprintf("%-10s found on 0 frames with MediaPipe, %d mismatches", b.name, b.mismatch)
	}
	return fmt.Sprintf("%-10s found on %2d frames with MediaPipe, %d mismatches, mean error %.4f, worst %.4f; ROI kept from the previous frame on %d",
		b.name, b.found, b.mismatch, b.sum/float64(b.found), b.worst, b.kept)
}

// holisticVideoRun runs one video golden of kind through the holistic branches. Before each
// frame, prepare (if not nil) may set the Track's previous landmarks; step runs the frame and
// returns its Result. It checks every branch (and the refined kind's irises apart) and returns
// their stats.
func holisticVideoRun(t *testing.T, kind Kind, seq string, maxError float64, prepare func(i int, tr *Track), step func(i int, img pixels.Image, tr *Track) Result) []*branchStats {
	golden := readHolisticVideoGolden(t, kind, seq)
	frames := goldenFrames(t, golden)
	face := &branchStats{name: "face", maxAllowed: maxError}
	left := &branchStats{name: "left hand", maxAllowed: maxError}
	right := &branchStats{name: "right hand", maxAllowed: maxError}
	iris := &branchStats{name: "iris", maxAllowed: maxError}
	var tr Track
	for i, img := range frames {
		if prepare != nil {
			prepare(i, &tr)
		}
		// The ROIs tracking would keep, from the previous frame's landmarks.
		var pf, pl, pr Rect
		hf, hl, hr := len(tr.FaceLandmarks) > 0, len(tr.LeftHandLandmarks) > 0, len(tr.RightHandLandmarks) > 0
		if hf {
			pf = FaceLandmarksROI(tr.FaceLandmarks, img.Width, img.Height)
		}
		if hl {
			pl = HandLandmarksROI(tr.LeftHandLandmarks, img.Width, img.Height)
		}
		if hr {
			pr = HandLandmarksROI(tr.RightHandLandmarks, img.Width, img.Height)
		}
		res := step(i, img, &tr)
		g := golden[i]
		frame := fmt.Sprintf("%s frame %d", seq, i)
		if (g.Pose == nil) != (res.Pose == nil) {
			t.Errorf("%s: person found = %v, MediaPipe %v", frame, res.Pose != nil, g.Pose != nil)
			continue
		}
		var roi [3]Rect
		if res.Face != nil {
			roi[0] = res.Face.ROI
		}
		if res.LeftHand != nil {
			roi[1] = res.LeftHand.ROI
		}
		if res.RightHand != nil {
			roi[2] = res.RightHand.ROI
		}
		face.compare(t, frame, faceLandmarks(res.Face), g.Face, roi[0], pf, hf, img.Width, img.Height)
		left.compare(t, frame, handLandmarks(res.LeftHand), g.LeftHand, roi[1], pl, hl, img.Width, img.Height)
		right.compare(t, frame, handLandmarks(res.RightHand), g.RightHand, roi[2], pr, hr, img.Width, img.Height)
		if kind == HolisticRefined {
			iris.compare(t, frame, irisLandmarks(res.Face), irisGolden(g.Face), roi[0], pf, hf, img.Width, img.Height)
		}
	}
	if kind == HolisticRefined {
		return []*branchStats{face, iris, left, right}
	}
	return []*branchStats{face, left, right}
}

// TestHolisticGoldenVideoMode runs Track over MediaPipe Holistic's video-mode goldens: the real
// footage (whose faces and hands are mostly too small) and a slow pan across a photo, where
// every branch tracks. Every frame found by both must be within maxGoldenError. The face and hand
// ROIs feed back from frame to frame, so a sub-pixel difference in the pose (ours is within
// 0.1% of MediaPipe's) can tip a hand whose presence is near the 0.5 threshold: up to one frame
// in eight may disagree on whether a branch found something. (TestHolisticBranchesVideoMode
// shows that without that feedback every frame agrees.)
func TestHolisticGoldenVideoMode(t *testing.T) { holisticGoldenVideoMode(t, Holistic) }

// TestHolisticRefinedGoldenVideoMode is the same with refine_face_landmarks, whose 478 face
// points feed the face tracking.
func TestHolisticRefinedGoldenVideoMode(t *testing.T) { holisticGoldenVideoMode(t, HolisticRefined) }

func holisticGoldenVideoMode(t *testing.T, kind Kind) {
	l := openForTest(t, kind)
	for _, seq := range []string{"vtest", "pan"} {
		n := 0
		stats := holisticVideoRun(t, kind, seq, maxGoldenError, nil, func(i int, img pixels.Image, tr *Track) Result {
			n++
			res, err := l.Track(img, tr, time.Duration(i+1)*33333*time.Microsecond)
			if err != nil {
				t.Fatal(err)
			}
			return res
		})
		for _, b := range stats {
			t.Logf("%-5s %s", seq, b)
			if b.mismatch*8 > n {
				t.Errorf("%s: %s found differently from MediaPipe on %d of %d frames", seq, b.name, b.mismatch, n)
			}
		}
		if right := stats[len(stats)-1]; seq == "pan" && (stats[0].kept == 0 || right.kept == 0) {
			t.Errorf("pan: the face ROI was kept on %d frames, the right hand's on %d: tracking never kept a ROI", stats[0].kept, right.kept)
		}
	}
}

// TestHolisticBranchesVideoMode checks the face and hand branches alone in video mode: each
// frame gets MediaPipe's own (smoothed) pose and, as the previous frame's landmarks, MediaPipe's
// own output of the previous frame. Then every tracking decision, re-crop and landmark model
// run is MediaPipe's, so every frame must find what MediaPipe finds, within 0.1% of the diagonal.
func TestHolisticBranchesVideoMode(t *testing.T) { holisticBranchesVideoMode(t, Holistic) }

// TestHolisticRefinedBranchesVideoMode is the same with refine_face_landmarks.
func TestHolisticRefinedBranchesVideoMode(t *testing.T) {
	holisticBranchesVideoMode(t, HolisticRefined)
}

func holisticBranchesVideoMode(t *testing.T, kind Kind) {
	l := openForTest(t, kind)
	w := l.all[0]
	points := func(ps []PointOutput) []Point {
		var out []Point
		for _, p := range ps {
			out = append(out, Point{p.X, p.Y})
		}
		return out
	}
	for _, seq := range []string{"vtest", "pan"} {
		golden := readHolisticVideoGolden(t, kind, seq)
		mediapipeState := func(i int, tr *Track) {
			if i > 0 {
				prev := golden[i-1]
				tr.FaceLandmarks, tr.LeftHandLandmarks, tr.RightHandLandmarks = points(prev.Face), points(prev.LeftHand), points(prev.RightHand)
			}
		}
		stats := holisticVideoRun(t, kind, seq, 0.001, mediapipeState, func(i int, img pixels.Image, tr *Track) Result {
			var res Result
			if p := golden[i].Pose; p != nil {
				res.Pose = &Pose{}
				for k, lm := range p.Landmarks {
					res.Pose.Landmarks[k] = Landmark(lm)
				}
			}
			if err := w.hol.holistic(l, img, &res, tr); err != nil {
				t.Fatal(err)
			}
			return res
		})
		for _, b := range stats {
			t.Logf("%-5s %s", seq, b)
			if b.mismatch > 0 {
				t.Errorf("%s: %s found differently from MediaPipe on %d frames", seq, b.name, b.mismatch)
			}
		}
	}
}

// TestHolisticTrackSurvivesSerialization: a holistic Track marshalled to JSON and back, and to
// its binary form and back, every frame (as the stream processor's table does) continues exactly
// as the one kept in memory, face and hands included.
func TestHolisticTrackSurvivesSerialization(t *testing.T) {
	t.Parallel()
	holisticTrackSurvivesSerialization(t, Holistic)
}

// TestHolisticRefinedTrackSurvivesSerialization is the same with the 478 refined face points.
func TestHolisticRefinedTrackSurvivesSerialization(t *testing.T) {
	t.Parallel()
	holisticTrackSurvivesSerialization(t, HolisticRefined)
}

func holisticTrackSurvivesSerialization(t *testing.T, kind Kind) {
	l := openForTest(t, kind)
	frames := goldenFrames(t, readHolisticVideoGolden(t, kind, "pan"))[:8]
	var kept, moved Track
	for i, img := range frames {
		ts := time.Duration(i) * 33333 * time.Microsecond
		a, err := l.Track(img, &kept, ts)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(&moved)
		if err != nil {
			t.Fatal(err)
		}
		moved = Track{}
		if err := json.Unmarshal(data, &moved); err != nil {
			t.Fatal(err)
		}
		if data, err = moved.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		moved = Track{}
		if err := moved.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		b, err := l.Track(img, &moved, ts)
		if err != nil {
			t.Fatal(err)
		}
		if (a.Pose == nil) != (b.Pose == nil) || (a.Face == nil) != (b.Face == nil) ||
			(a.LeftHand == nil) != (b.LeftHand == nil) || (a.RightHand == nil) != (b.RightHand == nil) {
			t.Fatalf("frame %d: kept and serialized tracks find different things", i)
		}
		if !reflect.DeepEqual(a.Face, b.Face) || a.LeftHand != nil && *a.LeftHand != *b.LeftHand ||
			a.RightHand != nil && *a.RightHand != *b.RightHand {
			t.Fatalf("frame %d: face or hand landmarks differ after a JSON round trip of the track", i)
		}
	}
	if len(kept.FaceLandmarks) != kind.FaceLandmarks() || len(kept.RightHandLandmarks) != NumHandLandmarks {
		t.Errorf("after 8 frames of a pan the track holds %d face and %d right-hand landmarks",
			len(kept.FaceLandmarks), len(kept.RightHandLandmarks))
	}
	// Reset forgets the holistic state too, and a pose kind never writes it.
	kept.Reset()
	if kept.FaceLandmarks != nil || kept.LeftHandLandmarks != nil || kept.RightHandLandmarks != nil {
		t.Error("Reset kept holistic landmarks")
	}
}

// TestHolisticOutput checks the JSON contract: face and hands as arrays of {x,y,z}, null when
// absent, and nothing of the kind from a pose pipeline.
func TestHolisticOutput(t *testing.T) {
	t.Parallel()
	l := openForTest(t, Holistic)
	img := loadImage(t, "../testdata/images/basketball1.png")
	res, err := l.Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOutput("basketball1.png", img, l.Kind(), res, 0, 0)
	if o.Pose == nil || len(o.Face) != NumFaceLandmarks || o.LeftHand != nil || len(o.RightHand) != NumHandLandmarks {
		t.Fatalf("pose %v, face %d, left hand %v, right hand %d", o.Pose != nil, len(o.Face), o.LeftHand, len(o.RightHand))
	}
	if p, l := o.RightHand[8], res.RightHand.Landmarks[8]; p != (PointOutput{l.X, l.Y, l.Z}) {
		t.Errorf("right hand 8: %+v from %+v", p, l)
	}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["left_hand"]) != "null" || !bytes.HasPrefix(m["face"], []byte(`[{"x":`)) {
		t.Errorf("left_hand %s, face %.20s", m["left_hand"], m["face"])
	}

	pose := openForTest(t, PoseLite)
	pr, err := pose.Detect(img)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Face != nil || pr.LeftHand != nil || pr.RightHand != nil || pr.Timings.Hands != 0 || pr.Timings.Face != 0 {
		t.Errorf("a pose pipeline filled holistic fields: %+v", pr)
	}
}

func TestOpenHolisticNeedsItsModels(t *testing.T) {
	t.Parallel()
	// Only the pose models: Open(PoseFull) works, Open(Holistic) names the missing one.
	dir := t.TempDir()
	for _, f := range []string{"pose_detection.tflite", "pose_landmark_full.tflite"} {
		if err := os.Symlink(filepath.Join(DefaultModelDir(), f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := Open(PoseFull, WithModelDir(dir)); err != nil {
		t.Fatalf("pose-full with its models: %v", err)
	} else {
		l.Close()
	}
	if _, err := Open(Holistic, WithModelDir(dir)); err == nil || !strings.Contains(err.Error(), "face_detection_short_range") {
		t.Errorf("holistic without face and hand models: %v", err)
	}
	if k, err := ParseKind("holistic"); err != nil || k != Holistic {
		t.Errorf("ParseKind(holistic) = %q, %v", k, err)
	}
}

// TestHolisticParallelBranchesMatchSequential: running the left hand, the right hand and the face
// at once gives bit for bit what running them one after the other gives, frame by frame, with
// the same tracking state after each frame: on the footage, on the two basketball photos
// alternated (a face and both hands found), and in image mode. The race detector watches the
// branches share the image, the pose and the Track.
func TestHolisticParallelBranchesMatchSequential(t *testing.T) {
	t.Parallel()
	for _, kind := range []Kind{Holistic, HolisticRefined} {
		par := openForTest(t, kind, WithSequentialBranches(false))
		seq := openForTest(t, kind, WithSequentialBranches(true))
		var frames []pixels.Image
		paths, _ := filepath.Glob("../testdata/video/*.jpg")
		sort.Strings(paths)
		for _, p := range paths[:20] {
			frames = append(frames, loadImage(t, p))
		}
		pair := []pixels.Image{loadImage(t, "../testdata/images/basketball1.png"), loadImage(t, "../testdata/images/basketball2.png")}
		for i := 0; i < 20; i++ {
			frames = append(frames, pair[i%2])
		}
		var trPar, trSeq Track
		hands, faces := 0, 0
		for i, img := range frames {
			ts := time.Duration(i) * 33333 * time.Microsecond
			a, err := par.Track(img, &trPar, ts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := seq.Track(img, &trSeq, ts)
			if err != nil {
				t.Fatal(err)
			}
			a.Timings, b.Timings = Timings{}, Timings{}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s frame %d: parallel and sequential branches differ", kind, i)
			}
			ba, _ := trPar.MarshalBinary()
			bb, _ := trSeq.MarshalBinary()
			if !bytes.Equal(ba, bb) {
				t.Fatalf("%s frame %d: the tracking state differs", kind, i)
			}
			for _, h := range []*Hand{a.LeftHand, a.RightHand} {
				if h != nil {
					hands++
				}
			}
			if a.Face != nil {
				faces++
			}
		}
		if hands < 20 || faces < 10 {
			t.Errorf("%s: %d hands and %d faces over %d frames: the comparison saw too few", kind, hands, faces, len(frames))
		}
		for _, img := range append(pair, loadImage(t, "../testdata/images/astronaut.png")) {
			a, err := par.Detect(img)
			if err != nil {
				t.Fatal(err)
			}
			b, err := seq.Detect(img)
			if err != nil {
				t.Fatal(err)
			}
			a.Timings, b.Timings = Timings{}, Timings{}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: image mode: parallel and sequential branches differ", kind)
			}
		}
	}
}
