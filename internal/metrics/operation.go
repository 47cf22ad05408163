// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"strconv"
	"strings"
)

// Operation turns a request into a bounded label: the method and the path with ids replaced, for
// example "POST /v1/sessions/{id}/events".
func Operation(method, path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		if i > 0 && looksLikeID(p) {
			parts[i] = "{id}"
		}
	}
	return method + " /" + strings.Join(parts, "/")
}

// looksLikeID recognizes the API's ids (agent_..., sesn_..., env_..., ...).
func looksLikeID(segment string) bool {
	prefix, rest, ok := strings.Cut(segment, "_")
	return ok && rest != "" && len(prefix) <= 9 && prefix != "" && !strings.Contains(rest, "_")
}

// StatusClass is 2xx, 3xx, 4xx or 5xx, or "error" when no response arrived.
func StatusClass(status int) string {
	if status < 100 {
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}
