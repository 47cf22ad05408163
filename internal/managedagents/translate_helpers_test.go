// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// testOwner is the operator's reserved metadata as a controller would pass it.
var testOwner = map[string]string{
	"claude.anthropic.com/uid":       "0f3c-uid",
	"claude.anthropic.com/namespace": "team-a",
	"claude.anthropic.com/name":      "fixer",
}

func ptr[T any](v T) *T { return &v }

func rawJSON(s string) apiextensionsv1.JSON { return apiextensionsv1.JSON{Raw: []byte(s)} }

// fields marshals v (an SDK params struct) the way the SDK sends it and splits the top-level
// object into its keys.
func fields(t testing.TB, v any) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return m
}

// jsonEqual compares two JSON texts semantically.
func jsonEqual(t testing.TB, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("bad JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// checkFields asserts that each key of want is present in got with an equal JSON value, and that
// each key of absent is missing.
func checkFields(t *testing.T, got map[string]json.RawMessage, want map[string]string, absent []string) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: missing, want %s", k, w)
			continue
		}
		if !jsonEqual(t, g, []byte(w)) {
			t.Errorf("%s:\n got %s\nwant %s", k, g, w)
		}
	}
	for _, k := range absent {
		if g, ok := got[k]; ok {
			t.Errorf("%s: want absent, got %s", k, g)
		}
	}
}

// capture is an httptest server that records the last request body and answers with a fixed JSON
// response, so tests can see what the SDK really puts on the wire (request options included).
type capture struct {
	srv      *httptest.Server
	mu       sync.Mutex
	body     []byte
	path     string
	response string
}

func newCapture(t *testing.T, response string) *capture {
	c := &capture{response: response}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.body, c.path = b, r.URL.Path
		c.mu.Unlock()
		w.Header().Set("content-type", "application/json")
		_, _ = io.WriteString(w, c.response)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) client() anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(c.srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

func (c *capture) lastBody(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &m); err != nil {
		t.Fatalf("request body %s: %v", c.body, err)
	}
	return m
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
