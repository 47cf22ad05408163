// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// testTimeout bounds every test's API calls; the machine running CI is small
// and busy, so it is generous, but nothing waits on it in the passing case.
const testTimeout = 30 * time.Second

type streamEvent = anthropic.BetaManagedAgentsStreamSessionEventsUnion

type eventStream = *ssestream.Stream[streamEvent]

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// harness is a simulator behind httptest plus an SDK client without retries.
type harness struct {
	t      *testing.T
	sim    *simulator.Server
	ts     *httptest.Server
	url    string
	client anthropic.Client
}

var nameSeq atomic.Int64

func uniqueName(prefix string) string { return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1)) }

func newHarness(t *testing.T, opts simulator.Options) *harness {
	t.Helper()
	if opts.StepDelay == 0 {
		opts.StepDelay = time.Millisecond
	}
	sim := simulator.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close() // ends open streams, so ts.Close does not wait on them
		ts.Close()
	})
	return &harness{t: t, sim: sim, ts: ts, url: ts.URL, client: newClient(ts.URL, 0)}
}

func newClient(url string, retries int) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(url), option.WithAPIKey("k"), option.WithMaxRetries(retries))
}

func optionsFor(url, key string) []option.RequestOption {
	return []option.RequestOption{option.WithBaseURL(url), option.WithAPIKey(key), option.WithMaxRetries(0)}
}

func model(id string) anthropic.BetaManagedAgentsModelConfigParams {
	return anthropic.BetaManagedAgentsModelConfigParams{ID: id}
}

func (h *harness) agent(ctx context.Context, p anthropic.BetaAgentNewParams) *anthropic.BetaManagedAgentsAgent {
	h.t.Helper()
	if p.Name == "" {
		p.Name = uniqueName("agent")
	}
	if p.Model.ID == "" {
		p.Model = model("claude-opus-4-8")
	}
	a, err := h.client.Beta.Agents.New(ctx, p)
	if err != nil {
		h.t.Fatalf("create agent: %v", err)
	}
	return a
}

func (h *harness) env(ctx context.Context) *anthropic.BetaEnvironment {
	h.t.Helper()
	e, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: uniqueName("env")})
	if err != nil {
		h.t.Fatalf("create environment: %v", err)
	}
	return e
}

// toolAgent has the built-in toolset (bash always_ask), an MCP server and a
// custom tool, so every directive has something to call.
func toolAgentParams() anthropic.BetaAgentNewParams {
	return anthropic.BetaAgentNewParams{
		Name:  uniqueName("tool-agent"),
		Model: model("claude-opus-4-8"),
		Tools: []anthropic.BetaAgentNewParamsToolUnion{
			{OfAgentToolset20260401: &anthropic.BetaManagedAgentsAgentToolset20260401Params{
				Configs: []anthropic.BetaManagedAgentsAgentToolConfigParamsUnion{
					{OfBash: &anthropic.BetaManagedAgentsBashToolConfigParams{
						PermissionPolicy: anthropic.BetaManagedAgentsBashToolConfigParamsPermissionPolicyUnion{
							OfAlwaysAsk: &anthropic.BetaManagedAgentsAlwaysAskPolicyParam{}}}},
					{OfWebFetch: &anthropic.BetaManagedAgentsWebFetchToolConfigParams{Enabled: anthropic.Bool(false)}},
				}}},
			{OfMCPToolset: &anthropic.BetaManagedAgentsMCPToolsetParams{MCPServerName: "github"}},
			{OfCustom: &anthropic.BetaManagedAgentsCustomToolParams{Name: "open_ticket", Description: "Open a ticket",
				InputSchema: anthropic.BetaManagedAgentsCustomToolInputSchemaParam{
					Properties: map[string]any{"title": map[string]any{"type": "string"}}, Required: []string{"title"}}}},
		},
		MCPServers: []anthropic.BetaManagedAgentsURLMCPServerParams{{Name: "github", URL: "https://api.githubcopilot.com/mcp/"}},
	}
}

// session creates a session (from a fresh agent and environment unless given).
func (h *harness) session(ctx context.Context, p anthropic.BetaSessionNewParams) *anthropic.BetaManagedAgentsSession {
	h.t.Helper()
	if p.EnvironmentID == "" {
		p.EnvironmentID = h.env(ctx).ID
	}
	if param := p.Agent; param.OfString.Value == "" && param.OfBetaManagedAgentsAgents == nil && param.OfBetaManagedAgentsAgentWithOverridess == nil {
		p.Agent.OfString = anthropic.String(h.agent(ctx, toolAgentParams()).ID)
	}
	s, err := h.client.Beta.Sessions.New(ctx, p)
	if err != nil {
		h.t.Fatalf("create session: %v", err)
	}
	return s
}

func userMessage(text string) anthropic.BetaManagedAgentsEventParamsUnion {
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{
		Content: []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: text}}},
	}}
}

func interrupt() anthropic.BetaManagedAgentsEventParamsUnion {
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserInterrupt: &anthropic.BetaManagedAgentsUserInterruptEventParams{}}
}

