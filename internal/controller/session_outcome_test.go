// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// finalOutcomeReasons are the OutcomeMet reasons of a verdict that ends the grading.
var finalOutcomeReasons = map[string]bool{
	sessionstatus.OutcomeSatisfied: true, sessionstatus.OutcomeFailed: true,
	sessionstatus.OutcomeMaxIterationsReached: true, sessionstatus.OutcomeInterrupted: true,
}

// waitOutcomeGraded waits until the Session finished with a final verdict on its outcome, and fails
// at once if it is ever seen finished while the outcome is still pending or being evaluated.
func waitOutcomeGraded(t *testing.T, key client.ObjectKey) *v1alpha1.Session {
	t.Helper()
	return waitSession(t, key, "the outcome graded and the Session finished", func(s *v1alpha1.Session) bool {
		c := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionOutcomeMet)
		graded := c != nil && finalOutcomeReasons[c.Reason]
		if s.Status.Phase.Finished() && !graded {
			t.Fatalf("Session %s while its outcome is not graded: OutcomeMet %s (%s)", s.Status.Phase,
				readyConditionOf(s, v1alpha1.ConditionOutcomeMet), describeSession(s))
		}
		return graded && s.Status.Phase.Finished()
	})
}

// TestOutcomeGradedAfterThePromptsTurn proves a Session with both spec.prompt and spec.outcome
// finishes only once the grader judged the outcome: the prompt's turn ending (idle, end_turn) while
// the outcome's work is still queued behind it is not the end of the Session.
func TestOutcomeGradedAfterThePromptsTurn(t *testing.T) {
	f := newSessionFixture(t)
	// The slow prompt keeps the first turn running while the operator defines the outcome.
	sess := f.newSession("prompt-and-outcome", "[[slow:1s]] look at the failing build")
	sess.Spec.Outcome = &v1alpha1.SessionOutcome{Description: "[[outcome:needs_revision,satisfied]] a green build", Rubric: "every test passes"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitOutcomeGraded(t, key)
	if sess.Status.Phase != v1alpha1.SessionSucceeded {
		t.Errorf("phase %s, want Succeeded", sess.Status.Phase)
	}
	if c := readyConditionOf(sess, v1alpha1.ConditionOutcomeMet); c != "True/"+sessionstatus.OutcomeSatisfied {
		t.Errorf("OutcomeMet = %s", c)
	}
	if o := sess.Status.Outcome; o == nil || len(o.Evaluations) != 2 || o.Result != sessionevents.OutcomeSatisfied {
		t.Errorf("status.outcome = %+v, want needs_revision then satisfied", o)
	}
	history := remoteHistory(t, sess.Status.ID)
	if n := countType(history, "user.define_outcome"); n != 1 {
		t.Errorf("%d outcome definitions sent, want 1", n)
	}
	if n := countType(history, "user.message"); n != 1 {
		t.Errorf("%d user messages in the history, want the prompt alone", n)
	}
	if evs := eventsWithReason(t, sess, string(v1alpha1.SessionSucceeded)); len(evs) != 1 {
		t.Errorf("%d Succeeded Events, want 1", len(evs))
	}
}

// TestOutcomeEndsWithoutBeingMet proves an outcome the grader gives up on ends the Session (it
// finished its work; the phase does not depend on the verdict) with OutcomeMet False, a reason per
// verdict, the grader's explanation in the message, and a Warning Event for the verdict.
func TestOutcomeEndsWithoutBeingMet(t *testing.T) {
	two := int64(2)
	cases := []struct {
		name, reason, verdict string
		outcome               v1alpha1.SessionOutcome
		evaluations           int
		message               string
	}{{
		name: "failed", reason: sessionstatus.OutcomeFailed, verdict: sessionevents.OutcomeFailed, evaluations: 1,
		outcome: v1alpha1.SessionOutcome{Description: "[[outcome:failed]] a green build", Rubric: "every test passes"},
		message: "iteration 0: failed: The simulator judged iteration 0 failed.",
	}, {
		// Every verdict asks for a revision, so the cap of two iterations ends the grading.
		name: "max-iterations", reason: sessionstatus.OutcomeMaxIterationsReached, verdict: sessionevents.OutcomeMaxIterationsReached, evaluations: 2,
		outcome: v1alpha1.SessionOutcome{Description: "[[outcome:needs_revision]] a green build", Rubric: "every test passes", MaxIterations: &two},
		message: "iteration 1: max_iterations_reached: The simulator judged iteration 1 max_iterations_reached.",
	}}
	f := newSessionFixture(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := f.newSession("outcome-"+tc.name, "[[slow:500ms]] fix the build")
			sess.Spec.Outcome = tc.outcome.DeepCopy()
			create(t, sess)
			sess = waitOutcomeGraded(t, client.ObjectKeyFromObject(sess))
			if sess.Status.Phase != v1alpha1.SessionSucceeded {
				t.Errorf("phase %s, want Succeeded: the agent finished its work", sess.Status.Phase)
			}
			c := meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionOutcomeMet)
			if c.Status != "False" || c.Reason != tc.reason || c.Message != tc.message {
				t.Errorf("OutcomeMet = %s/%s %q, want False/%s %q", c.Status, c.Reason, c.Message, tc.reason, tc.message)
			}
			if o := sess.Status.Outcome; o == nil || len(o.Evaluations) != tc.evaluations {
				t.Errorf("status.outcome = %+v, want %d evaluations", o, tc.evaluations)
			}
			warned := false
			for _, e := range eventsWithReason(t, sess, sessionevents.ReasonOutcomeEvaluated) {
				warned = warned || (e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, tc.verdict))
			}
			if !warned {
				t.Errorf("no Warning %s Event for the %s verdict", sessionevents.ReasonOutcomeEvaluated, tc.name)
			}
		})
	}
}

