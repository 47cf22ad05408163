// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"slices"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// multiagentSession starts a session of an agent that may delegate to sub-agents.
func multiagentSession(t *testing.T, h *harness) *anthropic.BetaManagedAgentsSession {
	t.Helper()
	p := toolAgentParams()
	p.Multiagent = anthropic.BetaManagedAgentsMultiagentParamsUnion{OfMultiagent20261001: &anthropic.BetaManagedAgentsMultiagent20261001Params{}}
	ctx := testCtx(t)
	return h.session(ctx, anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(h.agent(ctx, p).ID)}})
}

// TestSubagentAsksForConfirmation: [[subagent:NAME:CMD]] starts a thread whose bash call waits for
// a confirmation while the primary thread runs; the answer, routed by its tool use id, is echoed
// with the thread's id, and the sub-agent reports back before the primary thread ends its turn.
func TestSubagentAsksForConfirmation(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := multiagentSession(t, h)
	stream := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("[[subagent:reviewer:make lint]] review it"))
	evs := readUntil(t, stream, func(ev streamEvent) bool { return ev.Type == "session.thread_status_idle" })
	wantTypes := []string{"user.message", "session.status_running", "span.model_request_start", "session.thread_created", "agent.thread_message_sent",
		"session.thread_status_running", "agent.tool_use", "session.thread_status_idle"}
	if !slices.Equal(types(evs), wantTypes) {
		t.Fatalf("events %v, want %v", types(evs), wantTypes)
	}
	use, idle := evs[6], evs[7]
	thread := evs[3].SessionThreadID
	if thread == "" || use.SessionThreadID != thread || use.EvaluatedPermission != "ask" || idle.StopReason.Type != "requires_action" ||
		!slices.Equal(idle.StopReason.EventIDs, []string{use.ID}) || idle.AgentName != "reviewer" {
		t.Fatalf("thread %q, tool use %s, idle %s", thread, use.RawJSON(), idle.RawJSON())
	}
	if got := sessionStatus(h, s.ID); got != "running" {
		t.Fatalf("the primary thread must keep running while the sub-agent waits; status %s", got)
	}
	echo := h.send(ctx, s.ID, confirm(use.ID, true, ""))
	if echo.Data[0].SessionThreadID != thread {
		t.Errorf("the confirmation's echo names thread %q, want %q", echo.Data[0].SessionThreadID, thread)
	}
	rest := readUntil(t, stream, isTurnEnd)
	received, ok := find(rest, "agent.thread_message_received")
	if !ok || received.FromSessionThreadID != thread || received.FromAgentName != "reviewer" || last(rest).StopReason.Type != "end_turn" {
		t.Fatalf("after the answer: %v", types(rest))
	}
	_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
		Events: []anthropic.BetaManagedAgentsEventParamsUnion{confirm(use.ID, true, "")}})
	wantAPIError(t, err, 400, "invalid_request_error", "tool_use_id")
}

// TestSubagentThreadInterrupt: an interrupt naming the sub-agent's thread stops that thread only;
// an unknown thread is refused.
func TestSubagentThreadInterrupt(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := multiagentSession(t, h)
	stream := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("[[subagent:reviewer]] go"))
	evs := readUntil(t, stream, func(ev streamEvent) bool { return ev.Type == "session.thread_status_idle" })
	thread := evs[len(evs)-1].SessionThreadID
	_, err := h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{Events: []anthropic.BetaManagedAgentsEventParamsUnion{
		{OfUserInterrupt: &anthropic.BetaManagedAgentsUserInterruptEventParams{SessionThreadID: anthropic.String("sthr_unknown")}}}})
	wantAPIError(t, err, 400, "invalid_request_error", "session_thread_id")
	h.send(ctx, s.ID, anthropic.BetaManagedAgentsEventParamsUnion{OfUserInterrupt: &anthropic.BetaManagedAgentsUserInterruptEventParams{SessionThreadID: anthropic.String(thread)}})
	rest := readUntil(t, stream, isTurnEnd)
	if received, ok := find(rest, "agent.thread_message_received"); !ok || received.AsAgentThreadMessageReceived().Content[0].Text != "I was interrupted before running the command." {
		t.Fatalf("after the thread's interrupt: %v", types(rest))
	}
	if last(rest).StopReason.Type != "end_turn" || !slices.Contains(messages(rest), "echo: go") {
		t.Fatalf("the primary thread must finish its turn: %v %v", types(rest), messages(rest))
	}
}

// TestSubagentNeedsMultiagent: an agent without multiagent says so instead of starting a thread.
func TestSubagentNeedsMultiagent(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	evs := h.prompt(ctx, s.ID, "[[subagent:reviewer]]")
	if _, ok := find(evs, "session.thread_created"); ok || !slices.ContainsFunc(messages(evs), func(m string) bool { return len(m) > 0 && m[:10] == "Sub-agents" }) {
		t.Fatalf("events %v messages %v", types(evs), messages(evs))
	}
}

// TestOutcomeVerdictSequence: [[outcome:needs_revision,satisfied]] evaluates two iterations, the
// agent revising in between; a cap of 2 turns a second needs_revision into max_iterations_reached.
func TestOutcomeVerdictSequence(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	for _, tc := range []struct {
		verdicts string
		want     []string
	}{
		{"needs_revision,satisfied", []string{"needs_revision", "satisfied"}},
		{"needs_revision", []string{"needs_revision", "max_iterations_reached"}},
	} {
		s := h.session(ctx, anthropic.BetaSessionNewParams{})
		evs := h.answer(ctx, s.ID, anthropic.BetaManagedAgentsEventParamsUnion{OfUserDefineOutcome: &anthropic.BetaManagedAgentsUserDefineOutcomeEventParams{
			Description: "[[outcome:" + tc.verdicts + "]] ship it", MaxIterations: anthropic.Int(2),
			Rubric: anthropic.BetaManagedAgentsUserDefineOutcomeEventParamsRubricUnion{OfText: &anthropic.BetaManagedAgentsTextRubricParams{Content: "tests pass"}}}})
		var got []string
		var iterations []int64
		for _, ev := range evs {
			if ev.Type == "span.outcome_evaluation_end" {
				got = append(got, ev.Result.OfString)
				iterations = append(iterations, ev.Iteration)
			}
		}
		if !slices.Equal(got, tc.want) || !slices.Equal(iterations, []int64{0, 1}) || !slices.Contains(messages(evs), "Revising the work for iteration 1.") {
			t.Errorf("%s: verdicts %v iterations %v messages %v", tc.verdicts, got, iterations, messages(evs))
		}
		sess, err := h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
		if err != nil || len(sess.OutcomeEvaluations) != 1 || sess.OutcomeEvaluations[0].Result != tc.want[1] || sess.OutcomeEvaluations[0].Iteration != 1 {
			t.Errorf("%s: session outcome %v (%v)", tc.verdicts, sess.OutcomeEvaluations, err)
		}
	}
}
