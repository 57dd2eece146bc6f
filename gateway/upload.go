package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// upload is an image taken from a request, with the form fields that came with it.
type upload struct {
	data        []byte
	contentType string            // "image/jpeg" or "image/png", from the bytes, not the header
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
			`no image in the request: send the JPEG or PNG bytes as the body, or as the multipart field "image"`}
	}
	if up.contentType = sniffImage(up.data); up.contentType == "" {
		return nil, &uploadError{http.StatusUnsupportedMediaType, CodeNotImage,
			fmt.Sprintf("the body is not a JPEG or PNG image (first bytes % x, looks like %s): send a JPEG or PNG",
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

// sniffImage names the image type from its signature, or "" for anything else.
func sniffImage(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
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
