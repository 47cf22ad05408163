// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// wantSubsequence checks that want occurs in evs' types in order (other
// events may come between).
func wantSubsequence(t *testing.T, evs []streamEvent, want ...string) {
	t.Helper()
	got := types(evs)
	i := 0
	for _, typ := range got {
		if i < len(want) && typ == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("want %v in order within %v", want, got)
	}
}

func budget(amount string) anthropic.BetaManagedAgentsBudgetLimitParam {
	return anthropic.BetaManagedAgentsBudgetLimitParam{MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: amount, Currency: "USD"}}
}

func autoAgentParams() anthropic.BetaAgentNewParams {
	return anthropic.BetaAgentNewParams{Name: uniqueName("auto"), Model: model("claude-sonnet-4-6"),
		Tools: []anthropic.BetaAgentNewParamsToolUnion{{OfAgentToolset20260401: &anthropic.BetaManagedAgentsAgentToolset20260401Params{
			DefaultConfig: anthropic.BetaManagedAgentsAgentToolsetDefaultConfigParams{
				PermissionPolicy: anthropic.BetaManagedAgentsAgentToolsetDefaultConfigParamsPermissionPolicyUnion{
					OfAuto: &anthropic.BetaManagedAgentsAutoPolicyParam{}}}}}}}
}

// directiveTurn is one scripted turn of TestDirectives, handed to its case's check.
type directiveTurn struct {
	ctx context.Context
	h   *harness
	sid string        // the session
	evs []streamEvent // the turn's events, up to idle or termination
}

// directiveCase is one TestDirectives case.
type directiveCase struct {
	name     string
	agent    string // default toolAgent
	budget   string
	prompt   string
	wantSeq  []string
	wantStop string
	check    func(t *testing.T, turn directiveTurn)
}

// TestDirectives runs one scripted turn per directive and checks the events
// and stop reason; cases with requires_action then answer it.
func TestDirectives(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	env := h.env(ctx)
	toolAgent := h.agent(ctx, toolAgentParams()).ID
	autoAgent := h.agent(ctx, autoAgentParams()).ID
	bareAgent := h.agent(ctx, anthropic.BetaAgentNewParams{}).ID

	for _, tc := range directiveCases(autoAgent, bareAgent) {
		t.Run(tc.name, func(t *testing.T) {
			agentID := tc.agent
			if agentID == "" {
				agentID = toolAgent
			}
			p := anthropic.BetaSessionNewParams{EnvironmentID: env.ID, Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(agentID)}}
			if tc.budget != "" {
				p.Budget = budget(tc.budget)
			}
			s := h.session(ctx, p)
			evs := h.prompt(ctx, s.ID, tc.prompt)
			if tc.wantSeq != nil {
				wantSubsequence(t, evs, tc.wantSeq...)
			}
			if stop := stopOf(last(evs)); stop != tc.wantStop {
				t.Fatalf("stop %q, want %q; events %v", stop, tc.wantStop, types(evs))
			}
			if tc.check != nil {
				tc.check(t, directiveTurn{ctx: ctx, h: h, sid: s.ID, evs: evs})
			}
		})
	}
}

// stopOf is the stop reason of a turn's last event; "terminated" for a
// termination.
func stopOf(end streamEvent) string {
	if end.Type == "session.status_terminated" {
		return "terminated"
	}
	return end.StopReason.Type
}

