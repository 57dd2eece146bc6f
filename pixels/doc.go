// Package pixels turns the bytes of a camera frame, in any format holostream accepts, into the
// packed 8-bit RGB (Image) that the landmark models read: the RGB OpenCV gives MediaPipe's Python
// pipeline for the same bytes, bit for bit.
//
//   - decode.go: DecodeImage, the encoded formats, recognised from their bytes: JPEG (jpeg.go:
//     libjpeg-turbo through cgo, CMYK converted as OpenCV does, turned upright by its EXIF
//     orientation as imdecode does: exif.go), PNG (image/png) and WebP (webp.go:
//     golang.org/x/image/webp, converted with libwebp's chroma upsampling and BT.601
//     arithmetic). The header is checked against a pixel limit before any pixel is decoded.
//   - raw.go: DecodeRaw, uncompressed layouts (BGR24, RGB24, RGBA, GRAY8, NV12, I420, rows
//     padded to a stride or not), converted with no decode step, NV12 and I420 as OpenCV's
//     cvtColor; EncodeRaw, its inverse, for producers; DecodeFrame, a frame's bytes by its content
//     type, width, height and stride attribute: what the landmarks processor and the gateway call.
//   - image.go: Image.
//
// The package is named for what it gives, pixels, not for a format it reads: image and
// image/jpeg are standard library packages it imports itself, and a package of either name
// would shadow them in every file that needs both. It imports no other holostream package
// (DecodeFrame takes a Frame's fields, not schemas.Frame) and knows nothing of the models, so
// model, the processors, the gateway and the CLI all import it, and nothing imports them here.
//
// Errors wrap ErrEmptyImage, ErrNotImage, ErrImageTooLarge, ErrCorruptImage, ErrBadRaw or
// ErrUnknownRawFormat, which callers map to HTTP statuses and dead-letter reasons.
//
// The only C objects are TurboJPEG handles: each is made and destroyed within one call of
// decodeJPEG, which owns it (jpeg.go), so none outlives a decode.
package pixels
