// Package overlay draws landmarks over an image: the skeleton `holostream infer --overlay` writes
// as PNG. Joints are discs, bones are lines; the person's left side is drawn in orange and the
// right in cyan, as MediaPipe's drawing utilities do. Landmarks with visibility below
// MinVisibility are not drawn.
package overlay