// directiveCases are TestDirectives' cases; autoAgent has an auto permission
// policy and bareAgent has no tools.
func directiveCases(autoAgent, bareAgent string) []directiveCase {
	return []directiveCase{
		{name: "plain prompt is echoed", prompt: "hello   world",
			wantSeq: []string{"user.message", "session.status_running", "span.model_request_start", "agent.message",
				"span.model_request_end", "session.usage", "session.status_idle"},
			wantStop: "end_turn", check: checkEchoTurn},
		{name: "allowed built-in tool", prompt: "[[tool:read:/etc/hosts]] look",
			wantSeq: []string{"agent.tool_use", "agent.tool_result", "agent.message"}, wantStop: "end_turn", check: checkAllowedToolTurn},
		{name: "bash directive quotes the output", agent: autoAgent, prompt: "[[bash:ls -l]]",
			wantSeq: []string{"agent.tool_use", "agent.tool_result", "agent.message"}, wantStop: "end_turn", check: checkBashDirectiveTurn},
		{name: "auto policy allows", agent: autoAgent, prompt: "[[tool:grep]]",
			wantSeq: []string{"agent.tool_use", "agent.tool_result"}, wantStop: "end_turn", check: checkAutoPolicyTurn},
		{name: "disabled tool is not called", prompt: "[[tool:web_fetch]]", wantStop: "end_turn", check: checkDisabledToolTurn},
		{name: "agent without tools", agent: bareAgent, prompt: "[[tool:bash]] [[custom:open_ticket]] [[mcp:github:x]]", wantStop: "end_turn",
			check: checkNoToolsTurn},
		{name: "always_ask from the agent's config, allowed", prompt: "[[tool:bash:make test]] run tests",
			wantSeq: []string{"agent.tool_use", "span.model_request_end", "session.status_idle"}, wantStop: "requires_action",
			check: checkAskAllowedTurn},
		{name: "ask directive, denied", prompt: "[[ask:glob]]", wantStop: "requires_action", check: checkAskDeniedTurn},
		{name: "custom tool", prompt: `[[custom:open_ticket:{"title":"CI red"}]] file it`,
			wantSeq: []string{"agent.custom_tool_use", "session.status_idle"}, wantStop: "requires_action", check: checkCustomToolTurn},
		{name: "mcp tool asks by default", prompt: "[[mcp:github:create_issue]]",
			wantSeq: []string{"agent.mcp_tool_use", "session.status_idle"}, wantStop: "requires_action", check: checkMCPToolTurn},
		{name: "refusal", prompt: "[[refuse:cyber]] do crimes", wantStop: "refusal", check: checkRefusalTurn},
		{name: "error retrying continues", prompt: "[[error:retrying]] go",
			wantSeq:  []string{"session.error", "session.status_rescheduled", "session.status_running", "agent.message"},
			wantStop: "end_turn", check: checkRetryingErrorTurn},
		{name: "error exhausted idles", prompt: "[[error:exhausted:mcp_connection_failed_error]]", wantStop: "retries_exhausted",
			check: checkExhaustedErrorTurn},
		{name: "error terminal terminates", prompt: "[[error:terminal]]", wantStop: "terminated",
			wantSeq: []string{"session.error", "session.status_terminated"}, check: checkTerminalErrorTurn},
		{name: "budget directive", budget: "1000", prompt: "[[budget]]", wantStop: "budget_reached", check: checkBudgetDirectiveTurn},
		{name: "spending the budget", budget: "1", prompt: "hello", wantStop: "budget_reached", check: checkBudgetSpentTurn},
		{name: "long turn", prompt: "[[long:25]]", wantStop: "end_turn", check: checkLongTurn},
		{name: "thinking", prompt: "[[think]] hmm", wantSeq: []string{"agent.thinking", "agent.message"}, wantStop: "end_turn"},
		{name: "directives run in order", prompt: "[[think]] [[tool:grep:TODO]] [[long:2]] end",
			wantSeq:  []string{"agent.thinking", "agent.tool_use", "agent.tool_result", "agent.message", "agent.message", "agent.message"},
			wantStop: "end_turn"},
		{name: "unknown directives stay text", prompt: "[[dance]] hi", wantStop: "end_turn", check: checkUnknownDirectiveTurn},
		{name: "bad directive argument is reported", prompt: "[[long:many]]", wantStop: "end_turn", check: checkBadDirectiveArgTurn},
	}
}

func checkEchoTurn(t *testing.T, turn directiveTurn) {
	evs := turn.evs
	if m := messages(evs); !slices.Equal(m, []string{"echo: hello world"}) {
		t.Fatalf("messages %v", m)
	}
	end, _ := find(evs, "span.model_request_end")
	start, _ := find(evs, "span.model_request_start")
	if end.ModelRequestStartID != start.ID || end.ModelUsage.InputTokens == 0 {
		t.Fatalf("span end %s", end.RawJSON())
	}
}

func checkAllowedToolTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.tool_use")
	res, _ := find(turn.evs, "agent.tool_result")
	input, _ := use.Input.(map[string]any)
	if use.Name != "read" || use.EvaluatedPermission != "allow" || use.Evaluation.Type != "always_allow" ||
		input["file_path"] != "/etc/hosts" || res.ToolUseID != use.ID {
		t.Fatalf("tool use %s result %s", use.RawJSON(), res.RawJSON())
	}
}

