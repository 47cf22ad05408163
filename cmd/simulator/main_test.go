// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantFaults []simulator.Fault
		check      func(t *testing.T, c config)
		wantErr    bool
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, c config) {
			if c.addr != "127.0.0.1:8765" || c.opts.StepDelay != simulator.DefaultStepDelay || c.opts.APIKey != "" || len(c.faults) != 0 {
				t.Fatalf("%+v", c)
			}
		}},
		{name: "self-hosted environments", args: []string{"--environment-key", "envkey", "--work-lease-ttl", "5s", "--lose-lease-next", "2"},
			wantFaults: []simulator.Fault{{Kind: simulator.FaultLoseLease, Count: 2}},
			check: func(t *testing.T, c config) {
				if c.opts.EnvironmentKey != "envkey" || c.opts.WorkLeaseTTL != 5*time.Second {
					t.Fatalf("%+v", c.opts)
				}
			}},
		{name: "zero step delay means none", args: []string{"--step-delay", "0", "--api-key", "k", "--addr", ":0"},
			check: func(t *testing.T, c config) {
				if c.opts.StepDelay >= 0 || c.opts.APIKey != "k" || c.addr != ":0" {
					t.Fatalf("%+v", c)
				}
			}},
		{name: "every fault flag", args: []string{"--fault-429-next", "2", "--retry-after", "3s", "--fault-500-rate", "0.25",
			"--fault-529-next", "1", "--latency", "10ms", "--drop-stream-after", "4", "--drop-stream-count", "1",
			"--lose-create-next", "1", "--fault-path-prefix", "/v1/sessions", "--fault", "kind=error,status=503,count=1"},
			wantFaults: []simulator.Fault{
				{Kind: simulator.FaultError, Status: 429, RetryAfter: 3 * time.Second, Count: 2, PathPrefix: "/v1/sessions"},
				{Kind: simulator.FaultError, Status: 500, Rate: 0.25, PathPrefix: "/v1/sessions"},
				{Kind: simulator.FaultError, Status: 529, Count: 1, PathPrefix: "/v1/sessions"},
				{Kind: simulator.FaultLatency, Latency: 10 * time.Millisecond, PathPrefix: "/v1/sessions"},
				{Kind: simulator.FaultDropStream, AfterEvents: 4, Count: 1, PathPrefix: "/v1/sessions"},
				{Kind: simulator.FaultLoseResponse, Endpoint: "POST /v1/sessions", Count: 1, Mode: simulator.LoseByDroppingConnection},
				{Kind: simulator.FaultError, Status: 503, Count: 1},
			}},
		{name: "bad fault spec", args: []string{"--fault", "kind=boom"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if tc.wantErr {
				return
			}
			if tc.check != nil {
				tc.check(t, c)
			}
			if tc.wantFaults != nil {
				if len(c.faults) != len(tc.wantFaults) {
					t.Fatalf("faults %+v", c.faults)
				}
				for i := range c.faults {
					if c.faults[i] != tc.wantFaults[i] {
						t.Fatalf("fault %d: %+v, want %+v", i, c.faults[i], tc.wantFaults[i])
					}
				}
			}
		})
	}
}

// TestVersionFlag: --version answers without opening a listener, so it works beside a running simulator.
func TestVersionFlag(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"--addr", "256.0.0.1:1", "--version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "simulator dev") {
		t.Fatalf("--version printed %q", got)
	}
}

// TestRunServesAndShutsDown starts the real server on a free port, uses it
// through the SDK, then cancels it like SIGINT would.
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--addr", "127.0.0.1:0", "--api-key", "sekret", "--step-delay", "1ms"}, pw, io.Discard)
		_ = pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no output: %v", <-done)
	}
	url, ok := strings.CutPrefix(lines.Text(), "simulator listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }() // keep run's later prints from blocking

	client := anthropic.NewClient(option.WithBaseURL(url), option.WithAPIKey("sekret"), option.WithMaxRetries(0))
	a, err := client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "a", Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-opus-4-8"}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "e"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	// An open stream must not hold up shutdown.
	stream := client.Beta.Sessions.Events.StreamEvents(ctx, s.ID, anthropic.BetaSessionEventStreamParams{})
	defer stream.Close()
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/_simulator/stats", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stats: %v", err)
	}
	res.Body.Close()

	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("run did not return after cancel")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("shutdown took %v", took)
	}
}
