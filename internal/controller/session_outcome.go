// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
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
