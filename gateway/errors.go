package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the JSON error body. They are part of the API: clients branch on them.
const (
	CodeBadRequest   = "BAD_REQUEST"   // a parameter or the request's form is wrong
	CodeEmpty        = "EMPTY"         // no image in the request
	CodeNotImage     = "NOT_IMAGE"     // the bytes are not a JPEG, PNG or WebP image (415)
	CodeCorrupt      = "CORRUPT_IMAGE" // a JPEG, PNG or WebP that cannot be decoded (400)
	CodeBadRaw       = "BAD_RAW"       // raw pixels (format=...) whose size does not match width, height, stride (400)
	CodeRawFormat    = "UNKNOWN_RAW"   // a format= that is not one of the raw layouts (400)
	CodeTooLarge     = "TOO_LARGE"     // body over the limit, or more megapixels than allowed (413)
	CodeQueueFull    = "QUEUE_FULL"    // every inference worker busy and the queue full (503)
	CodeTimeout      = "TIMEOUT"       // no answer within the inference timeout (504)
	CodeUnauthorized = "UNAUTHORIZED"  // missing or wrong bearer token (401)
	CodeRateLimited  = "RATE_LIMITED"  // this client sent more than its rate (429)
	CodeUnavailable  = "UNAVAILABLE"   // a part this endpoint needs is not configured or not ready (503)
	CodeNotFound     = "NOT_FOUND"     // no such camera or endpoint (404)
	CodeInternal     = "INTERNAL"      // our fault; the log has the details (500)
	CodeUpstream     = "KAFKA"         // Kafka did not take the frame (502)
	CodeRefused      = "REFUSED"       // the brokers refused the frame itself; a retry cannot succeed (422)
)

// CodeTooManyStreams: an event stream over a limit: this client's (429), or the server's, the
// camera's, or that of the streams waiting for cameras without frames (503).
const CodeTooManyStreams = "TOO_MANY_STREAMS"

// apiError is the JSON body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError answers with status and a JSON error. retryAfter > 0 adds a Retry-After header
// (whole seconds, at least 1).
func writeError(w http.ResponseWriter, status int, code, msg string, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int((retryAfter+time.Second-1)/time.Second))))
	}
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// JSON opened in a browser runs nothing and shows in no frame.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
