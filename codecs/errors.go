package codecs

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors, for errors.Is. The errors that wrap them say what was wrong.
var (
	// ErrMalformed: the bytes are not a valid message (too short, wrong magic byte, bad Avro,
	// trailing bytes). Retrying will not help; dead-letter the record.
	ErrMalformed = errors.New("malformed message")
	// ErrUnknownSchema: the message names a schema (registry id or fingerprint) that cannot be
	// resolved: the registry has no such id, or the fingerprint is not among the known schemas.
	ErrUnknownSchema = errors.New("unknown schema")
	// ErrIncompatible: a schema is not compatible with another: the registry refused to
	// register it under the subject's compatibility level, or a message's writer schema cannot
	// be read as the codec's.
	ErrIncompatible = errors.New("incompatible schema")
)

// RegistryError is a failed Schema Registry request: no response (Status 0), or an error
// response. Unwrap gives the cause: the transport error, ErrIncompatible for a refused schema
// (HTTP 409 to a registration), ErrUnknownSchema for a schema id the registry does not have.
type RegistryError struct {
	Op      string // what was asked, e.g. `register schema under subject "frames-value"`
	URL     string // the request's URL
	Status  int    // HTTP status; 0 when no response came
	Code    int    // the registry's error_code, when it sent one
	Message string // the registry's message, or the start of the body when it sent no JSON
	Err     error  // the cause, or nil
}

func (e *RegistryError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("codecs: %s: schema registry unreachable at %s: %v (is the registry running and is the URL right?)", e.Op, e.URL, e.Err)
	}
	msg := fmt.Sprintf("codecs: %s: %s answered %d %s", e.Op, e.URL, e.Status, http.StatusText(e.Status))
	if e.Code != 0 {
		msg += fmt.Sprintf(" (error code %d)", e.Code)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch {
	case errors.Is(e.Err, ErrIncompatible):
		msg += " (under BACKWARD compatibility a new schema may only add fields with defaults or remove fields that have one; see schemas/doc.go)"
	case errors.Is(e.Err, ErrUnknownSchema):
		msg += " (was the message written with another registry, or the schema deleted?)"
	case e.Status == http.StatusConflict:
		msg += " (another client changed the subject at the same moment)"
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		msg += " (check the registry credentials)"
	case e.Status >= 500:
		msg += " (a registry-side failure; retry later)"
	case e.Err != nil:
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *RegistryError) Unwrap() error { return e.Err }
