// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// ErrorKind classifies an API failure by what the caller should do about it.
type ErrorKind string

const (
	// KindNotFound: the remote object does not exist (404).
	KindNotFound ErrorKind = "NotFound"
	// KindConflict: a stale version or a duplicate name (409). Re-read and retry.
	KindConflict ErrorKind = "Conflict"
	// KindRateLimited: 429. Wait RetryAfter before the next call with this credential.
	KindRateLimited ErrorKind = "RateLimited"
	// KindTerminal: the request is wrong (400, 401, 403, 413, 422). Retrying the same request fails
	// again; wait for a spec or credential change.
	KindTerminal ErrorKind = "Terminal"
	// KindTransient: 5xx, 529, timeouts and connection failures. Retry with backoff.
	KindTransient ErrorKind = "Transient"
	// KindLeaseLost: 412 from a work item heartbeat whose expected_last_heartbeat is stale. The lease
	// lapsed (the item went back to the queue) or another worker holds it: stop serving the item and
	// do not stop it, it is no longer ours.
	KindLeaseLost ErrorKind = "LeaseLost"
)

// Error is a classified API failure. Its text carries the API's own message and request id, never
// a credential.
type Error struct {
	Kind       ErrorKind
	StatusCode int
	// Type is the API's error.type, for example invalid_request_error.
	Type string
	// Code is the API's error.details.error_code, for example environment_archived.
	Code      string
	Message   string
	RequestID string
	// RetryAfter is how long the API asked us to wait (429), or zero.
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	msg := fmt.Sprintf("%s (HTTP %d", e.Type, e.StatusCode)
	if e.Code != "" {
		msg += ", " + e.Code
	}
	if e.RequestID != "" {
		msg += ", request " + e.RequestID
	}
	return msg + "): " + e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.cause }

// Classify turns any error from the SDK into an *Error. It returns nil for nil and keeps context
// cancellation as is, so callers can tell a shutdown from an API failure.
func Classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var classified *Error
	if errors.As(err, &classified) {
		return classified
	}
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) {
		// Connection failures and timeouts: the SDK returns them unwrapped. Their text can name the
		// URL but never a header, so it is safe to keep.
		return &Error{Kind: KindTransient, Message: err.Error(), cause: err}
	}
	e := &Error{
		Kind:       kindOf(apiErr.StatusCode),
		StatusCode: apiErr.StatusCode,
		Type:       string(apiErr.Type()),
		Code:       string(apiErr.ErrorCode()),
		Message:    apiErr.Message,
		RequestID:  apiErr.RequestID,
		cause:      err,
	}
	if e.Message == "" {
		e.Message = http.StatusText(apiErr.StatusCode)
	}
	if apiErr.Response != nil {
		e.RetryAfter = RetryAfter(apiErr.Response.Header)
	}
	return e
}

func kindOf(status int) ErrorKind {
	switch {
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusConflict:
		return KindConflict
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusPreconditionFailed:
		return KindLeaseLost
	case status == http.StatusRequestTimeout || status >= 500:
		return KindTransient
	default:
		return KindTerminal
	}
}

// RetryAfter reads retry-after-ms or retry-after (seconds or an HTTP date) from a response.
func RetryAfter(h http.Header) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// KindOf returns the kind of a classified error, or "" when err is not an API error.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// IsConflict reports whether err is a 409 from the API.
func IsConflict(err error) bool { return KindOf(err) == KindConflict }

// IsLeaseLost reports whether err is a work item heartbeat's 412: the caller's lease is gone.
func IsLeaseLost(err error) bool { return KindOf(err) == KindLeaseLost }

// IsUnauthorized reports whether the API refused the credential (401 or 403).
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden)
}
