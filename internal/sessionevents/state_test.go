// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"strings"
	"testing"
)

func decodeAll(t *testing.T, events ...string) []Event {
	t.Helper()
	out := make([]Event, len(events))
	for i, raw := range events {
		ev, err := Decode([]byte(raw))
		if err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
		out[i] = ev
	}
	return out
}

func fold(t *testing.T, events ...string) *State {
	t.Helper()
	var s State
	for _, ev := range decodeAll(t, events...) {
		s.Apply(&ev)
	}
	return &s
}

const (
	userMsg    = `{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"fix it"}]}`
	running    = `{"type":"session.status_running","id":"sevt_2"}`
	agentMsg   = `{"type":"agent.message","id":"sevt_3","content":[{"type":"text","text":"done"}]}`
	idleEnd    = `{"type":"session.status_idle","id":"sevt_4","stop_reason":{"type":"end_turn"}}`
	toolAsk    = `{"type":"agent.tool_use","id":"sevt_5","name":"bash","input":{"command":"ls"},"evaluated_permission":"ask"}`
	customUse  = `{"type":"agent.custom_tool_use","id":"sevt_6","name":"open_ticket","input":{"title":"CI red"}}`
	idleAction = `{"type":"session.status_idle","id":"sevt_7","stop_reason":{"type":"requires_action","event_ids":["sevt_5","sevt_6"]}}`
	confirm    = `{"type":"user.tool_confirmation","id":"sevt_8","tool_use_id":"sevt_5","result":"allow"}`
)

// TestStateFollowsATurn proves the fold tracks status, stop reason, the last message and whether
// the turn is over.
func TestStateFollowsATurn(t *testing.T) {
	s := fold(t, userMsg, running)
	if s.Status != StatusRunning || s.TurnEnded() {
		t.Fatalf("mid-turn: status %q, turn ended %v", s.Status, s.TurnEnded())
	}
	s = fold(t, userMsg, running, agentMsg, idleEnd)
	if s.Status != StatusIdle || s.StopReason != "end_turn" || !s.TurnEnded() || s.LastAgentMessage != "done" || s.UserMessages != 1 {
		t.Fatalf("after the turn: %+v", s)
	}
	if s.Count != 4 || s.LastEventID != "sevt_4" {
		t.Errorf("cursor = %d/%s, want 4/sevt_4", s.Count, s.LastEventID)
	}
	// A new message after the idle means a new turn, even before status_running arrives.
	s = fold(t, userMsg, running, agentMsg, idleEnd, strings.Replace(userMsg, "sevt_1", "sevt_9", 1))
	if s.TurnEnded() {
		t.Error("a message sent after the idle must reopen the turn")
	}
}

// TestStatePendingActions proves requires_action lists the calls with their names and inputs, and
// that an answer removes its call and marks it answered.
func TestStatePendingActions(t *testing.T) {
	s := fold(t, userMsg, running, toolAsk, customUse, idleAction)
	if len(s.Pending) != 2 || s.Pending[0].Name != "bash" || s.Pending[0].Custom || !s.Pending[1].Custom {
		t.Fatalf("pending = %+v", s.Pending)
	}
	if s.Pending[1].Input != `{"title":"CI red"}` {
		t.Errorf("custom input = %q", s.Pending[1].Input)
	}
	s = fold(t, userMsg, running, toolAsk, customUse, idleAction, confirm)
	if len(s.Pending) != 1 || s.Pending[0].EventID != "sevt_6" || !s.Answered["sevt_5"] {
		t.Fatalf("after the confirmation: pending %+v answered %v", s.Pending, s.Answered)
	}
	if s.TurnEnded() {
		t.Error("an answer reopens the turn")
	}
}

// TestStateErrorsAndTermination proves session.error is recorded and termination ends the session.
func TestStateErrorsAndTermination(t *testing.T) {
	s := fold(t, userMsg,
		`{"type":"session.error","id":"sevt_10","error":{"type":"billing_error","message":"no credit","retry_status":{"type":"terminal"}}}`,
		`{"type":"session.status_terminated","id":"sevt_11"}`)
	if s.Status != StatusTerminated || s.LastError == nil || s.LastError.RetryStatus != "terminal" || s.LastError.Type != "billing_error" {
		t.Fatalf("state = %+v, error %+v", s, s.LastError)
	}
}