// checkBashDirectiveTurn: in a cloud environment the output is the simulator's own, quoted like a
// sandbox's real one.
func checkBashDirectiveTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.tool_use")
	if input, _ := use.Input.(map[string]any); use.Name != "bash" || input["command"] != "ls -l" {
		t.Fatalf("tool use %s", use.RawJSON())
	}
	if m := messages(turn.evs); len(m) == 0 || m[0] != "I ran `ls -l`; it printed:\nsimulated bash output" {
		t.Fatalf("messages %q", m)
	}
}

func checkAutoPolicyTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.tool_use")
	if use.Evaluation.Type != "auto" || use.Evaluation.EvaluatedPermission.Type != "allow" {
		t.Fatalf("tool use %s", use.RawJSON())
	}
}

func checkDisabledToolTurn(t *testing.T, turn directiveTurn) {
	evs := turn.evs
	if _, ok := find(evs, "agent.tool_use"); ok || !strings.Contains(messages(evs)[0], "not available") {
		t.Fatalf("events %v messages %v", types(evs), messages(evs))
	}
}

func checkNoToolsTurn(t *testing.T, turn directiveTurn) {
	if m := messages(turn.evs); len(m) != 4 || !strings.Contains(m[0], "bash") || !strings.Contains(m[1], "open_ticket") || !strings.Contains(m[2], "github/x") {
		t.Fatalf("messages %v", m)
	}
}

func checkAskAllowedTurn(t *testing.T, turn directiveTurn) {
	evs := turn.evs
	use, _ := find(evs, "agent.tool_use")
	if use.EvaluatedPermission != "ask" || use.Evaluation.Type != "always_ask" || !slices.Equal(last(evs).StopReason.EventIDs, []string{use.ID}) {
		t.Fatalf("tool use %s idle %s", use.RawJSON(), last(evs).RawJSON())
	}
	if st := sessionStatus(turn.h, turn.sid); st != "idle" {
		t.Fatalf("status %s", st)
	}
	after := turn.h.answer(turn.ctx, turn.sid, confirm(use.ID, true, ""))
	wantSubsequence(t, after, "user.tool_confirmation", "session.status_running", "agent.tool_result", "agent.message", "session.status_idle")
	res, _ := find(after, "agent.tool_result")
	if res.ToolUseID != use.ID || last(after).StopReason.Type != "end_turn" || messages(after)[0] != "echo: run tests" {
		t.Fatalf("after allow %v %v", types(after), messages(after))
	}
}

func checkAskDeniedTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.tool_use")
	after := turn.h.answer(turn.ctx, turn.sid, confirm(use.ID, false, "not now"))
	if _, ok := find(after, "agent.tool_result"); ok || messages(after)[0] != "The glob tool call was denied: not now" ||
		last(after).StopReason.Type != "end_turn" {
		t.Fatalf("after deny %v %v", types(after), messages(after))
	}
}

func checkCustomToolTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.custom_tool_use")
	input, _ := use.Input.(map[string]any)
	if use.Name != "open_ticket" || input["title"] != "CI red" || last(turn.evs).StopReason.EventIDs[0] != use.ID {
		t.Fatalf("custom tool use %s", use.RawJSON())
	}
	after := turn.h.answer(turn.ctx, turn.sid, customResult(use.ID, "TICKET-1"))
	m := messages(after)
	if len(m) != 2 || !strings.Contains(m[0], "TICKET-1") || m[1] != "echo: file it" {
		t.Fatalf("after result %v", m)
	}
}

func checkMCPToolTurn(t *testing.T, turn directiveTurn) {
	use, _ := find(turn.evs, "agent.mcp_tool_use")
	if use.Name != "create_issue" || use.MCPServerName != "github" || use.EvaluatedPermission != "ask" {
		t.Fatalf("mcp tool use %s", use.RawJSON())
	}
	after := turn.h.answer(turn.ctx, turn.sid, confirm(use.ID, true, ""))
	res, ok := find(after, "agent.mcp_tool_result")
	if !ok || res.MCPToolUseID != use.ID {
		t.Fatalf("after allow %v", types(after))
	}
}

func checkRefusalTurn(t *testing.T, turn directiveTurn) {
	d := last(turn.evs).StopDetails
	if d.Type != "refusal" || d.Category != "cyber" || d.Explanation == "" || len(messages(turn.evs)) != 0 {
		t.Fatalf("idle %s", last(turn.evs).RawJSON())
	}
}

func checkRetryingErrorTurn(t *testing.T, turn directiveTurn) {
	e, _ := find(turn.evs, "session.error")
	if e.Error.RetryStatus.Type != "retrying" || e.Error.Type != "model_overloaded_error" {
		t.Fatalf("error %s", e.RawJSON())
	}
}

