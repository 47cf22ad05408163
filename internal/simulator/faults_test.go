// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func listAgents(h *harness, client anthropic.Client) error {
	_, err := client.Beta.Agents.List(testCtx(h.t), anthropic.BetaAgentListParams{})
	return err
}

// TestErrorFaults: injected statuses reach the SDK as typed errors, for
// exactly the requests the rule matches.
func TestErrorFaults(t *testing.T) {
	cases := []struct {
		name    string
		fault   simulator.Fault
		status  int
		errType string
		retry   string
	}{
		{"429 with retry-after", simulator.Fault{Kind: simulator.FaultError, Status: 429, RetryAfter: 2 * time.Second, Count: 2}, 429, "rate_limit_error", "2"},
		{"429 default retry-after", simulator.Fault{Kind: simulator.FaultError, Status: 429, Count: 2}, 429, "rate_limit_error", "1"},
		{"500", simulator.Fault{Kind: simulator.FaultError, Status: 500, Count: 2}, 500, "api_error", ""},
		{"529", simulator.Fault{Kind: simulator.FaultError, Status: 529, Count: 2}, 529, "overloaded_error", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{})
			if _, err := h.sim.AddFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				apiErr := requireAPIError(t, listAgents(h, h.client), tc.status, tc.errType, "injected")
				if got := apiErr.Response.Header.Get("retry-after"); got != tc.retry {
					t.Fatalf("retry-after %q, want %q", got, tc.retry)
				}
			}
			if err := listAgents(h, h.client); err != nil {
				t.Fatalf("the rule should be used up: %v", err)
			}
			if len(h.sim.Faults()) != 0 {
				t.Fatal("a used-up rule is still listed")
			}
			if n := h.sim.Stats()["GET /v1/agents"]; n != 3 {
				t.Fatalf("counted %d requests, want 3 (faulted ones count)", n)
			}
		})
	}
}

// TestSDKRetriesThroughFaults: with retries on, the SDK honours retry-after
// and succeeds; the counters show what it cost.
func TestSDKRetriesThroughFaults(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	h.sim.RateLimitNext(1, 10*time.Millisecond)
	h.sim.FailNext(529, 1)
	if err := listAgents(h, newClient(h.url, 2)); err != nil {
		t.Fatal(err)
	}
	if n := h.sim.Stats()["GET /v1/agents"]; n != 3 {
		t.Fatalf("counted %d attempts, want 3", n)
	}
	h.sim.ResetStats()
	if len(h.sim.Stats()) != 0 {
		t.Fatal("ResetStats left counters")
	}
}

// TestFaultScopeAndRate: matchers limit a rule to some requests, and rates
// are reproducible for a given seed.
func TestFaultScopeAndRate(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: 42})
	ctx := testCtx(t)
	id, err := h.sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Status: 503, Method: "post", PathPrefix: "/v1/sessions"})
	if err != nil {
		t.Fatal(err)
	}
	if err := listAgents(h, h.client); err != nil {
		t.Fatalf("GET /v1/agents was faulted: %v", err)
	}
	env := h.env(ctx)
	a := h.agent(ctx, anthropic.BetaAgentNewParams{})
	_, err = h.client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}})
	wantAPIError(t, err, 503, "api_error", "")
	if _, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{}); err != nil {
		t.Fatalf("GET /v1/sessions was faulted: %v", err)
	}
	h.sim.RemoveFault(id)

	t.Run("endpoint matcher", func(t *testing.T) {
		if _, err := h.sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Status: 500, Endpoint: "GET /v1/agents/{id}", Count: 1}); err != nil {
			t.Fatal(err)
		}
		if err := listAgents(h, h.client); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.Beta.Agents.Get(ctx, a.ID, anthropic.BetaAgentGetParams{})
		wantAPIError(t, err, 500, "api_error", "")
	})

	t.Run("rate", func(t *testing.T) {
		pattern := func(seed int64) string {
			h := newHarness(t, simulator.Options{Seed: seed})
			if _, err := h.sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Status: 500, Rate: 0.5}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i := 0; i < 60; i++ {
				if listAgents(h, h.client) != nil {
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			return b.String()
		}
		p1, p2, p3 := pattern(7), pattern(7), pattern(8)
		if p1 != p2 {
			t.Fatalf("same seed, different faults:\n%s\n%s", p1, p2)
		}
		if n := strings.Count(p1, "x"); n < 15 || n > 45 {
			t.Fatalf("rate 0.5 faulted %d of 60", n)
		}
		if p1 == p3 {
			t.Fatal("different seeds gave the same pattern")
		}
	})

	t.Run("invalid rules are refused", func(t *testing.T) {
		for _, f := range []simulator.Fault{
			{Kind: "explode"},
			{Kind: simulator.FaultError, Status: 200},
			{Kind: simulator.FaultLatency},
			{Kind: simulator.FaultError, Rate: 2},
			{Kind: simulator.FaultLoseResponse, Mode: "maybe"},
		} {
			if _, err := h.sim.AddFault(f); err == nil {
				t.Errorf("accepted %+v", f)
			}
		}
	})
}

