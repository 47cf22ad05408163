// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// TestSessionFullTurn proves the main path: launch, one scripted turn, phase Succeeded with the
// agent's reply, usage, the TurnComplete condition, and one Kubernetes Event per notable event.
func TestSessionFullTurn(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("hello", "Say hello")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	if sess.Status.AgentID != f.agent.Status.ID || sess.Status.AgentVersion != 1 || sess.Status.EnvironmentID == "" {
		t.Errorf("launch not recorded: %+v", sess.Status)
	}
	if sess.Status.LastAgentMessage == "" || sess.Status.StopReason != "end_turn" {
		t.Errorf("turn not folded: %s", describeSession(sess))
	}
	if sess.Status.Usage == nil || sess.Status.Usage.OutputTokens == 0 || sess.Status.Usage.ListCostUSD == "" {
		t.Errorf("usage missing: %+v", sess.Status.Usage)
	}
	history := remoteHistory(t, sess.Status.ID)
	if sess.Status.EventCount != int64(len(history)) {
		t.Errorf("eventCount %d, simulator history has %d", sess.Status.EventCount, len(history))
	}
	cond := readyConditionOf(sess, v1alpha1.ConditionTurnComplete)
	if cond != "True/"+sessionstatus.TurnEndTurn {
		t.Errorf("TurnComplete = %s, want True/EndTurn", cond)
	}
	events := sessionEvents(t, sess)
	for _, want := range []string{"user.message", "agent.message", "session.status_idle"} {
		found := false
		for _, e := range history {
			if e.Type == want && len(events[e.ID]) == 1 {
				found = true
			}
		}
		if !found {
			t.Errorf("no single Kubernetes Event for %s: %v", want, events)
		}
	}
	time.Sleep(100 * time.Millisecond)
}

// TestSessionFollowUpMessages proves appended messages are each sent once, in order, one per turn.
func TestSessionFollowUpMessages(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("chat", "first")
	sess.Spec.Messages = []string{"second"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "two turns", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 1
	})
	sess.Spec.Messages = append(sess.Spec.Messages, "third")
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "the third turn", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.MessagesSent == 2
	})
	history := remoteHistory(t, sess.Status.ID)
	if n := countType(history, "user.message"); n != 3 {
		t.Errorf("%d user messages in the remote history, want 3 (prompt + 2 follow-ups)", n)
	}
	if !strings.Contains(sess.Status.LastAgentMessage, "third") {
		t.Errorf("last agent message %q does not answer the third message", sess.Status.LastAgentMessage)
	}
}

// TestSessionToolConfirmation proves an always_ask tool call shows up as a pending action, and that
// an allow and a deny in the spec are each sent once and resume the turn.
func TestSessionToolConfirmation(t *testing.T) {
	for _, decision := range []v1alpha1.ConfirmationDecision{v1alpha1.ConfirmationAllow, v1alpha1.ConfirmationDeny} {
		t.Run(string(decision), func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			f := newSessionFixture(t)
			sess := f.newSession("ask", "run it [[ask:bash:ls]]")
			create(t, sess)
			key := client.ObjectKeyFromObject(sess)
			sess = waitSession(t, key, "RequiresAction", phaseIs(v1alpha1.SessionRequiresAction))
			pending := sess.Status.PendingActions
			if len(pending) != 1 || pending[0].Kind != v1alpha1.PendingToolConfirmation || pending[0].ToolName != "bash" {
				t.Fatalf("pending actions = %+v, want one bash confirmation", pending)
			}
			if readyConditionOf(sess, v1alpha1.ConditionTurnComplete) != "True/"+sessionstatus.TurnActionRequired {
				t.Errorf("TurnComplete = %s, want True/ActionRequired", readyConditionOf(sess, v1alpha1.ConditionTurnComplete))
			}
			answer := v1alpha1.ToolConfirmation{ToolUseID: pending[0].EventID, Decision: decision}
			if decision == v1alpha1.ConfirmationDeny {
				answer.Message = "not on my watch"
			}
			sess.Spec.ToolConfirmations = []v1alpha1.ToolConfirmation{answer}
			if err := k8s.Update(ctx, sess); err != nil {
				t.Fatal(err)
			}
			sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
			history := remoteHistory(t, sess.Status.ID)
			if n := countType(history, "user.tool_confirmation"); n != 1 {
				t.Errorf("%d confirmations sent, want 1", n)
			}
			wantResult := countType(history, "agent.tool_result") == 1
			if wantResult != (decision == v1alpha1.ConfirmationAllow) {
				t.Errorf("tool result present = %v after %s", wantResult, decision)
			}
		})
	}
}

// TestSessionCustomToolResult proves a custom tool call is answered once from the spec, and the
// agent sees the result.
func TestSessionCustomToolResult(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("custom", `file it [[custom:open_ticket:{"title":"CI red"}]]`)
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "RequiresAction", phaseIs(v1alpha1.SessionRequiresAction))
	pending := sess.Status.PendingActions
	if len(pending) != 1 || pending[0].Kind != v1alpha1.PendingCustomToolResult || !strings.Contains(pending[0].Input, "CI red") {
		t.Fatalf("pending actions = %+v, want the custom call with its input", pending)
	}
	sess.Spec.CustomToolResults = []v1alpha1.CustomToolResult{{ToolUseID: pending[0].EventID, Text: "TICKET-42"}}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	sawResult := false
	for _, e := range sess.Status.RecentEvents {
		sawResult = sawResult || (e.Type == "agent.message" && strings.Contains(e.Summary, "TICKET-42"))
	}
	if !sawResult {
		t.Errorf("the agent did not see the result: %+v", sess.Status.RecentEvents)
	}
	if n := countType(remoteHistory(t, sess.Status.ID), "user.custom_tool_result"); n != 1 {
		t.Errorf("%d results sent, want 1", n)
	}
}

