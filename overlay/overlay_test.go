package overlay

import (
	"testing"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
)

func grey(w, h int) pixels.Image {
	img := pixels.Image{Pix: make([]uint8, 3*w*h), Width: w, Height: h}
	for i := range img.Pix {
		img.Pix[i] = 40
	}
	return img
}

func TestDrawWithoutPoseCopiesTheImage(t *testing.T) {
	img := grey(20, 10)
	out := Draw(img, model.Result{})
	if out.Bounds().Dx() != 20 || out.Bounds().Dy() != 10 {
		t.Fatalf("bounds %v", out.Bounds())
	}
	for i := 0; i < len(out.Pix); i += 4 {
		if out.Pix[i] != 40 || out.Pix[i+3] != 255 {
			t.Fatalf("pixel %d changed: %v", i/4, out.Pix[i:i+4])
		}
	}
}

func TestDrawMarksVisibleJointsOnly(t *testing.T) {
	img := grey(200, 200)
	p := &model.Pose{}
	p.Landmarks[11] = model.Landmark{X: 0.25, Y: 0.25, Visibility: 0.9} // left shoulder: drawn
	p.Landmarks[12] = model.Landmark{X: 0.75, Y: 0.25, Visibility: 0.9} // right shoulder: drawn
	p.Landmarks[23] = model.Landmark{X: 0.25, Y: 0.75, Visibility: 0.1} // left hip: hidden
	out := Draw(img, model.Result{Pose: p})
	at := func(x, y int) [3]uint8 {
		i := out.PixOffset(x, y)
		return [3]uint8{out.Pix[i], out.Pix[i+1], out.Pix[i+2]}
	}
	if got := at(50, 50); got != [3]uint8{leftColor.R, leftColor.G, leftColor.B} {
		t.Errorf("left shoulder pixel %v, want the left colour", got)
	}
	if got := at(150, 50); got != [3]uint8{rightColor.R, rightColor.G, rightColor.B} {
		t.Errorf("right shoulder pixel %v, want the right colour", got)
	}
	if got := at(100, 50); got != [3]uint8{boneColor.R, boneColor.G, boneColor.B} {
		t.Errorf("between the shoulders %v, want the bone colour", got)
	}
	if got := at(50, 150); got != [3]uint8{40, 40, 40} {
		t.Errorf("hidden hip drawn: %v", got)
	}
	if got := at(50, 100); got != [3]uint8{40, 40, 40} {
		t.Errorf("bone to a hidden joint drawn: %v", got)
	}
}

func TestDrawHolisticHands(t *testing.T) {
	img := grey(200, 200)
	h := &model.Hand{}
	for i := range h.Landmarks {
		h.Landmarks[i] = model.Landmark{X: 0.5, Y: 0.5}
	}
	h.Landmarks[4] = model.Landmark{X: 0.1, Y: 0.9}
	out := Draw(img, model.Result{LeftHand: h, Face: &model.Face{Landmarks: make([]model.Landmark, model.NumFaceLandmarks)}})
	i := out.PixOffset(20, 180)
	if got := [3]uint8{out.Pix[i], out.Pix[i+1], out.Pix[i+2]}; got != [3]uint8{leftColor.R, leftColor.G, leftColor.B} {
		t.Errorf("left thumb tip pixel %v, want the left colour", got)
	}
	i = out.PixOffset(0, 0)
	if got := [3]uint8{out.Pix[i], out.Pix[i+1], out.Pix[i+2]}; got != [3]uint8{faceColor.R, faceColor.G, faceColor.B} {
		t.Errorf("face point at (0,0): %v, want the face colour", got)
	}
}

// TestDrawPeople: a result with several people gets every person, each with its bones in the
// colour of its id (by index in image mode), as the web UI draws them.
func TestDrawPeople(t *testing.T) {
	img := grey(200, 200)
	person := func(x float32) *model.Pose {
		p := &model.Pose{}
		p.Landmarks[11] = model.Landmark{X: x, Y: 0.2, Visibility: 0.9}
		p.Landmarks[23] = model.Landmark{X: x, Y: 0.8, Visibility: 0.9}
		return p
	}
	at := func(out interface{ PixOffset(int, int) int }, pix []uint8, x, y int) [3]uint8 {
		i := out.PixOffset(x, y)
		return [3]uint8{pix[i], pix[i+1], pix[i+2]}
	}
	rgb := func(c [4]uint8) [3]uint8 { return [3]uint8{c[0], c[1], c[2]} }
	for _, tc := range []struct {
		name         string
		ids          [2]int64
		want0, want1 int
	}{{"image mode", [2]int64{0, 0}, 0, 1}, {"video mode", [2]int64{3, 4}, 3, 4}} {
		res := model.Result{Pose: person(0.25), People: []model.Person{{ID: tc.ids[0], Pose: person(0.25)}, {ID: tc.ids[1], Pose: person(0.75)}}}
		out := Draw(img, res)
		for k, x := range []int{50, 150} {
			want := personColors[[]int{tc.want0, tc.want1}[k]]
			if got := at(out, out.Pix, x, 100); got != rgb([4]uint8{want.R, want.G, want.B, 255}) {
				t.Errorf("%s: person %d's bone at x=%d is %v, want %v", tc.name, k, x, got, want)
			}
		}
	}
	// One person: the bones in the usual bone colour, as before people existed.
	out := Draw(img, model.Result{Pose: person(0.25), People: []model.Person{{ID: 1, Pose: person(0.25)}}})
	if got := at(out, out.Pix, 50, 100); got != [3]uint8{boneColor.R, boneColor.G, boneColor.B} {
		t.Errorf("one person's bone %v, want the bone colour", got)
	}
}