// TestOutcomeNotEvaluatedAfterTheWait proves a Session never sits forever on a verdict that does not
// come: the remote session goes idle after the outcome was defined and the grader never reports, so
// after the operator's wait the Session ends with OutcomeMet NotEvaluated and one Warning Event.
func TestOutcomeNotEvaluatedAfterTheWait(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("outcome-never-graded", "")
	// The outcome's turn outlasts the test; the idle below stands for an API that drops the grading.
	sess.Spec.Outcome = &v1alpha1.SessionOutcome{Description: "[[slow:2m]] a green build", Rubric: "every test passes"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "the outcome defined", func(s *v1alpha1.Session) bool {
		return s.Status.Outcome != nil && s.Status.Phase == v1alpha1.SessionRunning
	})
	if _, err := sim.EmitEvent(sess.Status.ID, []byte(`{"type":"session.status_idle","stop_reason":{"type":"end_turn"},"stop_details":null}`)); err != nil {
		t.Fatal(err)
	}
	idleAt := time.Now()
	sess = waitSession(t, key, "the Session ends without a verdict", func(s *v1alpha1.Session) bool {
		if s.Status.Phase.Finished() && time.Since(idleAt) < testOutcomeGrace-time.Second {
			t.Fatalf("Session %s %s after the idle, before the wait for the grader was over", s.Status.Phase, time.Since(idleAt))
		}
		return s.Status.Phase.Finished()
	})
	if sess.Status.Phase != v1alpha1.SessionSucceeded {
		t.Errorf("phase %s, want Succeeded: the turn ended with end_turn", sess.Status.Phase)
	}
	c := meta.FindStatusCondition(sess.Status.Conditions, v1alpha1.ConditionOutcomeMet)
	if c == nil || c.Status != "False" || c.Reason != sessionstatus.OutcomeNotEvaluated || !strings.Contains(c.Message, "no final verdict") {
		t.Errorf("OutcomeMet = %+v, want False/%s", c, sessionstatus.OutcomeNotEvaluated)
	}
	if evs := eventsWithReason(t, sess, string(controller.ReasonOutcomeNotEvaluated)); len(evs) != 1 || evs[0].Type != corev1.EventTypeWarning {
		t.Errorf("%d %s Events (%+v), want one Warning", len(evs), controller.ReasonOutcomeNotEvaluated, evs)
	}
}