func TestLatencyFault(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	if _, err := h.sim.AddFault(simulator.Fault{Kind: simulator.FaultLatency, Latency: 150 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := listAgents(h, h.client); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("request took %v", took)
	}
}

// TestDropStreamFault: the stream is cut mid-turn and the SDK reports an
// error (not a clean end), which is what makes a client reconnect.
func TestDropStreamFault(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	h.sim.DropNextStream(3)
	stream := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("[[long:10]]"))
	n := 0
	for stream.Next() {
		n++
	}
	if n != 3 || stream.Err() == nil {
		t.Fatalf("read %d events, err %v; want 3 and an error", n, stream.Err())
	}
	// The next stream is healthy and the turn completed regardless.
	eventually(t, "the turn to finish", func() bool { return sessionStatus(h, s.ID) == "idle" })
	fresh := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("again"))
	readUntil(t, fresh, isTurnEnd)

	t.Run("zero events: cut right after connect", func(t *testing.T) {
		h.sim.DropNextStream(0)
		stream := h.open(ctx, s.ID)
		if stream.Next() || stream.Err() == nil {
			t.Fatalf("err %v", stream.Err())
		}
	})
}

// TestLoseResponseFault: the create is committed but the client never hears
// back, so a blind retry duplicates the session. This is why the operator
// lists before it creates.
func TestLoseResponseFault(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	env := h.env(ctx)
	a := h.agent(ctx, anthropic.BetaAgentNewParams{})
	p := anthropic.BetaSessionNewParams{EnvironmentID: env.ID, Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)},
		Metadata: map[string]string{"uid": "u1"}}

	h.sim.LoseNextResponse("POST /v1/sessions")
	_, err := h.client.Beta.Sessions.New(ctx, p)
	var apiErr *anthropic.Error
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("want a connection error, got %v", err)
	}
	if list := h.sim.Sessions(); len(list) != 1 || list[0].Metadata["uid"] != "u1" {
		t.Fatalf("the create should be committed: %+v", list)
	}

	t.Run("the SDK's own retry duplicates", func(t *testing.T) {
		h.sim.LoseNextResponse("POST /v1/sessions")
		retrying := newClient(h.url, 1)
		if _, err := retrying.Beta.Sessions.New(ctx, p); err != nil {
			t.Fatal(err)
		}
		if n := len(h.sim.Sessions()); n != 3 {
			t.Fatalf("%d sessions, want 3", n)
		}
	})
	t.Run("error mode answers 500 after committing", func(t *testing.T) {
		if _, err := h.sim.AddFault(simulator.Fault{Kind: simulator.FaultLoseResponse, Endpoint: "POST /v1/agents", Mode: simulator.LoseByError, Count: 1}); err != nil {
			t.Fatal(err)
		}
		before, _ := h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{})
		_, err := h.client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "lost", Model: model("claude-opus-4-8")})
		wantAPIError(t, err, 500, "api_error", "")
		after, _ := h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{})
		if len(after.Data) != len(before.Data)+1 || after.Data[0].Name != "lost" {
			t.Fatal("the agent should exist")
		}
	})
	t.Run("failed requests are not lost-response candidates", func(t *testing.T) {
		h.sim.LoseNextResponse("POST /v1/sessions")
		_, err := h.client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: "env_nope",
			Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}})
		wantAPIError(t, err, 404, "not_found_error", "")
		before := len(h.sim.Sessions())
		if _, err := h.client.Beta.Sessions.New(ctx, p); err == nil {
			t.Fatal("the next successful create should have lost its response")
		}
		if n := len(h.sim.Sessions()); n != before+1 {
			t.Fatalf("%d sessions, want %d", n, before+1)
		}
	})
}

