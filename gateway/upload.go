package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/holostream/holostream/pixels"
)

// upload is an image taken from a request, with the form fields that came with it.
type upload struct {
	data        []byte
	contentType string            // "image/jpeg", "image/png" or "image/webp" from the bytes, not the header; or the raw layout's
	raw         *pixels.RawLayout // raw pixels, from the format, width, height and stride parameters; nil for an encoded image
	filename    string            // multipart file name, or ""
	fields      map[string]string // multipart form fields (camera, user, seq, captured_at)
}

// uploadError carries the status and code an upload failure answers with.
type uploadError struct {
	status int
	code   string
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// readUpload reads the image of a request: the raw body (any Content-Type but multipart), or
// the part named "image" (else the first file part) of a multipart/form-data body. The body is
// limited to limit bytes. The image's type comes from its first bytes: a client that labels a
// JPEG application/octet-stream is fine, a text file labelled image/jpeg is not.
//
// A body declared (Content-Length) larger than limit is refused before any of it is read: the
// client learns at once, not after the read timeout, and the connection closes instead of taking
// bytes that would be thrown away.
func readUpload(w http.ResponseWriter, r *http.Request, limit int64) (*upload, error) {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, &uploadError{http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf(
			"the request declares a body of %d bytes (Content-Length), over the server's limit of %d (--max-body-bytes): send a smaller image",
			r.ContentLength, limit)}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	up := &upload{fields: map[string]string{}}
	var err error
	if mt == "multipart/form-data" {
		err = readMultipart(up, multipart.NewReader(body, params["boundary"]), limit)
	} else {
		up.data, err = io.ReadAll(body)
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &uploadError{http.StatusRequestEntityTooLarge, CodeTooLarge,
				fmt.Sprintf("request body larger than %d bytes: send a smaller image (the limit is the server's --max-body-bytes)", limit)}
		}
		var ue *uploadError
		if errors.As(err, &ue) {
			return nil, ue
		}
		return nil, &uploadError{http.StatusBadRequest, CodeBadRequest, "reading the request body: " + err.Error()}
	}
	if len(up.data) == 0 {
		return nil, &uploadError{http.StatusBadRequest, CodeEmpty,
			`no image in the request: send the JPEG, PNG or WebP bytes (or raw pixels with format, width and height) as the body, or as the multipart field "image"`}
	}
	if format := up.param(r, "format"); format != "" {
		if up.raw, err = rawParams(r, up, format); err != nil {
			return nil, err
		}
		up.contentType = up.raw.Format.ContentType()
		return up, nil
	}
	if up.contentType = sniffImage(up.data); up.contentType == "" {
		return nil, &uploadError{http.StatusUnsupportedMediaType, CodeNotImage,
			fmt.Sprintf("the body is not a JPEG, PNG or WebP image (first bytes % x, looks like %s): send one, or raw pixels with format, width and height parameters",
				head(up.data), http.DetectContentType(up.data))}
	}
	return up, nil
}

func readMultipart(up *upload, mr *multipart.Reader, limit int64) error {
	var first []byte
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		switch {
		case p.FormName() == "image":
			up.data, up.filename = b, p.FileName()
		case p.FileName() != "":
			if first == nil {
				first, up.filename = b, p.FileName()
			}
		default:
			if len(b) > 1024 {
				return &uploadError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("form field %s longer than 1 KiB", quote(p.FormName()))}
			}
			up.fields[p.FormName()] = strings.TrimSpace(string(b))
		}
	}
	if up.data == nil {
		up.data = first
	}
	return nil
}

// rawParams reads the layout of raw pixels: format (bgr24, rgb24, rgba, gray8, nv12, i420),
// width, height and an optional stride, from the query string or the form fields. Their
// agreement with the bytes is checked where the frame is used (RawLayout.RawSize).
func rawParams(r *http.Request, up *upload, format string) (*pixels.RawLayout, error) {
	f, err := pixels.ParseRawFormat(format)
	if err != nil {
		return nil, &uploadError{http.StatusBadRequest, CodeRawFormat, "format: " + err.Error()}
	}
	l := &pixels.RawLayout{Format: f}
	for _, p := range []struct {
		name     string
		v        *int
		optional bool
	}{{"width", &l.Width, false}, {"height", &l.Height, false}, {"stride", &l.Stride, true}} {
		v := up.param(r, p.name)
		if v == "" && p.optional {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n == 0 && !p.optional {
			return nil, &uploadError{http.StatusBadRequest, CodeBadRaw, fmt.Sprintf(
				"%s %s: raw pixels (format=%s) need width and height in pixels, and stride (optional) in bytes, as whole numbers", p.name, quote(v), f)}
		}
		*p.v = n
	}
	return l, nil
}

// rawSize checks raw pixels against their layout and the megapixel limit.
func rawSize(up *upload, maxMegapixels float64) error {
	size, err := up.raw.RawSize(maxMegapixels)
	if err != nil {
		return err
	}
	if int64(len(up.data)) != size {
		return fmt.Errorf("%w: %s %dx%d is %d bytes, got %d: check format, width, height and stride",
			pixels.ErrBadRaw, up.raw.Format, up.raw.Width, up.raw.Height, size, len(up.data))
	}
	return nil
}

// sniffImage names the image type from its signature, or "" for anything else.
func sniffImage(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

func head(b []byte) []byte { return b[:min(len(b), 8)] }

// param is a request's value for name: the query string first, then the multipart fields.
func (u *upload) param(r *http.Request, name string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	return u.fields[name]
}