// TestStateStaysBounded proves long sessions keep the state small: recent events, pending actions
// and texts are capped.
func TestStateStaysBounded(t *testing.T) {
	var s State
	long := strings.Repeat("é", 10000)
	for i := range 1000 {
		ev := Event{ID: fmt.Sprintf("sevt_%d", i), Type: "agent.message", Content: []ContentBlock{{Type: "text", Text: long}}}
		s.Apply(&ev)
		use := Event{ID: fmt.Sprintf("sevt_u%d", i), Type: "agent.tool_use", Name: "bash", Input: []byte(`"` + strings.Repeat("x", 5000) + `"`)}
		s.Apply(&use)
	}
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("sevt_u%d", 999-i)
	}
	idle := Event{ID: "sevt_idle", Type: "session.status_idle", StopReason: &StopReason{Type: "requires_action", EventIDs: ids}}
	s.Apply(&idle)
	if len(s.Recent) != MaxRecent || len(s.Pending) != MaxPending || len(s.calls) > MaxTrackedToolUse {
		t.Errorf("recent %d, pending %d, tracked calls %d", len(s.Recent), len(s.Pending), len(s.calls))
	}
	if len(s.LastAgentMessage) > MaxLastMessage || len(s.Pending[0].Input) > MaxPendingInput {
		t.Errorf("texts not truncated: message %d bytes, input %d bytes", len(s.LastAgentMessage), len(s.Pending[0].Input))
	}
}

// TestSummaries proves each notable event gets the Event reason and text a reader expects.
func TestSummaries(t *testing.T) {
	cases := []struct {
		raw, reason, contains string
		warning               bool
	}{
		{userMsg, ReasonUserMessage, "fix it", false},
		{agentMsg, ReasonAgentMessage, "done", false},
		{toolAsk, ReasonToolUse, "needs confirmation", false},
		{customUse, ReasonCustomToolUse, "open_ticket", false},
		{idleAction, ReasonActionRequired, "sevt_5, sevt_6", false},
		{`{"type":"session.status_idle","stop_reason":{"type":"refusal"},"stop_details":{"type":"refusal","category":"cyber"}}`, ReasonRefusal, "cyber", true},
		{`{"type":"session.status_idle","stop_reason":{"type":"budget_reached"}}`, ReasonBudgetReached, "budget", true},
		{`{"type":"agent.tool_result","tool_use_id":"sevt_5","is_error":true,"content":[{"type":"text","text":"boom"}]}`, ReasonToolResult, "boom", true},
		{`{"type":"session.error","error":{"type":"mcp_connection_failed_error","message":"timeout","retry_status":{"type":"retrying"}}}`, ReasonSessionError, "retrying", true},
		{`{"type":"span.model_request_start","id":"x"}`, "", "", false},
		{`{"type":"some.future_event","id":"x"}`, "", "", false},
	}
	for _, tc := range cases {
		ev := decodeAll(t, tc.raw)[0]
		sum := Summarize(&ev)
		if sum.Reason != tc.reason || sum.Warning != tc.warning || !strings.Contains(sum.Message, tc.contains) {
			t.Errorf("%s: got %+v, want reason %q warning %v containing %q", ev.Type, sum, tc.reason, tc.warning, tc.contains)
		}
	}
}

// TestTruncate proves truncation respects the byte bound and never splits a character.
func TestTruncate(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 10} {
		got := Truncate("héllo wörld", n)
		if len(got) > max(n, len("…")) && len("héllo wörld") > n {
			t.Errorf("Truncate(%d) = %q (%d bytes)", n, got, len(got))
		}
		if !strings.HasSuffix(got, "…") && len("héllo wörld") > n {
			t.Errorf("Truncate(%d) = %q lacks the mark", n, got)
		}
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate kept %q", got)
	}
}
