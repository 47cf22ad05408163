// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// newMultiagentFixture is the session fixture whose Agent may delegate to sub-agents.
func newMultiagentFixture(t *testing.T) *sessionFixture {
	t.Helper()
	ns := newNamespace(t)
	agent := newAgent(ns, "coder")
	agent.Spec.Multiagent = &v1alpha1.Multiagent{Subagents: &v1alpha1.MultiagentDelegation{Enabled: true}}
	create(t, agent)
	env := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}}
	create(t, env)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	waitEnvironment(t, client.ObjectKeyFromObject(env), "Environment Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	return &sessionFixture{ns: ns, agent: agent}
}

// TestSubagentConfirmationFromTheSpec proves a multi-agent Session whose sub-agent asks for a
// confirmation is RequiresAction while its primary thread runs, lists the call with its thread,
// names the thread in its Events, and ends once spec.toolConfirmations answers the call.
func TestSubagentConfirmationFromTheSpec(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newMultiagentFixture(t)
	sess := f.newSession("delegate", "[[subagent:reviewer:make lint]] review the change")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "RequiresAction", phaseIs(v1alpha1.SessionRequiresAction))
	pending := sess.Status.PendingActions
	if len(pending) != 1 || pending[0].ThreadID == "" || pending[0].AgentName != "reviewer" || pending[0].ToolName != "bash" {
		t.Fatalf("pending actions = %+v, want the reviewer's bash call", pending)
	}
	threads := sess.Status.Threads
	if len(threads) != 1 || threads[0].ID != pending[0].ThreadID || threads[0].StopReason != sessionevents.StopRequiresAction ||
		len(threads[0].PendingActions) != 1 || threads[0].PendingActions[0] != pending[0].EventID {
		t.Fatalf("threads = %+v", threads)
	}
	if c := meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionActionRequired); c == nil || c.Status != metav1.ConditionTrue ||
		!strings.Contains(c.Message, "reviewer") {
		t.Errorf("ActionRequired = %+v", c)
	}
	waitEventNaming(t, sess, sessionevents.ReasonThreadActionNeeded, threads[0].ID)

	sess.Spec.ToolConfirmations = []v1alpha1.ToolConfirmation{{ToolUseID: pending[0].EventID, Decision: v1alpha1.ConfirmationAllow}}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	if len(sess.Status.PendingActions) != 0 || sess.Status.Threads[0].StopReason != sessionevents.StopEndTurn {
		t.Errorf("after the answer: pending %+v, threads %+v", sess.Status.PendingActions, sess.Status.Threads)
	}
	if n := countType(remoteHistory(t, sess.Status.ID), "user.tool_confirmation"); n != 1 {
		t.Errorf("%d confirmations sent, want 1", n)
	}
}

// TestInterruptOneThread proves spec.interruptThreadID aims spec.interruptRequest at one
// sub-agent: that thread stops, the primary thread finishes its turn.
func TestInterruptOneThread(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newMultiagentFixture(t)
	sess := f.newSession("interrupt-thread", "[[subagent:reviewer]] go on")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "RequiresAction", phaseIs(v1alpha1.SessionRequiresAction))
	sess.Spec.InterruptThreadID = sess.Status.Threads[0].ID
	sess.Spec.InterruptRequest = "stop-the-reviewer"
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	if sess.Status.InterruptRequest != "stop-the-reviewer" || sess.Status.LastAgentMessage != "echo: go on" {
		t.Errorf("interrupt request %q, last message %q", sess.Status.InterruptRequest, sess.Status.LastAgentMessage)
	}
	if c := readyConditionOf(sess, v1alpha1.ConditionTurnComplete); c != "True/"+sessionstatus.TurnEndTurn {
		t.Errorf("TurnComplete = %s: a thread's interrupt does not interrupt the session's turn", c)
	}
	waitEventNaming(t, sess, string(controller.ReasonInterrupt), sess.Spec.InterruptThreadID)
}

// TestOutcomeMetAfterTwoIterations proves spec.outcome is sent once, the grader's two verdicts
// (needs_revision, then satisfied) land in status.outcome, and OutcomeMet turns True.
func TestOutcomeMetAfterTwoIterations(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("outcome", "")
	sess.Spec.Outcome = &v1alpha1.SessionOutcome{Description: "[[outcome:needs_revision,satisfied]] a green build", Rubric: "every test passes"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "OutcomeMet", func(s *v1alpha1.Session) bool {
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionOutcomeMet) && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	o := sess.Status.Outcome
	if o == nil || o.OutcomeID == "" || o.Result != sessionevents.OutcomeSatisfied || o.MaxIterations != 3 || len(o.Evaluations) != 2 ||
		o.Evaluations[0].Result != sessionevents.OutcomeNeedsRevision || o.Evaluations[1].Result != sessionevents.OutcomeSatisfied ||
		o.Evaluations[0].Explanation == "" || o.Evaluations[1].Iteration != 1 {
		t.Fatalf("status.outcome = %+v", o)
	}
	if c := readyConditionOf(sess, v1alpha1.ConditionOutcomeMet); c != "True/"+sessionstatus.OutcomeSatisfied {
		t.Errorf("OutcomeMet = %s", c)
	}
	if n := countType(remoteHistory(t, sess.Status.ID), "user.define_outcome"); n != 1 {
		t.Errorf("%d outcome definitions sent, want 1", n)
	}
	if evs := eventsWithReason(t, sess, sessionevents.ReasonOutcomeEvaluated); len(evs) != 2 {
		t.Errorf("%d OutcomeEvaluated Events, want 2", len(evs))
	}
}

// waitEventNaming waits for a Kubernetes Event of the Session with the reason whose message names
// the text (a thread).
func waitEventNaming(t *testing.T, sess *v1alpha1.Session, reason, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range eventsWithReason(t, sess, reason) {
			if strings.Contains(ev.Message, text) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("no %s Event naming %s", reason, text)
}

// eventsWithReason lists the Session's Kubernetes Events with a reason.
func eventsWithReason(t *testing.T, sess *v1alpha1.Session, reason string) []corev1.Event {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(sess.Namespace)); err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.UID == sess.UID && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}
