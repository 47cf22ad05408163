// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// OutcomeNotEvaluated is the OutcomeMet reason of a Session whose work ended before the grader gave
// a final verdict on its outcome.
const OutcomeNotEvaluated = "NotEvaluated"

// OutcomeAwaited reports whether the session waits for the grader alone: the history holds the
// current spec.outcome without a final verdict, and the newest turn ended normally (end_turn, not an
// interrupt). The API evaluates as soon as the outcome's own turn ends, with the session still
// running, so such an idle ends an earlier turn (the prompt's) while the outcome's work is queued
// behind it: it is not the end of the Session.
func OutcomeAwaited(sess *v1alpha1.Session, st *sessionevents.State) bool {
	o := sess.Spec.Outcome
	if o == nil || st == nil || st.Outcome == nil || st.Outcome.Digest != OutcomeDigest(o) || st.Outcome.Final() {
		return false
	}
	ended := st.StopReason == sessionevents.StopEndTurn || st.StopReason == ""
	return ended && st.TurnEnded() && !st.TurnInterrupted()
}

// outcomeNotEvaluated is the OutcomeMet condition of a Session whose work ended (it finished, or
// its turn is over and it sits idle) while its outcome has no final verdict; nil otherwise.
func outcomeNotEvaluated(sess *v1alpha1.Session, o *v1alpha1.SessionOutcomeStatus) *Condition {
	st := &sess.Status
	ended := st.Phase.Finished() || (st.Phase == v1alpha1.SessionIdle && meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionTurnComplete))
	if !ended || outcomeFinal(o.Result) {
		return nil
	}
	msg := fmt.Sprintf("the session is %s and the grader gave no final verdict on the outcome", st.Phase)
	if n := len(o.Evaluations); n > 0 {
		last := o.Evaluations[n-1]
		msg += fmt.Sprintf("; the last one (iteration %d) was %s", last.Iteration, last.Result)
	}
	return &Condition{metav1.ConditionFalse, OutcomeNotEvaluated, msg}
}

// outcomeFinal reports whether a verdict ends the grading.
func outcomeFinal(result string) bool {
	return result != "" && result != sessionevents.OutcomeNeedsRevision
}
