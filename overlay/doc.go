// Package overlay draws landmarks over an image: the skeleton (and with holistic, the face mesh
// points and the hands) `holostream infer --overlay` writes as PNG. Joints are discs, bones are lines; the person's left side is drawn in orange and the
// right in cyan, as MediaPipe's drawing utilities do. Landmarks with visibility below
// MinVisibility are not drawn.
package overlay
