package overlay

import (
	"image"
	"image/color"
	"math"

	"github.com/holostream/holostream/model"
	"github.com/holostream/holostream/pixels"
)

// MinVisibility is the visibility below which a landmark and its bones are not drawn
// (MediaPipe's drawing_utils uses 0.5).
const MinVisibility = 0.5

var (
	leftColor   = color.RGBA{255, 138, 0, 255}
	rightColor  = color.RGBA{0, 217, 231, 255}
	centreColor = color.RGBA{255, 255, 255, 255}
	boneColor   = color.RGBA{224, 224, 224, 255}
	faceColor   = color.RGBA{120, 255, 120, 255}
)

// personColors tell people apart when a result has several (model.WithMaxPeople): the bones
// of the person with id k take colour k (mod the list), as the web UI draws them (draw.js).
var personColors = []color.RGBA{{120, 230, 90, 255}, {255, 80, 200, 255}, {255, 220, 60, 255}, {150, 120, 255, 255}, {255, 90, 90, 255}, {90, 160, 255, 255}}

// Draw returns a copy of img with a pipeline result drawn over it: the pose skeleton, and with
// holistic the face mesh points and both hands. A result with several people (Result.People)
// gets every person, each with bones of its own colour (by track id in video mode, by index in
// image mode). A result without a person gives the plain image.
func Draw(img pixels.Image, res model.Result) *image.RGBA {
	out := DrawPose(img, nil)
	if len(res.People) <= 1 {
		drawPerson(out, img, model.Person{Pose: res.Pose, Face: res.Face, LeftHand: res.LeftHand, RightHand: res.RightHand}, boneColor)
		return out
	}
	for k, p := range res.People {
		id := p.ID
		if id == 0 {
			id = int64(k) // image mode: no track ids, the index as infer's JSON gives it
		}
		drawPerson(out, img, p, personColors[int(id%int64(len(personColors)))])
	}
	return out
}

// drawPerson draws one person over out, the pose's bones in bone.
func drawPerson(out *image.RGBA, img pixels.Image, p model.Person, bone color.RGBA) {
	drawPose(out, img, p.Pose, bone)
	thick := math.Max(2, float64(min(img.Width, img.Height))/200)
	if f := p.Face; f != nil {
		for _, l := range f.Landmarks {
			disc(out, float64(l.X)*float64(img.Width), float64(l.Y)*float64(img.Height), thick/3, faceColor)
		}
	}
	for _, h := range []struct {
		hand *model.Hand
		c    color.RGBA
	}{{p.LeftHand, leftColor}, {p.RightHand, rightColor}} {
		if h.hand == nil {
			continue
		}
		lm := h.hand.Landmarks
		px := func(i int) (float64, float64) {
			return float64(lm[i].X) * float64(img.Width), float64(lm[i].Y) * float64(img.Height)
		}
		for _, c := range model.HandConnections() {
			x0, y0 := px(c[0])
			x1, y1 := px(c[1])
			line(out, x0, y0, x1, y1, thick/3, boneColor)
		}
		for i := range lm {
			x, y := px(i)
			disc(out, x, y, thick*0.8, h.c)
		}
	}
}

// DrawPose returns a copy of img with the pose drawn over it. A nil pose gives the plain image.
func DrawPose(img pixels.Image, pose *model.Pose) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Width, img.Height))
	for i, j := 0, 0; i < len(img.Pix); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255
	}
	drawPose(out, img, pose, boneColor)
	return out
}

// drawPose draws a pose over out, its bones in bone; a nil pose draws nothing.
func drawPose(out *image.RGBA, img pixels.Image, pose *model.Pose, bone color.RGBA) {
	if pose == nil {
		return
	}
	// Line width and joint radius grow with the image so the skeleton reads at any size.
	thick := math.Max(2, float64(min(img.Width, img.Height))/200)
	px := func(l model.Landmark) (float64, float64) {
		return float64(l.X) * float64(img.Width), float64(l.Y) * float64(img.Height)
	}
	for _, c := range model.PoseConnections() {
		a, b := pose.Landmarks[c[0]], pose.Landmarks[c[1]]
		if a.Visibility < MinVisibility || b.Visibility < MinVisibility {
			continue
		}
		x0, y0 := px(a)
		x1, y1 := px(b)
		line(out, x0, y0, x1, y1, thick/2, bone)
	}
	for i, l := range pose.Landmarks {
		if l.Visibility < MinVisibility {
			continue
		}
		x, y := px(l)
		disc(out, x, y, thick*1.5, jointColor(i))
	}
}

// jointColor colours a landmark by side: odd indices from 1 are the person's left.
func jointColor(i int) color.RGBA {
	switch {
	case i == 0:
		return centreColor
	case i%2 == 1:
		return leftColor
	default:
		return rightColor
	}
}

// line draws a segment of half-width r by stamping discs along it: simple, and exact enough for
// a few dozen bones.
func line(dst *image.RGBA, x0, y0, x1, y1, r float64, c color.RGBA) {
	n := int(math.Ceil(math.Hypot(x1-x0, y1-y0)/math.Max(r/2, 0.5))) + 1
	if n > 100000 {
		n = 100000 // a landmark far outside the frame: bound the work
	}
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		disc(dst, x0+t*(x1-x0), y0+t*(y1-y0), r, c)
	}
}

func disc(dst *image.RGBA, cx, cy, r float64, c color.RGBA) {
	b := dst.Bounds()
	x0, x1 := max(b.Min.X, int(cx-r)), min(b.Max.X-1, int(cx+r)+1)
	y0, y1 := max(b.Min.Y, int(cy-r)), min(b.Max.Y-1, int(cy+r)+1)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= r*r {
				dst.SetRGBA(x, y, c)
			}
		}
	}
}
