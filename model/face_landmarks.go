package model

// The face landmark model of MediaPipe Holistic's face branch
// (mediapipe/modules/face_landmark/face_landmark_cpu.pbtxt): face_landmark on a 192x192 crop of
// the face's ROI (face_roi.go), stretched rather than letterboxed, or with refine_face_landmarks
// face_landmark_with_attention, whose MediaPipe custom ops attention_ops.c implements and whose
// outputs RefineFaceLandmarks merges below.

// Sizes and thresholds of face_landmark_cpu.pbtxt.
const (
	// NumFaceLandmarks is the number of landmarks of face_landmark.tflite (refine_face_landmarks
	// off).
	NumFaceLandmarks = 468

	faceLandmarkInput = 192 // face_landmark_cpu.pbtxt: ImageToTensor 192x192
	// facePresenceThreshold is face_landmark_cpu.pbtxt's ThresholdingCalculator on the sigmoid
	// of the face flag.
	facePresenceThreshold = 0.5
)

// refine_face_landmarks: face_landmark_with_attention.tflite's six landmark tensors merged into
// 478 points, as mediapipe/modules/face_landmark/tensors_to_face_landmarks_with_attention.pbtxt
// does: each tensor decoded by TensorsToLandmarksCalculator at 192x192, then
// LandmarksRefinementCalculator (mediapipe/calculators/util/landmarks_refinement_calculator.cc).

// NumRefinedFaceLandmarks is the number of landmarks with refine_face_landmarks: the 468 of the
// mesh and 5 for each iris.
const NumRefinedFaceLandmarks = 478

// The index tables below are data from tensors_to_face_landmarks_with_attention.pbtxt's
// LandmarksRefinementCalculatorOptions (mediapipe v0.10.14): refinement 1 (lips) to 5 (right
// iris). Refinement 0 maps the 468 mesh points onto themselves.
var (
	// faceLipsIndices are the mesh points the 80 lips landmarks replace: lower outer, upper outer
	// (no corners), lower inner, upper inner, then the semi-outer and semi-inner rings alike.
	faceLipsIndices = [80]int{
		61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
		185, 40, 39, 37, 0, 267, 269, 270, 409,
		78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
		191, 80, 81, 82, 13, 312, 311, 310, 415,
		76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306,
		184, 74, 73, 72, 11, 302, 303, 304, 408,
		62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292,
		183, 42, 41, 38, 12, 268, 271, 272, 407,
	}
	// faceLeftEyeIndices are the mesh points the 71 left-eye landmarks replace: the lower and
	// upper contour, then halos 2 to 5 around it (halo 4 upper only, the eyebrow's inner contour;
	// halo 5 upper is the eyebrow's outer contour). Its first 16 are the contour that
	// the left iris's z averages.
	faceLeftEyeIndices = [71]int{
		33, 7, 163, 144, 145, 153, 154, 155, 133,
		246, 161, 160, 159, 158, 157, 173,
		130, 25, 110, 24, 23, 22, 26, 112, 243,
		247, 30, 29, 27, 28, 56, 190,
		226, 31, 228, 229, 230, 231, 232, 233, 244,
		113, 225, 224, 223, 222, 221, 189,
		35, 124, 46, 53, 52, 65,
		143, 111, 117, 118, 119, 120, 121, 128, 245,
		156, 70, 63, 105, 66, 107, 55, 193,
	}
	// faceRightEyeIndices mirror faceLeftEyeIndices on the right eye.
	faceRightEyeIndices = [71]int{
		263, 249, 390, 373, 374, 380, 381, 382, 362,
		466, 388, 387, 386, 385, 384, 398,
		359, 255, 339, 254, 253, 252, 256, 341, 463,
		467, 260, 259, 257, 258, 286, 414,
		446, 261, 448, 449, 450, 451, 452, 453, 464,
		342, 445, 444, 443, 442, 441, 413,
		265, 353, 276, 283, 282, 295,
		372, 340, 346, 347, 348, 349, 350, 357, 465,
		383, 300, 293, 334, 296, 336, 285, 417,
	}
)

// Where the irises go and which mesh points give their depth: each iris's 5 points (centre,
// then its right, top, left and bottom edge) are appended at 468 and 473, and all 5 take the
// mean z of the eye's contour (z_refinement assign_average: the lower and upper contour, the
// first 16 of the eye's indices). Left and right are the graph's names, the image's left and
// right of a face looking at the camera: the "left" eye and iris (33..., 468-472) are the
// person's right, which mediapipe/python/solutions/face_mesh_connections.py calls
// FACEMESH_RIGHT_EYE and FACEMESH_RIGHT_IRIS.
const (
	faceLeftIrisFirst  = NumFaceLandmarks
	faceRightIrisFirst = NumFaceLandmarks + numIrisLandmarks
	numIrisLandmarks   = 5
	numEyeContour      = 16
)

// FaceIrises are the irises of the refined face (holistic-refined's 478 points): for each, the
// first and last index of its 5 points, the centre first, then the edges. The graph's left iris
// (the person's right) comes first.
func FaceIrises() [][2]int {
	return [][2]int{
		{faceLeftIrisFirst, faceLeftIrisFirst + numIrisLandmarks - 1},
		{faceRightIrisFirst, faceRightIrisFirst + numIrisLandmarks - 1},
	}
}

// The output tensors of face_landmark_with_attention.tflite, in the model's order (the order
// face_landmark_cpu.pbtxt splits them in: landmarks [0, 6), face flag [6, 7)).
const (
	attentionMesh = iota
	attentionLips
	attentionLeftEye
	attentionRightEye
	attentionLeftIris
	attentionRightIris
	attentionFaceFlag
)

// RefineFaceLandmarks is TensorsToFaceLandmarksWithAttention on the model's six landmark
// tensors raw (in attentionMesh ... attentionRightIris order, in 192-pixel units) into dst, 478
// landmarks normalized to the crop: the mesh with its z; the lips and eyes overwrite the x and y
// of their mesh points and keep the mesh's z (z_refinement none); the irises go to 468-477 with
// the eye contour's mean z.
func RefineFaceLandmarks(raw [][]float32, dst []Landmark) {
	const size = faceLandmarkInput
	var part [80]Landmark
	DecodeLandmarks(raw[attentionMesh], size, size, dst[:NumFaceLandmarks])
	refineXY := func(t []float32, idx []int) {
		DecodeLandmarks(t, size, size, part[:len(idx)])
		for i, j := range idx {
			dst[j].X, dst[j].Y = part[i].X, part[i].Y
		}
	}
	refineXY(raw[attentionLips], faceLipsIndices[:])
	refineXY(raw[attentionLeftEye], faceLeftEyeIndices[:])
	refineXY(raw[attentionRightEye], faceRightEyeIndices[:])
	for _, iris := range []struct {
		t     []float32
		first int
		eye   []int
	}{
		{raw[attentionLeftIris], faceLeftIrisFirst, faceLeftEyeIndices[:numEyeContour]},
		{raw[attentionRightIris], faceRightIrisFirst, faceRightEyeIndices[:numEyeContour]},
	} {
		// GetZAverage sums in double over the landmarks as refined so far.
		var sum float64
		for _, j := range iris.eye {
			sum += float64(dst[j].Z)
		}
		z := float32(sum / float64(len(iris.eye)))
		out := dst[iris.first : iris.first+numIrisLandmarks]
		DecodeLandmarks(iris.t, size, size, out)
		for i := range out {
			out[i].Z = z
		}
	}
}
