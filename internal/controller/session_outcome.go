// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// sendOutcome sends spec.outcome as user.define_outcome when the session's history does not hold
// that definition yet: once after launch, and once after each change. The history decides, so a
// send whose status write a crash lost is not repeated; this process's memory covers the moment
// between the send and the stream showing it.
func (r *SessionReconciler) sendOutcome(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, snap *sessionstream.Snapshot) error {
	o := sess.Spec.Outcome
	if o == nil {
		return nil
	}
	digest := sessionstatus.OutcomeDigest(o)
	if h := snap.State.Outcome; h != nil && h.Digest == digest {
		return nil
	}
	key := client.ObjectKeyFromObject(sess)
	if r.memory.get(key, sess.UID).sentOutcome == digest {
		return nil
	}
	if err := api.SendEvents(ctx, sess.Status.ID, managedagents.DefineOutcomeEvent(o)); err != nil {
		return err
	}
	r.memory.update(key, sess.UID, func(m *sessionMemory) { m.sentOutcome = digest })
	logf.FromContext(ctx).Info("Defined the session's outcome", "sessionID", sess.Status.ID)
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonOutcomeSent), "DefineOutcome", "Sent spec.outcome to the session")
	return nil
}

// setSurfaceConditions sets OutcomeMet (with an outcome) and BudgetNearlyUsed (with a budget) from
// status, and removes each when it no longer applies. A Warning Event goes out when the budget
// crosses 80 %.
func (r *SessionReconciler) setSurfaceConditions(sess *v1alpha1.Session) {
	st := &sess.Status
	gen := sess.Generation
	if c := sessionstatus.OutcomeCondition(sess, st.Outcome); c != nil {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionOutcomeMet, c.Status, c.Reason, c.Message)
	} else {
		meta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionOutcomeMet)
	}
	c := sessionstatus.BudgetCondition(st.Usage)
	if c == nil {
		meta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionBudgetNearlyUsed)
		return
	}
	was := meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionBudgetNearlyUsed)
	setCondition(&st.Conditions, gen, v1alpha1.ConditionBudgetNearlyUsed, c.Status, c.Reason, c.Message)
	if !was && meta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionBudgetNearlyUsed) {
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, c.Reason, "Budget", "%s", c.Message)
	}
}

// remoteUpdated reports whether the stream showed a session.updated event this process has not
// answered with a drift check yet: someone (or the operator) changed the remote title, metadata,
// budget or agent, so the remote fields are compared with the spec now instead of at the next
// resync. The operator's own updates cost one read each and correct nothing.
func (r *SessionReconciler) remoteUpdated(s *sessionScope) bool {
	st := s.inputs.State
	if st == nil || st.Updated == nil {
		return false
	}
	key := client.ObjectKeyFromObject(s.sess)
	if r.memory.get(key, s.sess.UID).seenUpdates >= st.Updated.Count {
		return false
	}
	r.memory.update(key, s.sess.UID, func(m *sessionMemory) { m.seenUpdates = st.Updated.Count })
	return true
}

// DefaultOutcomeGrace is how long a session that went idle waits for the grader's verdict on
// spec.outcome. The API grades as soon as the outcome's turn ends, with the session still running,
// so an idle with the outcome unjudged only separates an earlier turn from the outcome's own: it
// lasts seconds. The bound keeps a Session from waiting forever on a verdict that will not come.
const DefaultOutcomeGrace = 2 * time.Minute

// outcomeWait remembers when this process first saw the session idle at idleSeq with the outcome
// unjudged, and whether it warned of giving up. This process's clock counts, not the event's time,
// so clock skew cannot end the wait early; a restart starts the wait again, still bounded.
type outcomeWait struct {
	idleSeq int64
	since   time.Time
	warned  bool
}

// awaitOutcome bounds the wait for the grader (sessionstatus.OutcomeAwaited). It returns how soon
// to look again while the wait lasts; once it is over, it sets inputs.OutcomeWaitOver, so the turn's
// end decides the phase, and says so with one Warning Event.
func (r *SessionReconciler) awaitOutcome(s *sessionScope, st *sessionevents.State) time.Duration {
	sess := s.sess
	if !sessionstatus.OutcomeAwaited(sess, st) {
		return 0
	}
	key := client.ObjectKeyFromObject(sess)
	var w outcomeWait
	r.memory.update(key, sess.UID, func(m *sessionMemory) {
		if m.outcomeWait.idleSeq != st.LastIdleSeq {
			m.outcomeWait = outcomeWait{idleSeq: st.LastIdleSeq, since: time.Now()}
		}
		w = m.outcomeWait
	})
	if left := r.OutcomeGrace - time.Since(w.since); left > 0 {
		return left
	}
	s.inputs.OutcomeWaitOver = true
	if !w.warned {
		r.memory.update(key, sess.UID, func(m *sessionMemory) { m.outcomeWait.warned = true })
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(ReasonOutcomeNotEvaluated), "AwaitOutcome",
			"The session has been idle for %s without the grader's verdict on spec.outcome; it ends without one", r.OutcomeGrace)
	}
	return 0
}
