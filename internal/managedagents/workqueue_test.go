// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// workServer records the work queue requests and answers each with the scripted status and body.
type workServer struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []workCall
	answer func(r *http.Request) (int, string)
}

type workCall struct {
	method, path, query, body, auth, apiKey string
}

func newWorkServer(t *testing.T, answer func(r *http.Request) (int, string)) *workServer {
	ws := &workServer{t: t, answer: answer}
	ws.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ws.mu.Lock()
		ws.calls = append(ws.calls, workCall{r.Method, r.URL.Path, r.URL.RawQuery, string(b),
			r.Header.Get("Authorization"), r.Header.Get("X-Api-Key")})
		ws.mu.Unlock()
		status, body := ws.answer(r)
		if body != "" {
			w.Header().Set("content-type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ws.srv.Close)
	return ws
}

func (ws *workServer) client() WorkClient {
	return NewFactory(FactoryOptions{BaseURL: ws.srv.URL}).WorkClientFor("env_01", "envkey-secret")
}

func (ws *workServer) last() workCall {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if len(ws.calls) == 0 {
		ws.t.Fatal("no request was sent")
	}
	return ws.calls[len(ws.calls)-1]
}

func (ws *workServer) count() int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return len(ws.calls)
}

const workItemJSON = `{"type":"work","id":"work_01","environment_id":"env_01","state":"queued",
 "data":{"type":"session","id":"sesn_01"},"secret":"c2VjcmV0","metadata":{},"created_at":"2026-05-01T10:00:00Z",
 "acknowledged_at":null,"started_at":null,"latest_heartbeat_at":null,"stop_requested_at":null,"stopped_at":null}`

// wireCase is one work queue call: what it must send and what it must make of the answer. call
// returns a summary of the decoded result, compared with result.
type wireCase struct {
	name, why    string
	status       int
	body         string
	call         func(ctx context.Context, c WorkClient) (string, error)
	result       string
	method, path string
	query, sent  string
}

func wireCases() []wireCase {
	return []wireCase{{
		name: "poll", why: "block_ms is capped at the API's 999 and the worker id rides in its header",
		status: 200, body: workItemJSON,
		call: func(ctx context.Context, c WorkClient) (string, error) {
			w, err := c.Poll(ctx, PollOptions{Block: 5 * time.Second, ReclaimOlderThan: 10 * time.Second, WorkerID: "w1"})
			if w == nil {
				return "nil", err
			}
			return fmt.Sprint(w.ID, " ", w.Data.ID, " ", w.Secret), err
		},
		result: "work_01 sesn_01 c2VjcmV0",
		method: "GET", path: "/v1/environments/env_01/work/poll", query: "block_ms=999&reclaim_older_than_ms=10000",
	}, {
		name: "empty poll", why: "an empty queue answers JSON null, which is no item and no error",
		status: 200, body: "null",
		call: func(ctx context.Context, c WorkClient) (string, error) {
			w, err := c.Poll(ctx, PollOptions{})
			return fmt.Sprint(w == nil), err
		},
		result: "true", method: "GET", path: "/v1/environments/env_01/work/poll",
	}, {
		name: "ack", status: 200, body: strings.Replace(workItemJSON, `"queued"`, `"starting"`, 1),
		call: func(ctx context.Context, c WorkClient) (string, error) {
			w, err := c.Ack(ctx, "work_01")
			if w == nil {
				return "nil", err
			}
			return string(w.State), err
		},
		result: WorkStateStarting, method: "POST", path: "/v1/environments/env_01/work/work_01/ack",
	}, {
		name: "first heartbeat", why: "the first heartbeat claims the lease with NO_HEARTBEAT and asks for a TTL in seconds",
		status: 200, body: `{"type":"work_heartbeat","last_heartbeat":"2026-05-01T10:00:01.5Z","lease_extended":true,"state":"active","ttl_seconds":30}`,
		call: func(ctx context.Context, c WorkClient) (string, error) {
			l, err := c.Heartbeat(ctx, "work_01", NoHeartbeat, 30*time.Second)
			if l == nil {
				return "nil", err
			}
			return fmt.Sprint(l.LastHeartbeat, " ", l.TTLSeconds, " ", l.LeaseExtended), err
		},
		result: "2026-05-01T10:00:01.5Z 30 true",
		method: "POST", path: "/v1/environments/env_01/work/work_01/heartbeat",
		query: "desired_ttl_seconds=30&expected_last_heartbeat=NO_HEARTBEAT",
	}, {
		name: "graceful stop", why: "the API answers a stop with 204 and no body, which must not be a decode error",
		status: 204, call: stopCall(false),
		method: "POST", path: "/v1/environments/env_01/work/work_01/stop", sent: "{}",
	}, {
		name: "forced stop", status: 204, call: stopCall(true),
		method: "POST", path: "/v1/environments/env_01/work/work_01/stop", sent: `{"force":true}`,
	}, {
		name: "stop of a stopped item", why: "409 means the item already stopped, which is what the caller wanted",
		status: 409, body: `{"type":"error","error":{"type":"invalid_request_error","message":"work item is already stopped"}}`,
		call:   stopCall(true),
		method: "POST", path: "/v1/environments/env_01/work/work_01/stop", sent: `{"force":true}`,
	}, {
		name: "stats", status: 200,
		body: `{"type":"work_queue_stats","depth":3,"pending":1,"oldest_queued_at":"2026-05-01T10:00:00Z","workers_polling":2}`,
		call: func(ctx context.Context, c WorkClient) (string, error) {
			s, err := c.Stats(ctx)
			if s == nil {
				return "nil", err
			}
			return fmt.Sprint(s.Depth, " ", s.Pending, " ", s.WorkersPolling), err
		},
		result: "3 1 2", method: "GET", path: "/v1/environments/env_01/work/stats",
	}, {
		name: "list", status: 200, body: `{"data":[` + workItemJSON + `],"next_page":null}`,
		call: func(ctx context.Context, c WorkClient) (string, error) {
			var ids []string
			err := c.List(ctx, func(w WorkItem) bool { ids = append(ids, w.ID); return true })
			return strings.Join(ids, ","), err
		},
		result: "work_01", method: "GET", path: "/v1/environments/env_01/work", query: "limit=100",
	}}
}

func stopCall(force bool) func(ctx context.Context, c WorkClient) (string, error) {
	return func(ctx context.Context, c WorkClient) (string, error) { return "", c.Stop(ctx, "work_01", force) }
}

// TestWorkClientWire checks each call's method, path, query and body, as the API documents them,
// what it decodes, and that every call carries the environment key as its bearer token and no API
// key header.
func TestWorkClientWire(t *testing.T) {
	for _, tc := range wireCases() {
		t.Run(tc.name, func(t *testing.T) {
			ws := newWorkServer(t, func(*http.Request) (int, string) { return tc.status, tc.body })
			result, err := tc.call(testContext(t), ws.client())
			if err != nil || result != tc.result {
				t.Fatalf("got %q, %v; want %q (%s)", result, err, tc.result, tc.why)
			}
			got := ws.last()
			if got.method != tc.method || got.path != tc.path || got.query != tc.query {
				t.Errorf("sent %s %s?%s, want %s %s?%s (%s)", got.method, got.path, got.query, tc.method, tc.path, tc.query, tc.why)
			}
			if tc.sent != "" && !jsonEqual(t, []byte(got.body), []byte(tc.sent)) {
				t.Errorf("body %s, want %s", got.body, tc.sent)
			}
			if got.auth != "Bearer envkey-secret" || got.apiKey != "" {
				t.Errorf("authorization %q, x-api-key %q: want the environment key as bearer and no API key", got.auth, got.apiKey)
			}
		})
	}
}

// TestWorkClientErrors checks the classification the dispatcher branches on, and that no call is
// retried by the SDK: a retried heartbeat whose answer was lost would come back as a lost lease.
func TestWorkClientErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		call   func(t *testing.T, c WorkClient) error
		want   ErrorKind
	}{
		{name: "stale heartbeat is a lost lease", status: 412,
			body: `{"type":"error","error":{"type":"invalid_request_error","message":"Heartbeat precondition failed",
			 "details":{"error_code":"heartbeat_precondition_failed","current_state":{"state":"queued","last_heartbeat":null}}}}`,
			call: func(t *testing.T, c WorkClient) error {
				_, err := c.Heartbeat(testContext(t), "work_01", "2026-05-01T10:00:01Z", 0)
				return err
			}, want: KindLeaseLost},
		{name: "heartbeat on a server error is transient and sent once", status: 500,
			body: `{"type":"error","error":{"type":"api_error","message":"boom"}}`,
			call: func(t *testing.T, c WorkClient) error {
				_, err := c.Heartbeat(testContext(t), "work_01", NoHeartbeat, 0)
				return err
			}, want: KindTransient},
		{name: "ack of an item someone else acknowledged conflicts", status: 409,
			body: `{"type":"error","error":{"type":"invalid_request_error","message":"work item is starting, not queued"}}`,
			call: func(t *testing.T, c WorkClient) error { _, err := c.Ack(testContext(t), "work_01"); return err },
			want: KindConflict},
		{name: "a rejected environment key is terminal", status: 401,
			body: `{"type":"error","error":{"type":"authentication_error","message":"invalid environment key"}}`,
			call: func(t *testing.T, c WorkClient) error { _, err := c.Poll(testContext(t), PollOptions{}); return err },
			want: KindTerminal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := newWorkServer(t, func(*http.Request) (int, string) { return tc.status, tc.body })
			err := tc.call(t, ws.client())
			if KindOf(err) != tc.want {
				t.Fatalf("error %v classified %q, want %q", err, KindOf(err), tc.want)
			}
			if n := ws.count(); n != 1 {
				t.Errorf("%d requests sent, want 1: the SDK must not retry", n)
			}
			if strings.Contains(err.Error(), "envkey-secret") {
				t.Errorf("error text carries the environment key: %v", err)
			}
		})
	}
	if !IsLeaseLost(Classify(&Error{Kind: KindLeaseLost})) {
		t.Error("IsLeaseLost does not recognize a classified lease loss")
	}
}
