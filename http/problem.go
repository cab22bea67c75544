package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/pbledger/pbledger/domain"
	"github.com/pbledger/pbledger/eventstore"
)

// Codes the HTTP layer adds to the domain's error codes. Like the domain's, they are public API.
const (
	codeMalformed          = "malformed"           // the body is not the JSON the endpoint takes
	codeTooLarge           = "too_large"           // the body is larger than the endpoint accepts
	codeUnauthorized       = "unauthorized"        // no bearer token, or an unknown one
	codePreconditionFailed = "precondition_failed" // If-Match named a revision the stream is not at
	codeIdempotencyReuse   = "idempotency_key_reused"
	codeUnavailable        = "unavailable" // the read model did not reach the asked position in time
	codeMethodNotAllowed   = "method_not_allowed"
	// codeUnsupportedMediaType: a body sent as anything but application/json.
	codeUnsupportedMediaType = "unsupported_media_type"
)

// statusFor is the one table from error codes to HTTP statuses.
var statusFor = map[string]int{
	domain.CodeInvalid:     http.StatusBadRequest,
	domain.CodeNotFound:    http.StatusNotFound,
	domain.CodeConflict:    http.StatusConflict,
	domain.CodeForbidden:   http.StatusForbidden,
	domain.CodeInternal:    http.StatusInternalServerError,
	codeMalformed:          http.StatusBadRequest,
	codeTooLarge:           http.StatusBadRequest,
	codeUnauthorized:       http.StatusUnauthorized,
	codePreconditionFailed: http.StatusPreconditionFailed,
	codeIdempotencyReuse:   http.StatusUnprocessableEntity,
	codeUnavailable:        http.StatusServiceUnavailable,
	codeMethodNotAllowed:   http.StatusMethodNotAllowed,

	codeUnsupportedMediaType: http.StatusUnsupportedMediaType,
}

// titles are the short, fixed summaries of each code (RFC 9457 "title").
var titles = map[string]string{
	domain.CodeInvalid:     "Invalid request",
	domain.CodeNotFound:    "Not found",
	domain.CodeConflict:    "Conflict with the current state",
	domain.CodeForbidden:   "Forbidden",
	domain.CodeInternal:    "Internal error",
	codeMalformed:          "Malformed request body",
	codeTooLarge:           "Request body too large",
	codeUnauthorized:       "Authentication required",
	codePreconditionFailed: "Precondition failed",
	codeIdempotencyReuse:   "Idempotency key reused with a different request",
	codeUnavailable:        "Read model not ready",
	codeMethodNotAllowed:   "Method not allowed",

	codeUnsupportedMediaType: "Unsupported media type",
}

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is the machine-readable error code (an extension member).
	Code string `json:"code"`
	// RequestID lets an operator find the request in the logs.
	RequestID string `json:"request_id,omitempty"`
	// CurrentRevision is set on a 412: the stream's actual revision, or -1 if it does not exist.
	CurrentRevision *int64 `json:"current_revision,omitempty"`
}

// apiError is an error the HTTP layer raises itself, with its code and a message for the user.
type apiError struct {
	code    string
	message string
	current *int64
	cause   error
}

func (e *apiError) Error() string { return e.message }
func (e *apiError) Unwrap() error { return e.cause }

func errorf(code, format string, args ...any) error {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// classify returns the code and the user-facing message for any error.
func classify(err error) (code, message string, current *int64) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code, ae.message, ae.current
	}
	var wrong *eventstore.WrongExpectedRevisionError
	if errors.As(err, &wrong) {
		// Only an If-Match makes an append expect an exact revision the caller chose; any other conflict
		// is a race between two writers and is reported as a conflict to retry.
		cur := int64(-1)
		if wrong.Exists {
			cur = int64(wrong.Actual)
		}
		return domain.CodeConflict, "the resource changed while the request was processed; retry", &cur
	}
	switch {
	case errors.Is(err, eventstore.ErrDiskFull):
		return codeUnavailable, unwritableMessage(err), nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, eventstore.ErrClosed):
		// The client went away, or the server is shutting down: not a bug, and nothing was stored.
		return codeUnavailable, "the server could not finish the request (it is shutting down or the request was cancelled); retry", nil
	case errors.Is(err, eventstore.ErrUnavailable):
		// A networked store is out of reach or electing a leader: retrying the same request (same
		// Idempotency-Key) is safe.
		return codeUnavailable, "the event store is unavailable; retry with the same Idempotency-Key", nil
	}
	return domain.ErrorCode(err), domain.ErrorMessage(err), nil
}

// unwritableMessage says in plain words why the store cannot write: its errors name files and devices, which
// are for the operator's log, not for callers.
func unwritableMessage(err error) string {
	if errors.Is(err, eventstore.ErrDiskFull) {
		return "the server cannot store anything now: its disk is full. Nothing was stored; retry later"
	}
	return "the server cannot store anything: a write to its log failed and it must be restarted"
}

// writeError answers err as application/problem+json and logs it if it is internal.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, message, current := classify(err)
	status, ok := statusFor[code]
	if !ok {
		status, code = http.StatusInternalServerError, domain.CodeInternal
	}
	if status == http.StatusInternalServerError {
		message = "internal error"
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
	}
	p := Problem{
		Type:            "https://pbledger.org/problems/" + code,
		Title:           titles[code],
		Status:          status,
		Detail:          message,
		Instance:        r.URL.Path,
		Code:            code,
		RequestID:       requestID(r.Context()),
		CurrentRevision: current,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pbledger"`)
	}
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.log.DebugContext(r.Context(), "writing problem", "err", err)
	}
}

// discardLogger is used when a Server is made without one.
var discardLogger = slog.New(slog.DiscardHandler)