func confirm(toolUseID string, allow bool, denyMessage string) anthropic.BetaManagedAgentsEventParamsUnion {
	p := &anthropic.BetaManagedAgentsUserToolConfirmationEventParams{ToolUseID: toolUseID, Result: "allow"}
	if !allow {
		p.Result = "deny"
		if denyMessage != "" {
			p.DenyMessage = anthropic.String(denyMessage)
		}
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserToolConfirmation: p}
}

func customResult(id, text string) anthropic.BetaManagedAgentsEventParamsUnion {
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserCustomToolResult: &anthropic.BetaManagedAgentsUserCustomToolResultEventParams{
		CustomToolUseID: id,
		Content: []anthropic.BetaManagedAgentsUserCustomToolResultEventParamsContentUnion{
			{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: text}}},
	}}
}

func (h *harness) send(ctx context.Context, sessionID string, events ...anthropic.BetaManagedAgentsEventParamsUnion) *anthropic.BetaManagedAgentsSendSessionEvents {
	h.t.Helper()
	res, err := h.client.Beta.Sessions.Events.Send(ctx, sessionID, anthropic.BetaSessionEventSendParams{Events: events})
	if err != nil {
		h.t.Fatalf("send events: %v", err)
	}
	return res
}

// open opens an event stream; it is closed when the test ends.
func (h *harness) open(ctx context.Context, sessionID string) eventStream {
	h.t.Helper()
	s := h.client.Beta.Sessions.Events.StreamEvents(ctx, sessionID, anthropic.BetaSessionEventStreamParams{})
	if err := s.Err(); err != nil {
		h.t.Fatalf("open stream: %v", err)
	}
	h.t.Cleanup(func() { _ = s.Close() })
	return s
}

// readUntil reads stream events up to and including the first one for which
// stop is true. The stream ending first fails the test.
func readUntil(t *testing.T, s eventStream, stop func(streamEvent) bool) []streamEvent {
	t.Helper()
	var out []streamEvent
	for s.Next() {
		ev := s.Current()
		out = append(out, ev)
		if stop(ev) {
			return out
		}
	}
	t.Fatalf("stream ended before the expected event (err %v); got %v", s.Err(), types(out))
	return nil
}

func isTurnEnd(ev streamEvent) bool {
	return ev.Type == "session.status_idle" || ev.Type == "session.status_terminated"
}

// prompt sends one message with a stream already open and returns the events
// up to the next idle (or termination).
func (h *harness) prompt(ctx context.Context, sessionID, text string) []streamEvent {
	h.t.Helper()
	s := h.open(ctx, sessionID)
	h.send(ctx, sessionID, userMessage(text))
	evs := readUntil(h.t, s, isTurnEnd)
	_ = s.Close()
	return evs
}

// answer sends events with a stream open and returns the events up to the next idle.
func (h *harness) answer(ctx context.Context, sessionID string, events ...anthropic.BetaManagedAgentsEventParamsUnion) []streamEvent {
	h.t.Helper()
	s := h.open(ctx, sessionID)
	h.send(ctx, sessionID, events...)
	evs := readUntil(h.t, s, isTurnEnd)
	_ = s.Close()
	return evs
}

func types(evs []streamEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func messages(evs []streamEvent) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type == "agent.message" {
			for _, c := range ev.AsAgentMessage().Content {
				out = append(out, c.Text)
			}
		}
	}
	return out
}

func find(evs []streamEvent, typ string) (streamEvent, bool) {
	for _, ev := range evs {
		if ev.Type == typ {
			return ev, true
		}
	}
	return streamEvent{}, false
}

func last(evs []streamEvent) streamEvent { return evs[len(evs)-1] }

// wantAPIError asserts err is an API error with the status, error type and
// (if non-empty) a message containing msg.
func wantAPIError(t *testing.T, err error, status int, typ, msg string) {
	t.Helper()
	_ = requireAPIError(t, err, status, typ, msg)
}

// requireAPIError is wantAPIError for callers that go on to inspect the
// error, such as its error_code or headers.
func requireAPIError(t *testing.T, err error, status int, typ, msg string) *anthropic.Error {
	t.Helper()
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want API error %d %s, got %v", status, typ, err)
	}
	if apiErr.StatusCode != status || string(apiErr.Type()) != typ {
		t.Fatalf("want %d %s, got %d %s: %s", status, typ, apiErr.StatusCode, apiErr.Type(), apiErr.Message)
	}
	if msg != "" && !strings.Contains(apiErr.Message, msg) {
		t.Fatalf("want message containing %q, got %q", msg, apiErr.Message)
	}
	if !strings.HasPrefix(apiErr.RequestID, "req_") {
		t.Fatalf("want a request-id header, got %q", apiErr.RequestID)
	}
	return apiErr
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func sessionStatus(h *harness, id string) string {
	info, _ := h.sim.Session(id)
	return info.Status
}

// lastEventType is the type of the newest event in a session's history, or "" when it has none.
func lastEventType(h *harness, sessionID string) string {
	history, err := h.sim.Events(sessionID)
	if err != nil || len(history) == 0 {
		return ""
	}
	var last struct{ Type string }
	_ = json.Unmarshal(history[len(history)-1], &last)
	return last.Type
}
