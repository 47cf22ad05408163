// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestCloseEndsStreamsAndTurns: Close stops running turns and ends open
// streams, so the HTTP server around the simulator can shut down.
func TestCloseEndsStreamsAndTurns(t *testing.T) {
	sim := simulator.New(simulator.Options{StepDelay: time.Millisecond})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	client := newClient(ts.URL, 0)
	ctx := testCtx(t)
	a, err := client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "a", Model: model("claude-opus-4-8")})
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
	stream := client.Beta.Sessions.Events.StreamEvents(ctx, s.ID, anthropic.BetaSessionEventStreamParams{})
	defer stream.Close()
	if _, err := client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("[[slow:1m]]")}}); err != nil {
		t.Fatal(err)
	}
	readUntil(t, stream, func(e streamEvent) bool { return e.Type == "agent.thinking" })

	done := make(chan struct{})
	go func() { sim.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream should end cleanly on Close: %v", err)
	}
	// State stays readable after Close.
	if got, err := client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{}); err != nil || got.ID != s.ID {
		t.Fatalf("%v", err)
	}
	late := client.Beta.Sessions.Events.StreamEvents(ctx, s.ID, anthropic.BetaSessionEventStreamParams{})
	wantAPIError(t, late.Err(), 503, "api_error", "shutting down")
	sim.Close() // idempotent
}

// TestConcurrentSends: prompts sent from many goroutines at once each get
// one turn, run in the order they were persisted.
func TestConcurrentSends(t *testing.T) {
	h := newHarness(t, simulator.Options{StepDelay: -1})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	const senders, each = 8, 5
	err := parallel(senders*each, senders, func(i int) error {
		_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
			Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage(fmt.Sprintf("m%d", i))}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var prompts, echoes []string
	eventually(t, "every prompt to be answered", func() bool {
		history, _ := h.sim.Events(s.ID)
		prompts, echoes = nil, nil
		for _, raw := range history {
			var ev struct {
				Type    string
				Content []struct{ Text string }
			}
			_ = json.Unmarshal(raw, &ev)
			switch ev.Type {
			case "user.message":
				prompts = append(prompts, "echo: "+ev.Content[0].Text)
			case "agent.message":
				echoes = append(echoes, ev.Content[0].Text)
			}
		}
		return len(echoes) == senders*each && sessionStatus(h, s.ID) == "idle"
	})
	for i := range prompts {
		if prompts[i] != echoes[i] {
			t.Fatalf("turn %d answered %q for %q", i, echoes[i], prompts[i])
		}
	}
}

// TestSessionAgentUpdate: a session's tools can be replaced between turns,
// and the next turn uses them.
func TestSessionAgentUpdate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	got, err := h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{},
		option.WithJSONSet("agent", map[string]any{"tools": []any{}, "mcp_servers": []any{}}))
	if err != nil || len(got.Agent.Tools) != 0 {
		t.Fatalf("%v %s", err, got.RawJSON())
	}
	if m := messages(h.prompt(ctx, s.ID, "[[tool:bash]]")); m[0] != "The bash tool is not available to this agent." {
		t.Fatalf("messages %v", m)
	}
	_, err = h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{},
		option.WithJSONSet("agent", map[string]any{"mcp_servers": []any{map[string]any{"name": "x", "url": "https://x.example"}}}))
	wantAPIError(t, err, 400, "invalid_request_error", "mcp_servers[0]")
}

// TestMultiagentRoster: roster references resolve to pinned versions on the
// agent and to full definitions in a session's snapshot.
func TestMultiagentRoster(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	helper := h.agent(ctx, anthropic.BetaAgentNewParams{System: anthropic.String("I help")})
	lead, err := h.client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "lead", Model: model("claude-opus-4-8")},
		option.WithJSONSet("multiagent", map[string]any{"type": "multiagent_20261001",
			"subagents": map[string]any{"type": "enabled", "predefined_agents": []any{helper.ID}}}))
	if err != nil {
		t.Fatal(err)
	}
	ma := lead.Multiagent
	if ma.Type != "multiagent_20261001" || ma.Advisor.Type != "disabled" || ma.Workflows.Type != "enabled" ||
		len(ma.Subagents.PredefinedAgents) != 1 || ma.Subagents.PredefinedAgents[0].Version != 1 {
		t.Fatalf("multiagent %s", lead.JSON.Multiagent.Raw())
	}
	// A level-by-level merge: changing the advisor keeps the subagents.
	upd, err := h.client.Beta.Agents.Update(ctx, lead.ID, anthropic.BetaAgentUpdateParams{},
		option.WithJSONSet("multiagent", map[string]any{"type": "multiagent_20261001",
			"advisor": map[string]any{"type": "enabled", "model": "claude-opus-4-8"}}))
	if err != nil || upd.Multiagent.Advisor.Type != "enabled" || len(upd.Multiagent.Subagents.PredefinedAgents) != 1 {
		t.Fatalf("%v %s", err, upd.JSON.Multiagent.Raw())
	}
	s := h.session(ctx, anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(lead.ID)}})
	sub := s.Agent.Multiagent.Subagents.PredefinedAgents
	if len(sub) != 1 || sub[0].ID != helper.ID || sub[0].System != "I help" {
		t.Fatalf("snapshot %s", s.Agent.JSON.Multiagent.Raw())
	}
}
