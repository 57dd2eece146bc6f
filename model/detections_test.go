package model

import (
	"math"
	"reflect"
	"testing"
)

// detectorRow builds one 12-value pose detector row (XYWH then 4 keypoints) from normalized
// offsets: the tensor holds them times 224.
func detectorRow(xc, yc, w, h float32, kps ...float32) []float32 {
	row := []float32{xc * 224, yc * 224, w * 224, h * 224}
	for _, v := range kps {
		row = append(row, v*224)
	}
	for len(row) < 12 {
		row = append(row, 0)
	}
	return row
}

func TestDecodeDetections(t *testing.T) {
	t.Parallel()
	centre := Anchor{X: 0.5, Y: 0.5, W: 1, H: 1}
	rows := [][]float32{
		// 0: kept at score exactly 0.5 (logit 0); box centre (0.625, 0.375), 0.25 x 0.5.
		detectorRow(0.125, -0.125, 0.25, 0.5, 0, 0, 0.25, -0.25, 0.125, 0.125, -0.5, 0.5),
		// 1: rejected, just under 0.5.
		detectorRow(0, 0, 0.25, 0.25),
		// 2: negative width: dropped whatever its score.
		detectorRow(0, 0, -0.25, 0.25),
		// 3: NaN height: dropped.
		detectorRow(0, 0, 0.25, float32(math.NaN())),
		// 4: NaN score: rejected.
		detectorRow(0, 0, 0.25, 0.25),
		// 5: huge logit, clipped to 100: kept with score 1.
		detectorRow(0, 0, 0, 0),
	}
	scores := []float32{0, -1e-3, 5, 5, float32(math.NaN()), 1e6}
	var boxes []float32
	anchors := make([]Anchor, len(rows))
	for i, r := range rows {
		boxes = append(boxes, r...)
		anchors[i] = centre
	}
	o := PoseDetectorDecode()
	o.NumBoxes = len(rows)
	got := DecodeDetections(boxes, scores, anchors, o, nil)
	want := []Detection{
		{Score: 0.5, XMin: 0.5, YMin: 0.125, XMax: 0.75, YMax: 0.625,
			Keypoints: []Point{{0.5, 0.5}, {0.75, 0.25}, {0.625, 0.625}, {0, 1}}},
		{Score: 1, XMin: 0.5, YMin: 0.5, XMax: 0.5, YMax: 0.5,
			Keypoints: []Point{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	// Appending keeps what dst held, and the spare capacity's keypoints are reused.
	dst := DecodeDetections(boxes, scores, anchors, o, make([]Detection, 1, 8))
	if len(dst) != 3 || !reflect.DeepEqual(dst[1:], want) {
		t.Fatalf("append: got %+v", dst)
	}
	slot1 := &dst[1].Keypoints[0]
	again := DecodeDetections(boxes, scores, anchors, o, dst[:0])
	if &again[1].Keypoints[0] != slot1 {
		t.Errorf("keypoint storage of dst's capacity was not reused")
	}
}

func TestDecodeDetectionsScoreClipping(t *testing.T) {
	t.Parallel()
	// At ±100 the clip never shows in float32 (e^100 already overflows to +Inf, so σ(-100) is 0);
	// a clip at 1 shows that it happens before the sigmoid, on both sides.
	o := PoseDetectorDecode()
	o.NumBoxes, o.MinScoreThresh, o.ScoreClippingThresh = 2, 0, 1
	a := []Anchor{{X: 0.5, Y: 0.5, W: 1, H: 1}, {X: 0.5, Y: 0.5, W: 1, H: 1}}
	boxes := append(detectorRow(0, 0, 0.1, 0.1), detectorRow(0, 0, 0.1, 0.1)...)
	got := DecodeDetections(boxes, []float32{5, -5}, a, o, nil)
	if len(got) != 2 || got[0].Score != Sigmoid(1) || got[1].Score != Sigmoid(-1) {
		t.Fatalf("got %+v, want scores σ(1), σ(-1)", got)
	}
	o.SigmoidScore = false
	got = DecodeDetections(boxes, []float32{5, -5}, a, o, nil)
	if len(got) != 1 || got[0].Score != 5 {
		t.Fatalf("raw scores: got %+v, want only the score 5 (no clipping without the sigmoid)", got)
	}
}

func TestDecodeDetectionsYXHWAndExponential(t *testing.T) {
	t.Parallel()
	o := DecodeOptions{
		NumBoxes: 1, NumCoords: 6, KeypointCoordOffset: 4, NumKeypoints: 1, NumValuesPerKeypoint: 2,
		XScale: 10, YScale: 10, WScale: 1, HScale: 1, ApplyExponentialOnBoxSize: true,
	}
	a := []Anchor{{X: 0.5, Y: 0.25, W: 0.5, H: 0.5}}
	// YXHW: y offset 1 (→ +0.05), x offset 2 (→ +0.1), h = e^0 * 0.5, w = e^0 * 0.5; keypoint y, x.
	got := DecodeDetections([]float32{1, 2, 0, 0, 4, 6}, []float32{0.7}, a, o, nil)
	want := Detection{Score: 0.7, XMin: 0.35, YMin: 0.05, XMax: 0.85, YMax: 0.55, Keypoints: []Point{{0.8, 0.45}}}
	if len(got) != 1 || !detectionNear(got[0], want, 1e-6) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func detectionNear(a, b Detection, tol float64) bool {
	close := func(x, y float32) bool { return math.Abs(float64(x-y)) <= tol }
	if !close(a.Score, b.Score) || !close(a.XMin, b.XMin) || !close(a.YMin, b.YMin) ||
		!close(a.XMax, b.XMax) || !close(a.YMax, b.YMax) || len(a.Keypoints) != len(b.Keypoints) {
		return false
	}
	for i := range a.Keypoints {
		if !close(a.Keypoints[i].X, b.Keypoints[i].X) || !close(a.Keypoints[i].Y, b.Keypoints[i].Y) {
			return false
		}
	}
	return true
}

func TestDecodeDetectionsPanicsOnShortTensors(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic for a regressor tensor shorter than NumBoxes rows")
		}
	}()
	DecodeDetections(make([]float32, 11), []float32{0}, []Anchor{{}}, func() DecodeOptions {
		o := PoseDetectorDecode()
		o.NumBoxes = 1
		return o
	}(), nil)
}

func TestWeightedNMS(t *testing.T) {
	t.Parallel()
	box := func(score, x0, y0, x1, y1 float32, kps ...Point) Detection {
		return Detection{Score: score, XMin: x0, YMin: y0, XMax: x1, YMax: y1, Keypoints: kps}
	}
	tests := []struct {
		name string
		in   []Detection
		want []Detection
	}{{
		// A and B overlap (IoU 0.6) and merge with weights 0.75 and 0.25, keeping A's score;
		// C is disjoint and comes out alone, in score order.
		name: "overlap and disjoint",
		in: []Detection{
			box(0.25, 0.125, 0, 0.625, 0.5, Point{0.375, 0.25}),
			box(0.5, 0.75, 0.75, 1, 1, Point{0.875, 0.875}),
			box(0.75, 0, 0, 0.5, 0.5, Point{0.25, 0.25}),
		},
		want: []Detection{
			box(0.75, 0.03125, 0, 0.53125, 0.5, Point{0.28125, 0.25}),
			box(0.5, 0.75, 0.75, 1, 1, Point{0.875, 0.875}),
		},
	}, {
		// B (IoU 1/3 with T) merges; D's IoU with T's own box is 1/7, so it stays apart even
		// though it overlaps the merged box [0.125, 0.625] by 1/3.
		name: "IoU against T's original box",
		in: []Detection{
			box(0.5, 0, 0, 0.5, 0.5),
			box(0.5, 0.25, 0, 0.75, 0.5),
			box(0.125, 0.375, 0, 0.875, 0.5),
		},
		want: []Detection{
			box(0.5, 0.125, 0, 0.625, 0.5),
			box(0.125, 0.375, 0, 0.875, 0.5),
		},
	}, {
		name: "touching boxes do not merge",
		in:   []Detection{box(0.9, 0, 0, 0.5, 0.5), box(0.8, 0.5, 0, 1, 0.5)},
		want: []Detection{box(0.9, 0, 0, 0.5, 0.5), box(0.8, 0.5, 0, 1, 0.5)},
	}, {
		name: "empty",
		in:   nil,
		want: nil,
	}}
	for i, tt := range tests {
		in := append([]Detection(nil), tt.in...)
		got := WeightedNMS(in, 0.3)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%d %s: got %+v\nwant %+v", i, tt.name, got, tt.want)
		}
		if !reflect.DeepEqual(in, tt.in) {
			t.Errorf("%d %s: input modified", i, tt.name)
		}
		if len(got) > 0 && len(got[0].Keypoints) > 0 && &got[0].Keypoints[0] == &in[len(in)-1].Keypoints[0] {
			t.Errorf("%d %s: output shares keypoints with the input", i, tt.name)
		}
	}
}

func TestRemoveLetterbox(t *testing.T) {
	t.Parallel()
	// A 640x480 frame in a 224x224 tensor: 1/8 of the tensor padded above and below.
	d := Detection{Score: 0.9, XMin: 0.25, YMin: 0.125, XMax: 0.75, YMax: 0.875,
		Keypoints: []Point{{0.5, 0.5}, {0.5, 0.3125}, {0, 0.125}}}
	RemoveLetterbox(&d, Padding{Top: 0.125, Bottom: 0.125})
	want := Detection{Score: 0.9, XMin: 0.25, YMin: 0, XMax: 0.75, YMax: 1,
		Keypoints: []Point{{0.5, 0.5}, {0.5, 0.25}, {0, 0}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got %+v, want %+v", d, want)
	}
	d = Detection{XMin: 0.25, XMax: 0.5, Keypoints: []Point{{0.25, 0.5}}}
	RemoveLetterbox(&d, Padding{Left: 0.25, Right: 0.25})
	if want := (Detection{XMin: 0, XMax: 0.5, Keypoints: []Point{{0, 0.5}}}); !reflect.DeepEqual(d, want) {
		t.Errorf("horizontal: got %+v, want %+v", d, want)
	}
}

// poseDetectorTensors makes a plausible detector output: every logit low except a cluster of
// n overlapping boxes near the middle, from different anchors.
func poseDetectorTensors(anchors []Anchor, n int) (boxes, scores []float32) {
	boxes = make([]float32, 2254*12)
	scores = make([]float32, 2254)
	for i := range scores {
		scores[i] = -8
		row := boxes[i*12 : (i+1)*12]
		copy(row, detectorRow(0, 0, 0.2, 0.2, 0, 0.1, 0, -0.3, 0, -0.1, 0, -0.2))
	}
	for k := 0; k < n; k++ {
		i := 1000 + k*7
		scores[i] = 2 + float32(k)*0.01
		// Offsets from this box's anchor to about (0.5, 0.4), the keypoints relative to that.
		dx := 0.5 + float32(k%5)*0.002 - anchors[i].X
		dy := 0.4 + float32(k%3)*0.002 - anchors[i].Y
		copy(boxes[i*12:(i+1)*12], detectorRow(dx, dy, 0.2, 0.22, dx, dy+0.1, dx, dy-0.3, dx, dy-0.1, dx, dy-0.2))
	}
	return boxes, scores
}

func TestDecodeAndNMSOnPoseTensor(t *testing.T) {
	t.Parallel()
	anchors := GenerateAnchors(PoseDetectorAnchors())
	boxes, scores := poseDetectorTensors(anchors, 20)
	dets := DecodeDetections(boxes, scores, anchors, PoseDetectorDecode(), nil)
	if len(dets) != 20 {
		t.Fatalf("decoded %d detections, want 20", len(dets))
	}
	kept := WeightedNMS(dets, 0.3)
	if len(kept) != 1 {
		t.Fatalf("NMS kept %d, want the cluster merged into 1", len(kept))
	}
	best := float32(19)
	if want := Sigmoid(2 + best*0.01); kept[0].Score != want {
		t.Errorf("score %g, want the best one's %g", kept[0].Score, want)
	}
}

func BenchmarkDecodeAndNMS(b *testing.B) {
	anchors := GenerateAnchors(PoseDetectorAnchors())
	boxes, scores := poseDetectorTensors(anchors, 20)
	o := PoseDetectorDecode()
	var dets []Detection
	b.ReportAllocs()
	for b.Loop() {
		dets = DecodeDetections(boxes, scores, anchors, o, dets[:0])
		if len(WeightedNMS(dets, 0.3)) != 1 {
			b.Fatal("want 1 detection")
		}
	}
}