func checkExhaustedErrorTurn(t *testing.T, turn directiveTurn) {
	e, _ := find(turn.evs, "session.error")
	if e.Error.RetryStatus.Type != "exhausted" || e.Error.MCPServerName == "" {
		t.Fatalf("error %s", e.RawJSON())
	}
	if next := turn.h.prompt(turn.ctx, turn.sid, "again"); last(next).StopReason.Type != "end_turn" {
		t.Fatal("the session should accept a new prompt after retries_exhausted")
	}
}

func checkTerminalErrorTurn(t *testing.T, turn directiveTurn) {
	h, ctx, sid := turn.h, turn.ctx, turn.sid
	s, err := h.client.Beta.Sessions.Get(ctx, sid, anthropic.BetaSessionGetParams{})
	if err != nil || s.Status != "terminated" {
		t.Fatalf("%v status %s", err, s.Status)
	}
	_, err = h.client.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("hello?")}})
	wantAPIError(t, err, 400, "invalid_request_error", "terminated")
	time.Sleep(20 * time.Millisecond)
	again, _ := h.client.Beta.Sessions.Get(ctx, sid, anthropic.BetaSessionGetParams{})
	if again.Stats.DurationSeconds != s.Stats.DurationSeconds {
		t.Fatal("duration should be frozen at termination")
	}
}

func checkBudgetDirectiveTurn(t *testing.T, turn directiveTurn) {
	h, ctx, sid := turn.h, turn.ctx, turn.sid
	_, err := h.client.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("more")}})
	if apiErr := requireAPIError(t, err, 400, "invalid_request_error", "budget"); apiErr.ErrorCode() != "budget_reached" {
		t.Fatalf("error_code %q", apiErr.ErrorCode())
	}
	if _, err := h.client.Beta.Sessions.Update(ctx, sid, anthropic.BetaSessionUpdateParams{Budget: budget("2000")}); err != nil {
		t.Fatal(err)
	}
	if next := h.prompt(ctx, sid, "more"); last(next).StopReason.Type != "end_turn" {
		t.Fatal("a raised budget should accept prompts again")
	}
}

func checkBudgetSpentTurn(t *testing.T, turn directiveTurn) {
	u, _ := find(turn.evs, "session.usage")
	if u.Usage.ListCost.Amount == "" || u.Budget.MaxListCost.Amount != "1" {
		t.Fatalf("usage %s", u.RawJSON())
	}
}

func checkLongTurn(t *testing.T, turn directiveTurn) {
	m := messages(turn.evs)
	if len(m) != 26 || m[0] != "Part 1 of 25." || m[24] != "Part 25 of 25." || m[25] != "Done." {
		t.Fatalf("messages %d: %v", len(m), m)
	}
}

func checkUnknownDirectiveTurn(t *testing.T, turn directiveTurn) {
	if m := messages(turn.evs); m[0] != "echo: [[dance]] hi" {
		t.Fatalf("messages %v", m)
	}
}

func checkBadDirectiveArgTurn(t *testing.T, turn directiveTurn) {
	if m := messages(turn.evs); !strings.HasPrefix(m[0], "simulator: [[long:many]]") {
		t.Fatalf("messages %v", m)
	}
}

// TestSlowTurn: [[slow:D]] keeps the session running for D.
func TestSlowTurn(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	start := time.Now()
	evs := h.prompt(ctx, s.ID, "[[slow:300ms]] patience")
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("turn took %v", took)
	}
	wantSubsequence(t, evs, "agent.thinking", "agent.message", "session.status_idle")
}

