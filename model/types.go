package model

// Landmark is one landmark in image coordinates: X and Y normalized to [0,1] by the image's
// width and height (they may fall outside when a joint is out of frame), Z in the same scale as
// X (normalized by the width), Visibility and Presence probabilities in [0,1].
type Landmark struct {
	X, Y, Z              float32
	Visibility, Presence float32
}

// WorldLandmark is one landmark in metres, origin at the centre of the hips, with the
// visibility of the matching image landmark.
type WorldLandmark struct {
	X, Y, Z    float32
	Visibility float32
}

// Rect is a rotated rectangle in normalized image coordinates, MediaPipe's NormalizedRect:
// XCenter and Width are divided by the image width, YCenter and Height by the image height,
// Rotation is in radians, clockwise in an image whose y axis points down.
type Rect struct {
	XCenter, YCenter float32
	Width, Height    float32
	Rotation         float32
}

// Point is a 2-D point in normalized coordinates.
type Point struct{ X, Y float32 }

// Detection is one detector output: a score, an axis-aligned box and keypoints, in the
// coordinates of the tensor the detector saw (normalized) until letterbox removal maps them to
// the image.
type Detection struct {
	Score                  float32
	XMin, YMin, XMax, YMax float32
	Keypoints              []Point
}

// PoseConnections are the bones between pose landmarks, as MediaPipe draws them
// (mediapipe/python/solutions/pose_connections.py).
func PoseConnections() [][2]int {
	return [][2]int{
		{0, 1}, {1, 2}, {2, 3}, {3, 7}, {0, 4}, {4, 5}, {5, 6}, {6, 8}, {9, 10},
		{11, 12}, {11, 13}, {13, 15}, {15, 17}, {15, 19}, {15, 21}, {17, 19},
		{12, 14}, {14, 16}, {16, 18}, {16, 20}, {16, 22}, {18, 20},
		{11, 23}, {12, 24}, {23, 24}, {23, 25}, {24, 26}, {25, 27}, {26, 28},
		{27, 29}, {28, 30}, {29, 31}, {30, 32}, {27, 31}, {28, 32},
	}
}

// HandConnections are the bones between hand landmarks, as MediaPipe draws them
// (mediapipe/python/solutions/hands_connections.py).
func HandConnections() [][2]int {
	return [][2]int{
		{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 5}, {5, 6}, {6, 7}, {7, 8},
		{5, 9}, {9, 10}, {10, 11}, {11, 12}, {9, 13}, {13, 14}, {14, 15}, {15, 16},
		{13, 17}, {0, 17}, {17, 18}, {18, 19}, {19, 20},
	}
}
