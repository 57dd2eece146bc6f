package pixels

// Image is a decoded frame: packed 8-bit RGB, 3 bytes a pixel, rows of 3*Width bytes, top row
// first, the layout MediaPipe's ImageFrame SRGB gives its calculators. Pix is owned by whoever
// decoded the frame; the landmark pipeline only reads it.
type Image struct {
	Pix           []uint8
	Width, Height int
}