// TestFaultHTTPAPI drives faults and stats over /_simulator, without auth.
func TestFaultHTTPAPI(t *testing.T) {
	h := newHarness(t, simulator.Options{APIKey: "secret"})
	addFaultsOverHTTP(t, h)

	keyed := anthropic.NewClient(optionsFor(h.url, "secret")...)
	err := listAgents(h, keyed)
	if apiErr := requireAPIError(t, err, 429, "rate_limit_error", ""); apiErr.Response.Header.Get("retry-after") != "3" {
		t.Fatalf("retry-after %q", apiErr.Response.Header.Get("retry-after"))
	}

	for _, bad := range []string{`{"kind":"nope"}`, `{"kind":"error","status":"x"}`, `{"kind":"error","surprise":1}`, `{"faults":[{"kind":"latency"}]}`} {
		res, body := rawRequest(t, "POST", h.url+"/_simulator/faults", bad, nil)
		if res.StatusCode != 400 || body["type"] != "error" {
			t.Fatalf("%s: %d %v", bad, res.StatusCode, body)
		}
	}
	res, body := rawRequest(t, "DELETE", h.url+"/_simulator/faults", "", nil)
	if faults, _ := body["faults"].([]any); res.StatusCode != 200 || len(faults) != 0 || len(h.sim.Faults()) != 0 {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
	if err := listAgents(h, keyed); err != nil {
		t.Fatal(err)
	}
	checkStatsOverHTTP(t, h)
}

// addFaultsOverHTTP posts one rule (a 429 for /v1/agents), then three more in
// the list form, and reads all four back.
func addFaultsOverHTTP(t *testing.T, h *harness) {
	t.Helper()
	res, body := rawRequest(t, "POST", h.url+"/_simulator/faults",
		`{"kind":"error","status":429,"retry_after":"3s","count":1,"path_prefix":"/v1/agents"}`, nil)
	faults, _ := body["faults"].([]any)
	if res.StatusCode != 200 || len(faults) != 1 || faults[0].(map[string]any)["retry_after"] != "3s" {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
	_, body = rawRequest(t, "POST", h.url+"/_simulator/faults",
		`{"faults":[{"kind":"latency","latency":5},{"kind":"drop_stream","after_events":2},{"kind":"lose_response","endpoint":"POST /v1/sessions","mode":"error"}]}`, nil)
	if faults, _ := body["faults"].([]any); len(faults) != 4 {
		t.Fatalf("%v", body)
	}
	_, body = rawRequest(t, "GET", h.url+"/_simulator/faults", "", nil)
	if faults, _ := body["faults"].([]any); len(faults) != 4 || faults[1].(map[string]any)["latency"] != "5ms" {
		t.Fatalf("%v", body)
	}
}

// checkStatsOverHTTP reads the stats (two GET /v1/agents so far), resets
// them, and checks the health endpoint.
func checkStatsOverHTTP(t *testing.T, h *harness) {
	t.Helper()
	res, body := rawRequest(t, "GET", h.url+"/_simulator/stats", "", nil)
	reqs, _ := body["requests"].(map[string]any)
	if res.StatusCode != 200 || reqs["GET /v1/agents"] != float64(2) || body["total"] != float64(2) || body["open_streams"] != float64(0) {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
	res, body = rawRequest(t, "DELETE", h.url+"/_simulator/stats", "", nil)
	if res.StatusCode != 200 || body["total"] != float64(0) {
		t.Fatalf("%d %v", res.StatusCode, body)
	}
	res, _ = rawRequest(t, "GET", h.url+"/_simulator/health", "", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatal(res.Status)
	}
}

func TestParseFaultSpec(t *testing.T) {
	cases := []struct {
		spec string
		want simulator.Fault
		err  bool
	}{
		{spec: "kind=error,status=429,count=3,retry_after=2s,path_prefix=/v1/sessions,method=POST",
			want: simulator.Fault{Kind: "error", Status: 429, Count: 3, RetryAfter: 2 * time.Second, PathPrefix: "/v1/sessions", Method: "POST"}},
		{spec: "kind=error", want: simulator.Fault{Kind: "error", Status: 500}},
		{spec: "kind=latency,latency=250ms,rate=0.5", want: simulator.Fault{Kind: "latency", Latency: 250 * time.Millisecond, Rate: 0.5}},
		{spec: "kind=drop_stream,after_events=4,count=1", want: simulator.Fault{Kind: "drop_stream", AfterEvents: 4, Count: 1}},
		{spec: "kind=lose_response,endpoint=POST /v1/sessions", want: simulator.Fault{Kind: "lose_response", Endpoint: "POST /v1/sessions", Mode: "drop"}},
		{spec: "kind=error,status=abc", err: true},
		{spec: "kind=error,color=red", err: true},
		{spec: "status", err: true},
		{spec: "kind=latency", err: true},
	}
	for _, tc := range cases {
		got, err := simulator.ParseFaultSpec(tc.spec)
		if (err != nil) != tc.err {
			t.Fatalf("%q: err %v", tc.spec, err)
		}
		if !tc.err && got != tc.want {
			t.Fatalf("%q: got %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}
