// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestApproveAConfirmation proves that `approve` answers the only pending confirmation, the agent
// runs the tool, and a second approve says there is nothing left to answer.
func TestApproveAConfirmation(t *testing.T) {
	name := startSession(t, "[[ask:bash:ls]] list files")
	action := waitPending(t, name, v1alpha1.PendingToolConfirmation)

	st := mustRun(t, "status", name)
	assertContains(t, st.stdout, "Phase:        RequiresAction", "kubectl claude approve "+name+" "+action.EventID)

	r := mustRun(t, "approve", name)
	assertContains(t, r.stdout, "approved "+action.EventID+" (bash) in session "+name)
	waitPhase(t, name, v1alpha1.SessionSucceeded)

	logs := mustRun(t, "logs", name)
	assertInOrder(t, logs.stdout,
		"tool      bash",
		"(needs confirmation)",
		"action    waiting for an answer to "+action.EventID,
		"confirm   allow "+action.EventID,
		"result    "+action.EventID+" ok",
		"agent     echo: list files",
	)

	again := kubectlClaude(t, "", "approve", name)
	if again.code == 0 || !strings.Contains(again.stderr, "session "+name+" has no pending action") {
		t.Errorf("approving twice is an error that says there is no pending action:\n%s", again)
	}
}

// TestDenyAConfirmation proves that `deny --message` refuses the call by id and the agent sees why.
func TestDenyAConfirmation(t *testing.T) {
	name := startSession(t, "[[ask:bash:rm -rf /tmp/x]] clean up")
	action := waitPending(t, name, v1alpha1.PendingToolConfirmation)

	r := mustRun(t, "deny", name, action.EventID, "--message", "not on this machine")
	assertContains(t, r.stdout, "denied "+action.EventID)
	waitPhase(t, name, v1alpha1.SessionSucceeded)

	s := session(t, name)
	if c := s.Spec.ToolConfirmations; len(c) != 1 || c[0].Decision != v1alpha1.ConfirmationDeny || c[0].Message != "not on this machine" {
		t.Errorf("the denial is in the spec: %+v", c)
	}
	logs := mustRun(t, "logs", name)
	assertInOrder(t, logs.stdout, "confirm   deny "+action.EventID+": not on this machine", "denied: not on this machine")
}

// TestCustomToolResult proves that `tool-result` answers a custom tool call and the agent gets the text;
// `approve` on a custom call points to tool-result instead.
func TestCustomToolResult(t *testing.T) {
	name := startSession(t, "[[custom:open_ticket]] file it")
	action := waitPending(t, name, v1alpha1.PendingCustomToolResult)

	wrong := kubectlClaude(t, "", "approve", name)
	if wrong.code == 0 || !strings.Contains(wrong.stderr, "kubectl claude tool-result "+name+" "+action.EventID) {
		t.Errorf("approve on a custom tool call says to use tool-result:\n%s", wrong)
	}

	r := mustRun(t, "tool-result", name, action.EventID, "--text", "TICKET-1")
	assertContains(t, r.stdout, "answered "+action.EventID+" (open_ticket)")
	waitPhase(t, name, v1alpha1.SessionSucceeded)

	logs := mustRun(t, "logs", name)
	assertInOrder(t, logs.stdout, "custom    open_ticket", "result    "+action.EventID+" ok: TICKET-1", "The custom tool open_ticket returned: TICKET-1")
}

// TestInterrupt proves that `interrupt` stops a long turn: the session goes idle long before the
// turn would have ended, and the operator records the request it acted on.
func TestInterrupt(t *testing.T) {
	name := startSession(t, "[[slow:5m]] take your time")
	waitFor(t, name, "the turn to start", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount >= 3
	})
	start := time.Now()
	r := mustRun(t, "interrupt", name)
	assertContains(t, r.stdout, "interrupt requested for session "+name)

	s := waitFor(t, name, "the turn to end", func(s *v1alpha1.Session) bool {
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionTurnComplete)
	})
	if time.Since(start) > time.Minute {
		t.Errorf("the interrupt ended the 5 minute turn early (took %s)", time.Since(start))
	}
	if s.Spec.InterruptRequest == "" || s.Status.InterruptRequest != s.Spec.InterruptRequest {
		t.Errorf("the operator acted on the request: spec %q, status %q", s.Spec.InterruptRequest, s.Status.InterruptRequest)
	}
	logs := mustRun(t, "logs", name)
	assertInOrder(t, logs.stdout, "user      [[slow:5m]] take your time", "interrupt interrupt requested", "status    turn ended (end_turn)")

	again := kubectlClaude(t, "", "interrupt", name)
	if again.code == 0 || !strings.Contains(again.stderr, "no turn to interrupt") {
		t.Errorf("interrupting a finished session says there is nothing to interrupt:\n%s", again)
	}
}

// TestPauseHoldsMessagesUntilResume proves that `pause` stops the operator from sending a follow-up
// while status keeps following the running turn to its end, that status says the session is paused,
// and that `resume` sends the held message exactly once.
func TestPauseHoldsMessagesUntilResume(t *testing.T) {
	name := startSession(t, "[[slow:3s]] working")
	waitFor(t, name, "the turn to start", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount >= 3
	})
	assertContains(t, mustRun(t, "pause", name).stdout, "session "+name+" paused")
	assertContains(t, mustRun(t, "pause", name).stdout, "is already paused")
	sent := mustRun(t, "send", name, "held until resume", "--follow") // paused: says so instead of following
	assertContains(t, sent.stderr, "is paused: this goes out when you run `kubectl claude resume "+name+"`")

	s := waitFor(t, name, "the first turn to end while paused", func(s *v1alpha1.Session) bool {
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionTurnComplete)
	})
	if s.Status.MessagesSent != 0 {
		t.Fatalf("a message went out while paused (messagesSent %d)", s.Status.MessagesSent)
	}
	assertContains(t, mustRun(t, "status", name).stdout, "Paused:", "kubectl claude resume "+name)

	assertContains(t, mustRun(t, "resume", name).stdout, "session "+name+" resumed")
	waitFor(t, name, "the held message to go out and be answered", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	logs := mustRun(t, "logs", name)
	if n := strings.Count(logs.stdout, "held until resume"); n < 1 {
		t.Errorf("the held message is not in the conversation:\n%s", logs.stdout)
	}
	assertContains(t, mustRun(t, "resume", name).stdout, "is not paused")
}
