// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// waitForToolUse reads the stream up to the turn's agent.tool_use.
func waitForToolUse(t *testing.T, s eventStream) streamEvent {
	t.Helper()
	evs := readUntil(t, s, func(ev streamEvent) bool { return ev.Type == "agent.tool_use" || isTurnEnd(ev) })
	use := last(evs)
	if use.Type != "agent.tool_use" {
		t.Fatalf("turn ended without a tool use: %v", types(evs))
	}
	return use
}

// TestSandboxToolCallWaitsForTheWorker: in a self-hosted environment a built-in tool call is the
// worker's to run. The session stays running until the worker posts user.tool_result, and the
// agent then quotes the real output; a result is taken once, and only for a call that waits for one.
func TestSandboxToolCallWaitsForTheWorker(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	w, _ := sh.claim(ctx)
	worker := bearerClient(sh.url, sessionsToken(t, w.Secret))

	s := sh.open(ctx, sid)
	sh.send(ctx, sid, userMessage("[[bash:echo hello-from-sandbox]]"))
	use := waitForToolUse(t, s)
	if input, _ := use.Input.(map[string]any); use.Name != "bash" || input["command"] != "echo hello-from-sandbox" || use.EvaluatedPermission != "allow" {
		t.Fatalf("tool use %s", use.RawJSON())
	}
	if st := sessionStatus(sh.harness, sid); st != "running" {
		t.Fatalf("status %s while the sandbox runs the tool, want running", st)
	}

	// A result for another id is refused; the worker's result for this one resumes the turn.
	_, err := worker.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{toolResultParam("sevt_unknown", "x", false)}})
	wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "not a tool use awaiting a result")
	if _, err := worker.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{toolResultParam(use.ID, "hello-from-sandbox\n", false)}}); err != nil {
		t.Fatalf("post the tool result: %v", err)
	}
	evs := readUntil(t, s, isTurnEnd)
	wantSubsequence(t, evs, "user.tool_result", "agent.message", "session.status_idle")
	if m := messages(evs); len(m) == 0 || m[0] != "I ran `echo hello-from-sandbox`; it printed:\nhello-from-sandbox\n" {
		t.Fatalf("messages %q, want the sandbox's output quoted", m)
	}
	if _, ok := find(evs, "agent.tool_result"); ok {
		t.Fatal("a self-hosted session got a simulated agent.tool_result")
	}

	// The call is answered: a second result is refused.
	_, err = worker.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{toolResultParam(use.ID, "again", false)}})
	wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "not a tool use awaiting a result")
}

// TestSandboxWaitEndings covers how a turn that waits for the sandbox ends or moves on.
func TestSandboxWaitEndings(t *testing.T) {
	t.Run("an interrupt ends the wait and a late result is refused", func(t *testing.T) {
		sh, ctx, sid, _, use := waitingSession(t, "[[tool:read:notes.txt]]")
		sh.send(ctx, sid, interrupt())
		eventually(t, "idle after the interrupt", func() bool { return sessionStatus(sh.harness, sid) == "idle" })
		_, err := sh.worker.Beta.Sessions.Events.Send(ctx, sid, anthropic.BetaSessionEventSendParams{
			Events: []anthropic.BetaManagedAgentsEventParamsUnion{toolResultParam(use.ID, "late", false)}})
		wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "not a tool use awaiting a result")
	})
	t.Run("a stopped item is replaced while the turn still waits", func(t *testing.T) {
		// A sandbox that dies mid-call (its item stopped) leaves the call to a new item, which a
		// new sandbox can claim to finish the turn.
		sh, ctx, sid, w := stoppedSandbox(t, "[[bash:sleep 1]]", "agent.tool_use")
		next := sh.poll(ctx, 999)
		if next == nil || next.ID == w.ID || next.Data.ID != sid {
			t.Fatalf("polled %+v after the stop, want a new item for %s", next, sid)
		}
	})
	t.Run("a message after the sandbox left queues a new item", func(t *testing.T) {
		sh, ctx, sid, _ := stoppedSandbox(t, "", "")
		if next := sh.poll(ctx, 0); next != nil {
			t.Fatalf("an idle session got a new item %s without a message", next.ID)
		}
		sh.send(ctx, sid, userMessage("hello again"))
		if next := sh.poll(ctx, 999); next == nil || next.Data.ID != sid {
			t.Fatalf("polled %+v after the message, want a new item for %s", next, sid)
		}
	})
	t.Run("a failed command is quoted as a failure", func(t *testing.T) {
		sh, ctx, sid, s, use := waitingSession(t, "[[bash:false]]")
		sh.send(ctx, sid, toolResultParam(use.ID, "\nexit code: 1", true))
		evs := readUntil(t, s, isTurnEnd)
		if m := messages(evs); len(m) == 0 || m[0] != "I ran `false`; it failed:\n\nexit code: 1" {
			t.Fatalf("messages %q", m)
		}
	})
	t.Run("archiving the session stops its item", func(t *testing.T) {
		sh := newSelfHosted(t, simulator.Options{})
		ctx := testCtx(t)
		sid := sh.startSession(ctx, sandboxAgentParams(), "")
		w, _ := sh.claim(ctx)
		if _, err := sh.client.Beta.Sessions.Archive(ctx, sid, anthropic.BetaSessionArchiveParams{}); err != nil {
			t.Fatal(err)
		}
		if st := sh.workState(w.ID).State; st != "stopped" {
			t.Fatalf("item %s after archiving its session, want stopped", st)
		}
	})
}

