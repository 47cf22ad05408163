// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"net/http"
)

// apiError is an error answer in the API's shape:
// {"type":"error","error":{"type":...,"message":...,"details":{"error_code":...}},"request_id":...}.
type apiError struct {
	status int
	typ    string
	msg    string
	code   string         // error.details.error_code, optional
	extra  map[string]any // further error fields, e.g. conflicting_memory_id
	// details are further error.details fields, such as a lost lease's current_state.
	details map[string]any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.msg) }

func (e *apiError) withCode(code string) *apiError { e.code = code; return e }

// with adds a field to the error object, beside type and message.
func (e *apiError) with(key string, value any) *apiError {
	if e.extra == nil {
		e.extra = map[string]any{}
	}
	e.extra[key] = value
	return e
}

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", msg: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, typ: "not_found_error", msg: fmt.Sprintf(format, args...)}
}

// errConflict is a 409. The hosted API reports conflicts (stale version,
// duplicate name, archived session) with the generic invalid_request_error type.
func errConflict(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, typ: "invalid_request_error", msg: fmt.Sprintf(format, args...)}
}

// errorTypeForStatus is the error.type the hosted API uses for a status code.
func errorTypeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status == http.StatusGatewayTimeout || status == http.StatusRequestTimeout:
		return "timeout_error"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"type": e.typ, "message": e.msg}
	for k, v := range e.extra {
		body[k] = v
	}
	if e.code != "" || len(e.details) > 0 {
		details := map[string]any{}
		for k, v := range e.details {
			details[k] = v
		}
		if e.code != "" {
			details["error_code"] = e.code
		}
		body["details"] = details
	}
	writeJSON(w, e.status, map[string]any{
		"type":       "error",
		"error":      body,
		"request_id": w.Header().Get("request-id"),
	})
}