// TestInterruptStopsTurn: an interrupt ends the running turn at once with
// end_turn, drops queued prompts, and nothing follows the idle.
func TestInterruptStopsTurn(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	stream := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("[[slow:30s]]"), userMessage("queued"))
	readUntil(t, stream, func(e streamEvent) bool { return e.Type == "agent.thinking" })
	if st := sessionStatus(h, s.ID); st != "running" {
		t.Fatalf("status %s", st)
	}
	start := time.Now()
	h.send(ctx, s.ID, interrupt())
	evs := readUntil(t, stream, isTurnEnd)
	if last(evs).StopReason.Type != "end_turn" || time.Since(start) > 5*time.Second {
		t.Fatalf("events %v", types(evs))
	}
	wantSubsequence(t, evs, "user.interrupt", "session.status_idle")
	n, _ := h.sim.Events(s.ID)
	time.Sleep(50 * time.Millisecond)
	if m, _ := h.sim.Events(s.ID); len(m) != len(n) || sessionStatus(h, s.ID) != "idle" {
		t.Fatalf("events after the interrupt's idle: %d -> %d", len(n), len(m))
	}
	t.Run("interrupting an idle session does nothing", func(t *testing.T) {
		h.send(ctx, s.ID, interrupt())
		time.Sleep(20 * time.Millisecond)
		m, _ := h.sim.Events(s.ID)
		if len(m) != len(n)+1 {
			t.Fatalf("want only the echoed interrupt, got %d new events", len(m)-len(n))
		}
	})
	t.Run("interrupting a session waiting for confirmation resolves it", func(t *testing.T) {
		evs := h.prompt(ctx, s.ID, "[[ask:bash]]")
		use, _ := find(evs, "agent.tool_use")
		after := h.answer(ctx, s.ID, interrupt())
		if last(after).StopReason.Type != "end_turn" {
			t.Fatalf("after interrupt %v", types(after))
		}
		_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
			Events: []anthropic.BetaManagedAgentsEventParamsUnion{confirm(use.ID, true, "")}})
		wantAPIError(t, err, 400, "invalid_request_error", "tool_use_id")
	})
}

// TestNewPromptSupersedesPendingCall: a user.message while waiting for a
// confirmation starts a new turn; the old call can no longer be answered.
func TestNewPromptSupersedesPendingCall(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	use, _ := find(h.prompt(ctx, s.ID, "[[ask:bash]]"), "agent.tool_use")
	evs := h.prompt(ctx, s.ID, "never mind")
	if messages(evs)[0] != "echo: never mind" || last(evs).StopReason.Type != "end_turn" {
		t.Fatalf("events %v", types(evs))
	}
	_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{confirm(use.ID, true, "")}})
	wantAPIError(t, err, 400, "invalid_request_error", "tool_use_id")
}

// TestInitialEventsAndOutcome: initial events start a turn in the create
// call; user.define_outcome is evaluated and recorded on the session.
func TestInitialEventsAndOutcome(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{InitialEvents: []anthropic.BetaSessionNewParamsInitialEventUnion{
		{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{Content: []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{
			{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: "warm up"}}}}},
		{OfUserDefineOutcome: &anthropic.BetaManagedAgentsUserDefineOutcomeEventParams{Description: "[[outcome:failed]] ship it",
			Rubric: anthropic.BetaManagedAgentsUserDefineOutcomeEventParamsRubricUnion{OfText: &anthropic.BetaManagedAgentsTextRubricParams{Content: "tests pass"}}}},
	}})
	eventually(t, "both initial turns to finish", func() bool {
		got, err := h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
		return err == nil && got.Status == "idle" && len(got.OutcomeEvaluations) == 1 && got.OutcomeEvaluations[0].Result == "failed"
	})
	history := listAll(t, h, s.ID, anthropic.BetaSessionEventListParams{})
	var end anthropic.BetaManagedAgentsSessionEventUnion
	var msgs []string
	for _, ev := range history {
		switch ev.Type {
		case "span.outcome_evaluation_end":
			end = ev
		case "agent.message":
			msgs = append(msgs, ev.AsAgentMessage().Content[0].Text)
		}
	}
	define, _ := findListed(history, "user.define_outcome")
	if end.Result.OfString != "failed" || end.OutcomeID == "" || end.OutcomeID != define.OutcomeID || define.MaxIterations != 3 {
		t.Fatalf("outcome end %s define %s", end.RawJSON(), define.RawJSON())
	}
	if !slices.Equal(msgs, []string{"echo: warm up", "echo: ship it"}) {
		t.Fatalf("messages %v", msgs)
	}
	got, _ := h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
	if o := got.OutcomeEvaluations[0]; o.CompletedAt.IsZero() || o.Description != "[[outcome:failed]] ship it" || o.Explanation == "" {
		t.Fatalf("outcome %s", o.RawJSON())
	}
}

func findListed(evs []anthropic.BetaManagedAgentsSessionEventUnion, typ string) (anthropic.BetaManagedAgentsSessionEventUnion, bool) {
	for _, ev := range evs {
		if ev.Type == typ {
			return ev, true
		}
	}
	return anthropic.BetaManagedAgentsSessionEventUnion{}, false
}