// waitingSession starts a session and sends prompt with a stream open, up to the agent.tool_use
// that waits for the sandbox.
func waitingSession(t *testing.T, prompt string) (*selfHosted, context.Context, string, eventStream, streamEvent) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	s := sh.open(ctx, sid)
	sh.send(ctx, sid, userMessage(prompt))
	return sh, ctx, sid, s, waitForToolUse(t, s)
}

// stoppedSandbox starts a session with prompt, claims its item, waits for an event of type
// waitFor (unless empty), then force-stops the item as a dispatcher does when its Pod dies.
func stoppedSandbox(t *testing.T, prompt, waitFor string) (*selfHosted, context.Context, string, *anthropic.BetaSelfHostedWork) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), prompt)
	w, _ := sh.claim(ctx)
	if waitFor != "" {
		eventually(t, waitFor, func() bool { return lastEventType(sh.harness, sid) == waitFor })
	}
	if err := sh.stop(ctx, sh.worker, w.ID, true); err != nil {
		t.Fatal(err)
	}
	return sh, ctx, sid, w
}

// TestSandboxToolCallNeedsConfirmation: an always_ask tool idles with requires_action; once
// allowed, the sandbox runs it and its result resumes the turn.
func TestSandboxToolCallNeedsConfirmation(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, toolAgentParams(), "") // bash is always_ask
	evs := sh.prompt(ctx, sid, "[[bash:make test]]")
	use, _ := find(evs, "agent.tool_use")
	if use.EvaluatedPermission != "ask" || !slices.Equal(last(evs).StopReason.EventIDs, []string{use.ID}) {
		t.Fatalf("tool use %s idle %s", use.RawJSON(), last(evs).RawJSON())
	}
	s := sh.open(ctx, sid)
	sh.send(ctx, sid, confirm(use.ID, true, ""))
	// The worker runs the allowed call at once, maybe before the turn resumes.
	sh.send(ctx, sid, toolResultParam(use.ID, "ok", false))
	after := readUntil(t, s, func(ev streamEvent) bool { return ev.Type == "session.status_idle" && ev.StopReason.Type == "end_turn" })
	if m := messages(after); len(m) == 0 || m[0] != "I ran `make test`; it printed:\nok" {
		t.Fatalf("messages %q", m)
	}
}

// TestToolResultOnlyInSelfHosted: a cloud session runs its tools itself and takes no result.
func TestToolResultOnlyInSelfHosted(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{toolResultParam("sevt_1", "x", false)}})
	wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "only accepted in self_hosted environments")
	if _, ok := h.sim.EnvironmentKey(s.EnvironmentID); ok {
		t.Fatal("a cloud environment has an environment key")
	}
	_, err = h.client.Beta.Environments.Work.Stats(context.Background(), s.EnvironmentID, anthropic.BetaEnvironmentWorkStatsParams{})
	wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "not self_hosted")
}
