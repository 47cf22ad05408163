// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// rawResponse is the status line and headers of a response rawRequest has
// already read and closed.
type rawResponse struct {
	StatusCode int
	Status     string
	Header     http.Header
}

// rawRequest is for what the SDK cannot send: requests without a key or
// without the beta header, and the /_simulator endpoints. It reads and closes
// the body and returns it decoded (nil when empty).
func rawRequest(t *testing.T, method, url, body string, header map[string]string) (rawResponse, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("response is not JSON: %s", data)
		}
	}
	return rawResponse{StatusCode: res.StatusCode, Status: res.Status, Header: res.Header}, out
}

// TestAuthAndBetaHeader covers the request gate every endpoint shares.
func TestAuthAndBetaHeader(t *testing.T) {
	h := newHarness(t, simulator.Options{APIKey: "secret"})
	beta := "managed-agents-2026-04-01"
	cases := []struct {
		name       string
		header     map[string]string
		wantStatus int
		wantType   string
	}{
		{"no credentials are 401", map[string]string{"anthropic-beta": beta}, 401, "authentication_error"},
		{"a wrong key is 401", map[string]string{"x-api-key": "nope", "anthropic-beta": beta}, 401, "authentication_error"},
		{"a wrong bearer token is 401", map[string]string{"authorization": "Bearer nope", "anthropic-beta": beta}, 401, "authentication_error"},
		{"no beta header is 400", map[string]string{"x-api-key": "secret"}, 400, "invalid_request_error"},
		{"another beta only is 400", map[string]string{"x-api-key": "secret", "anthropic-beta": "files-api-2025-04-14"}, 400, "invalid_request_error"},
		{"x-api-key works", map[string]string{"x-api-key": "secret", "anthropic-beta": beta}, 200, ""},
		{"bearer works among several betas", map[string]string{"authorization": "Bearer secret", "anthropic-beta": "files-api-2025-04-14," + beta}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := rawRequest(t, "GET", h.url+"/v1/agents", "", tc.header)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tc.wantStatus, body)
			}
			rid := res.Header.Get("request-id")
			if !strings.HasPrefix(rid, "req_") {
				t.Fatalf("request-id header %q", rid)
			}
			if tc.wantType == "" {
				return
			}
			errObj, _ := body["error"].(map[string]any)
			if body["type"] != "error" || errObj["type"] != tc.wantType || errObj["message"] == "" || body["request_id"] != rid {
				t.Fatalf("error body %v", body)
			}
		})
	}

	t.Run("the SDK's bearer credentials are accepted", func(t *testing.T) {
		c := anthropic.NewClient(option.WithBaseURL(h.url), option.WithAPIKey("secret"), option.WithMaxRetries(0))
		if _, err := c.Beta.Agents.List(testCtx(t), anthropic.BetaAgentListParams{}); err != nil {
			t.Fatal(err)
		}
		bad := anthropic.NewClient(option.WithBaseURL(h.url), option.WithAPIKey("wrong"), option.WithMaxRetries(0))
		_, err := bad.Beta.Agents.List(testCtx(t), anthropic.BetaAgentListParams{})
		wantAPIError(t, err, 401, "authentication_error", "")
	})
}

// TestAnyKeyWhenUnset: without Options.APIKey any non-empty key works.
func TestAnyKeyWhenUnset(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	res, body := rawRequest(t, "GET", h.url+"/v1/environments", "",
		map[string]string{"x-api-key": "whatever", "anthropic-beta": simulator.BetaHeader})
	if res.StatusCode != 200 || body["data"] == nil {
		t.Fatalf("status %d body %v", res.StatusCode, body)
	}
}

// TestMalformedRequests: unknown routes and broken JSON answer in the API's
// error shape, not Go's plain-text defaults.
func TestMalformedRequests(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	hdr := map[string]string{"x-api-key": "k", "anthropic-beta": simulator.BetaHeader}
	cases := []struct {
		name, method, path, body string
		status                   int
		errType, msg             string
	}{
		{"unknown route", "GET", "/v1/nothing", "", 404, "not_found_error", "no route"},
		{"wrong method", "PUT", "/v1/agents", "", 404, "not_found_error", "no route"},
		{"broken JSON", "POST", "/v1/agents", "{", 400, "invalid_request_error", "invalid JSON"},
		{"body is not an object", "POST", "/v1/agents", "[]", 400, "invalid_request_error", "valid object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := rawRequest(t, tc.method, h.url+tc.path, tc.body, hdr)
			errObj, _ := body["error"].(map[string]any)
			if res.StatusCode != tc.status || errObj["type"] != tc.errType || !strings.Contains(errObj["message"].(string), tc.msg) {
				t.Fatalf("got %d %v", res.StatusCode, body)
			}
		})
	}
}
