// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestPhaseAwaitsTheOutcome proves a Session with spec.outcome is not over while the grader has not
// judged the outcome: an idle that ends the prompt's turn, with the outcome's work queued behind it,
// keeps it Running, until a final verdict or the end of the operator's wait (OutcomeWaitOver).
func TestPhaseAwaitsTheOutcome(t *testing.T) {
	spec := v1alpha1.SessionOutcome{Description: "d", Rubric: "r"}
	define := fmt.Sprintf(`{"type":"user.define_outcome","id":"sevt_o","outcome_id":"outc_1","description":%q,"rubric":{"type":"text","content":%q},"max_iterations":3}`, spec.Description, spec.Rubric)
	const (
		msg       = `{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"hi"}]}`
		run       = `{"type":"session.status_running","id":"sevt_2"}`
		idle      = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"end_turn"}}`
		run2      = `{"type":"session.status_running","id":"sevt_4"}`
		evalStart = `{"type":"span.outcome_evaluation_start","id":"sevt_5","outcome_id":"outc_1","iteration":0}`
		revise    = `{"type":"span.outcome_evaluation_end","id":"sevt_6","outcome_id":"outc_1","iteration":0,"result":"needs_revision"}`
		satisfied = `{"type":"span.outcome_evaluation_end","id":"sevt_7","outcome_id":"outc_1","iteration":1,"result":"satisfied"}`
		failed    = `{"type":"span.outcome_evaluation_end","id":"sevt_7","outcome_id":"outc_1","iteration":0,"result":"failed"}`
		idle2     = `{"type":"session.status_idle","id":"sevt_8","stop_reason":{"type":"end_turn"}}`
		interrupt = `{"type":"user.interrupt","id":"sevt_9"}`
		idle3     = `{"type":"session.status_idle","id":"sevt_10","stop_reason":{"type":"end_turn"}}`
		refusal   = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"refusal"}}`
	)
	cases := []struct {
		reason   string
		events   []string
		waitOver bool
		want     v1alpha1.SessionPhase
		awaited  bool
	}{
		{"the prompt's turn ended with the outcome queued behind it", []string{msg, run, define, idle}, false, v1alpha1.SessionRunning, true},
		{"the wait for the grader is over: the turn's end decides", []string{msg, run, define, idle}, true, v1alpha1.SessionSucceeded, true},
		{"the outcome's turn runs", []string{msg, run, define, idle, run2}, false, v1alpha1.SessionRunning, false},
		{"an idle after a needs_revision verdict is no end", []string{msg, run, define, idle, run2, evalStart, revise, idle2}, false, v1alpha1.SessionRunning, true},
		{"satisfied, then idle: done", []string{msg, run, define, idle, run2, evalStart, revise, satisfied, idle2}, false, v1alpha1.SessionSucceeded, false},
		{"failed, then idle: done, the verdict is OutcomeMet's", []string{msg, run, define, idle, run2, failed, idle2}, false, v1alpha1.SessionSucceeded, false},
		{"an interrupt ends the turn and the outcome with it", []string{msg, run, define, interrupt, idle3}, false, v1alpha1.SessionIdle, false},
		{"a refusal fails the Session whatever the outcome", []string{msg, run, define, refusal}, false, v1alpha1.SessionFailed, false},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			sess := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Prompt: "hi", Outcome: spec.DeepCopy()}}
			sess.Status.ID = "sesn_1"
			st := foldEvents(t, tc.events...)
			if got := OutcomeAwaited(sess, st); got != tc.awaited {
				t.Errorf("OutcomeAwaited = %v, want %v", got, tc.awaited)
			}
			if got := Decide(sess, Inputs{State: st, OutcomeWaitOver: tc.waitOver}); got.Phase != tc.want {
				t.Errorf("phase %s (%s), want %s", got.Phase, got.Message, tc.want)
			}
		})
	}
}

// TestOutcomeNotEvaluated proves OutcomeMet says NotEvaluated, with the last verdict, once the
// Session's work is over without a final verdict, and keeps the usual reasons otherwise.
func TestOutcomeNotEvaluated(t *testing.T) {
	turnDone := []metav1.Condition{{Type: v1alpha1.ConditionTurnComplete, Status: metav1.ConditionTrue}}
	revised := &v1alpha1.SessionOutcomeStatus{Result: "needs_revision", Evaluations: []v1alpha1.OutcomeEvaluation{{Iteration: 0, Result: "needs_revision"}}}
	cases := []struct {
		reason     string
		phase      v1alpha1.SessionPhase
		conditions []metav1.Condition
		o          *v1alpha1.SessionOutcomeStatus
		want       string
		message    string
	}{
		{"finished with no verdict", v1alpha1.SessionSucceeded, turnDone, &v1alpha1.SessionOutcomeStatus{OutcomeID: "outc_1"}, OutcomeNotEvaluated,
			"the session is Succeeded and the grader gave no final verdict on the outcome"},
		{"failed after a revision was asked", v1alpha1.SessionFailed, turnDone, revised, OutcomeNotEvaluated,
			"the session is Failed and the grader gave no final verdict on the outcome; the last one (iteration 0) was needs_revision"},
		{"idle for good (completionPolicy Never)", v1alpha1.SessionIdle, turnDone, revised, OutcomeNotEvaluated, ""},
		{"idle while the next message is sent: still to come", v1alpha1.SessionIdle, nil, revised, OutcomeNeedsRevision, ""},
		{"running: the grader is still to come", v1alpha1.SessionRunning, nil, &v1alpha1.SessionOutcomeStatus{Evaluating: true}, OutcomeEvaluating, ""},
		{"finished with a final verdict keeps it", v1alpha1.SessionSucceeded, turnDone,
			&v1alpha1.SessionOutcomeStatus{Result: "failed", Evaluations: []v1alpha1.OutcomeEvaluation{{Result: "failed"}}}, OutcomeFailed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			sess := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Outcome: &v1alpha1.SessionOutcome{Description: "d", Rubric: "r"}}}
			sess.Status.Phase, sess.Status.Conditions = tc.phase, tc.conditions
			got := OutcomeCondition(sess, tc.o)
			if got == nil || got.Reason != tc.want || got.Status != metav1.ConditionFalse || tc.message != "" && got.Message != tc.message {
				t.Errorf("got %+v, want False/%s %q", got, tc.want, tc.message)
			}
			if got != nil && got.Reason == OutcomeNotEvaluated && !strings.Contains(got.Message, string(tc.phase)) {
				t.Errorf("the message %q does not name the phase", got.Message)
			}
		})
	}
}