// TestSessionEndings proves each way a turn can end maps to the right phase and TurnComplete reason.
func TestSessionEndings(t *testing.T) {
	cases := []struct {
		name, prompt string
		phase        v1alpha1.SessionPhase
		turnReason   string
		lastError    string
	}{
		{"refusal fails the session", "[[refuse:cyber]]", v1alpha1.SessionFailed, sessionstatus.TurnRefusal, ""},
		// The session got past the error, so status.lastError no longer shows it (recentEvents does).
		{"a retrying error recovers", "[[error:retrying]]", v1alpha1.SessionSucceeded, sessionstatus.TurnEndTurn, "cleared"},
		{"exhausted retries fail the turn", "[[error:exhausted]]", v1alpha1.SessionFailed, sessionstatus.TurnRetriesExhausted, "exhausted"},
		{"a terminal error fails the session", "[[error:terminal]]", v1alpha1.SessionFailed, string(v1alpha1.SessionFailed), "terminal"},
		{"budget reached waits for a raise, not an end", "[[budget]]", v1alpha1.SessionIdle, sessionstatus.TurnBudgetReached, ""},
	}
	f := newSessionFixture(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := f.newSession(fmt.Sprintf("ending-%d", i), tc.prompt)
			create(t, sess)
			sess = waitSession(t, client.ObjectKeyFromObject(sess), string(tc.phase), phaseIs(tc.phase))
			if got := readyConditionOf(sess, v1alpha1.ConditionTurnComplete); got != "True/"+tc.turnReason {
				t.Errorf("TurnComplete = %s, want True/%s", got, tc.turnReason)
			}
			if tc.lastError == "cleared" && sess.Status.LastError != nil {
				t.Errorf("lastError = %+v, want it cleared once the session recovered", sess.Status.LastError)
			} else if tc.lastError != "" && tc.lastError != "cleared" && (sess.Status.LastError == nil || sess.Status.LastError.RetryStatus != tc.lastError) {
				t.Errorf("lastError = %+v, want retry status %s", sess.Status.LastError, tc.lastError)
			}
		})
	}
}

// TestSessionMetadataAndTitleEdits proves that editing a launched Session's title and metadata
// reaches the remote session, including a key removed from spec.metadata (the API merges metadata,
// so a removal must be sent as a delete), while the operator's own keys stay.
func TestSessionMetadataAndTitleEdits(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("labelled", "Say hello")
	sess.Spec.Metadata = v1alpha1.Metadata{"team": "infra", "tier": "gold"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	if remote, _ := sim.Session(sess.Status.ID); remote.Metadata["tier"] != "gold" || remote.Metadata["team"] != "infra" {
		t.Fatalf("launch metadata not on the remote session: %v", remote.Metadata)
	}
	sess.Spec.Title = "renamed"
	sess.Spec.Metadata = v1alpha1.Metadata{"team": "platform"}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edit on the remote session", func() (bool, string) {
		remote, _ := sim.Session(sess.Status.ID)
		_, tierLeft := remote.Metadata["tier"]
		ok := remote.Title == "renamed" && remote.Metadata["team"] == "platform" && !tierLeft &&
			remote.Metadata[v1alpha1.MetadataKeyUID] == string(sess.UID)
		return ok, fmt.Sprintf("title %q, metadata %v", remote.Title, remote.Metadata)
	})
	waitSession(t, key, "the new generation observed", func(s *v1alpha1.Session) bool {
		return s.Status.ObservedGeneration == s.Generation
	})
}

// TestSessionRemoteDriftIsCorrected edits a running session's title and metadata behind the
// operator's back: the next resync restores both, removes the foreign key, says so with a
// DriftCorrected Event, and then leaves the remote session alone.
func TestSessionRemoteDriftIsCorrected(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("drifting", "[[slow:30s]] long job")
	sess.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	sess.Spec.Metadata = v1alpha1.Metadata{"team": "infra"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool { return s.Status.Phase == v1alpha1.SessionRunning })
	if _, err := sdk().Beta.Sessions.Update(ctx, sess.Status.ID, anthropic.BetaSessionUpdateParams{
		Title: anthropic.String("hijacked"), Metadata: map[string]string{"team": "someone-else", "intruder": "yes"},
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the remote session restored", func() (bool, string) {
		remote, _ := sim.Session(sess.Status.ID)
		_, intruder := remote.Metadata["intruder"]
		return remote.Title == sess.Namespace+"/drifting" && remote.Metadata["team"] == "infra" && !intruder,
			fmt.Sprintf("title %q, metadata %v", remote.Title, remote.Metadata)
	})
	waitEvent(t, sess, controller.ReasonDriftCorrected)
	before := sim.Stats()
	time.Sleep(3 * time.Second) // three more resyncs
	after := sim.Stats()
	const get, update = "GET /v1/sessions/{id}", "POST /v1/sessions/{id}"
	if after[get] == before[get] || after[update] != before[update] {
		t.Errorf("after the correction: %d GETs and %d updates in 3 s; want resync GETs and no update",
			after[get]-before[get], after[update]-before[update])
	}
}
