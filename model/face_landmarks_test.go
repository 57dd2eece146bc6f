package model

import (
	"math"
	"testing"
)

// TestRefinedFaceLandmarks checks the LandmarksRefinementCalculator merge on made-up tensors:
// the mesh with its z, the lips and eyes moving their mesh points' x and y but keeping z, the
// irises appended with the eye contour's mean z; everything divided by 192.
func TestRefinedFaceLandmarks(t *testing.T) {
	t.Parallel()
	mesh := make([]float32, 3*NumFaceLandmarks)
	for i := range NumFaceLandmarks {
		mesh[3*i], mesh[3*i+1], mesh[3*i+2] = float32(i), float32(2*i), float32(3*i)
	}
	part := func(n int, base float32) []float32 {
		out := make([]float32, 2*n)
		for i := range n {
			out[2*i], out[2*i+1] = base+float32(i), base+float32(i)+0.5
		}
		return out
	}
	raw := [][]float32{mesh, part(80, 1000), part(71, 2000), part(71, 3000), part(5, 4000), part(5, 5000)}
	got := make([]Landmark, NumRefinedFaceLandmarks)
	RefineFaceLandmarks(raw, got)
	const s = faceLandmarkInput
	moved := map[int]Landmark{}
	for _, p := range []struct {
		idx  []int
		base float32
	}{{faceLipsIndices[:], 1000}, {faceLeftEyeIndices[:], 2000}, {faceRightEyeIndices[:], 3000}} {
		for i, j := range p.idx {
			moved[j] = Landmark{X: (p.base + float32(i)) / s, Y: (p.base + float32(i) + 0.5) / s, Z: float32(3*j) / s}
		}
	}
	for i := range NumFaceLandmarks {
		want, ok := moved[i]
		if !ok {
			want = Landmark{X: float32(i) / s, Y: float32(2*i) / s, Z: float32(3*i) / s}
		}
		if got[i] != want {
			t.Fatalf("landmark %d = %+v, want %+v", i, got[i], want)
		}
	}
	for _, iris := range []struct {
		first int
		base  float32
		eye   []int
	}{{468, 4000, faceLeftEyeIndices[:16]}, {473, 5000, faceRightEyeIndices[:16]}} {
		var sum float64
		for _, j := range iris.eye {
			sum += float64(3*j) / s
		}
		z := float32(sum / 16)
		for k := range 5 {
			want := Landmark{X: (iris.base + float32(k)) / s, Y: (iris.base + float32(k) + 0.5) / s, Z: z}
			if g := got[iris.first+k]; math.Abs(float64(g.X-want.X)) > 1e-6 || g.Y != want.Y || math.Abs(float64(g.Z-want.Z)) > 1e-6 {
				t.Errorf("iris landmark %d = %+v, want %+v", iris.first+k, g, want)
			}
		}
	}
	// The lips crop of the model (its first Landmarks2TransformMatrix) takes exactly the lips
	// refinement's points.
	a, err := parseL2M(mustHex(t, l2mOptionsHex))
	if err != nil || len(a.Subset) != len(faceLipsIndices) {
		t.Fatalf("lips crop options: %+v, %v", a, err)
	}
	for i, j := range faceLipsIndices {
		if a.Subset[i] != j {
			t.Fatalf("lips crop subset[%d] = %d, lips index %d", i, a.Subset[i], j)
		}
	}
	// The refinement tables are MediaPipe's: each within the mesh, none listed twice.
	seen := map[int]bool{}
	for _, idx := range [][]int{faceLipsIndices[:], faceLeftEyeIndices[:], faceRightEyeIndices[:]} {
		for _, j := range idx {
			if j < 0 || j >= NumFaceLandmarks || seen[j] {
				t.Errorf("refinement index %d out of the mesh or repeated", j)
			}
			seen[j] = true
		}
	}
}
