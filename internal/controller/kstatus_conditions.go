// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// GitOps tools judge an object's health with kstatus (sigs.k8s.io/cli-utils/pkg/kstatus): Flux's
// health checks call it, and our Argo CD checks (docs/argocd) follow the same rules. kstatus reads
// status.observedGeneration against metadata.generation first, then the Reconciling and Stalled
// conditions, and only then Ready, which cannot tell a wait from a dead end. This file decides
// Reconciling and Stalled for every kind, in one place, from the conditions the controllers already
// computed (Ready, Synced, Paused and a Session's phase), so that:
//
//	Current     the current generation is applied (a Session: running, idle, waiting for an answer,
//	            or Succeeded), or the object is paused with nothing stalled;
//	InProgress  the operator works on it: creating, updating, waiting for a Secret, a ConfigMap or a
//	            referenced object, or retrying an error that can pass (Reconciling=True);
//	Failed      a human must act: the API rejected the spec or the key, a reference names nothing,
//	            the remote object was archived, a Session's attachment holds data that cannot be
//	            sent, or a Session ended Failed, TimedOut or Terminated (Stalled=True, with the
//	            reason and message of what stopped it).

// progress is what Reconciling and Stalled say about one object.
type progress struct {
	// reconciling and stalled are never both true.
	reconciling, stalled bool
	reason               string
	message              string
}

// stallingReasons are the failures that retrying cannot fix: the operator waits for a human to
// change the spec, the key, or the remote object. Every other failure is a wait (for a Secret, a
// ConfigMap, a referenced object) or passes by itself (a rate limit, an outage), and is Reconciling.
var stallingReasons = map[string]bool{
	string(ReasonInvalidSpec):        true,
	string(ReasonUnauthorized):       true,
	string(ReasonRemoteNotFound):     true,
	string(ReasonRemoteArchived):     true,
	string(ReasonNameConflict):       true,
	string(ReasonCredentialRejected): true,
	// An AgentDeployment's schedule stopped by the API after a failed run resumes only at a spec change.
	string(ReasonPausedByAPI): true,
}

// setProgress writes Reconciling and Stalled. Both are always present, False when normal, so that
// `kubectl wait --for=condition=Stalled=false` works and lastTransitionTime says when work ended.
func setProgress(conds *[]metav1.Condition, generation int64, p progress) {
	reconciling, stalled := metav1.ConditionFalse, metav1.ConditionFalse
	reconcilingReason, stalledReason := p.reason, string(ReasonNotStalled)
	reconcilingMessage, stalledMessage := p.message, "nothing keeps the operator from reconciling this object"
	switch {
	case p.stalled:
		stalled, stalledReason, stalledMessage = metav1.ConditionTrue, p.reason, p.message
		reconcilingReason, reconcilingMessage = string(ReasonStalled), "the operator waits for a human: see the Stalled condition"
	case p.reconciling:
		reconciling = metav1.ConditionTrue
	}
	setCondition(conds, generation, v1alpha1.ConditionReconciling, reconciling, reconcilingReason, reconcilingMessage)
	setCondition(conds, generation, v1alpha1.ConditionStalled, stalled, stalledReason, stalledMessage)
}

// managedProgress is the progress of an object of the lifecycle driver (Agent, Environment, Vault,
// Skill, MemoryStore, AgentDeployment) from its Ready, Synced and Paused conditions and any of its
// own conditions that only a human can turn (stallingKindCondition). A stalled object stays stalled
// when paused (the pause fixes nothing); otherwise a paused object is done: the operator holds it
// as the annotation asks, and Ready keeps what the last sync established.
func managedProgress(conds []metav1.Condition, paused bool) progress {
	ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	synced := meta.FindStatusCondition(conds, v1alpha1.ConditionSynced)
	failedSync := synced != nil && synced.Status == metav1.ConditionFalse
	notReady := ready == nil || ready.Status != metav1.ConditionTrue
	// Ready's message is the fuller one when it is False (a blocked deletion says how to let go);
	// the decision follows the failure itself, which Synced names.
	shown := synced
	if notReady && ready != nil {
		shown = ready
	}
	other := stallingKindCondition(conds)
	switch {
	case failedSync && stallingReasons[synced.Reason], ready != nil && notReady && stallingReasons[ready.Reason]:
		return progress{stalled: true, reason: shown.Reason, message: shown.Message}
	case other != nil:
		return progress{stalled: true, reason: other.Reason, message: other.Message}
	case paused:
		return progress{reason: string(ReasonPaused), message: "annotation " + v1alpha1.AnnotationPaused + " is \"true\": the operator holds this object as it is"}
	case failedSync || (notReady && ready != nil):
		return progress{reconciling: true, reason: shown.Reason, message: shown.Message}
	case ready == nil:
		return progress{reconciling: true, reason: string(ReasonProgressing), message: "the operator has not synced this object yet"}
	}
	return progress{reason: string(ReasonReconciled), message: ready.Message}
}

// stallingKindCondition returns a kind's own condition (not Ready, Synced, Paused, Reconciling or
// Stalled) that is False for a reason only a human can fix, such as an AgentDeployment's Scheduled
// condition when the API stopped its schedule; nil when there is none.
func stallingKindCondition(conds []metav1.Condition) *metav1.Condition {
	for i := range conds {
		switch c := &conds[i]; c.Type {
		case v1alpha1.ConditionReady, v1alpha1.ConditionSynced, v1alpha1.ConditionPaused, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled:
		default:
			if c.Status == metav1.ConditionFalse && stallingReasons[c.Reason] {
				return c
			}
		}
	}
	return nil
}

// reportManagedProgress sets Reconciling, Stalled and status.observedGeneration of an object of the
// lifecycle driver once its reconcile computed the other conditions for the current generation
// (the Paused condition, set by every reconcile that got past adding the finalizer, says so).
// observedGeneration means "the conditions describe this generation", as kstatus reads it; whether
// the generation was applied is the Ready condition's own observedGeneration (see appliedFor).
func reportManagedProgress(obj interface{ GetGeneration() int64 }, f managedFields, paused bool) {
	gen := obj.GetGeneration()
	if c := meta.FindStatusCondition(*f.Conditions, v1alpha1.ConditionPaused); c == nil || c.ObservedGeneration != gen {
		return
	}
	setProgress(f.Conditions, gen, managedProgress(*f.Conditions, paused))
	*f.ObservedGeneration = gen
}

// appliedFor reports whether the last sync applied this generation: Ready is True for it. Only a
// successful sync sets Ready True, with the generation it applied.
func appliedFor(conds []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}

// sessionProgress is a Session's progress from its phase and conditions. A Session is a run object:
// it is Current while it does what it was asked (running, idle, waiting for an answer) and once it
// Succeeded; it is InProgress until it launches; a final phase (Failed, TimedOut, Terminated) is
// Stalled, with the message that says how it ended. A paused Session goes on (the remote agent
// keeps working), so pausing changes nothing here but the reason.
func sessionProgress(st *v1alpha1.SessionStatus, paused bool) progress {
	synced := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionSynced)
	failedSync := synced != nil && synced.Status == metav1.ConditionFalse
	switch {
	case st.Phase.Final():
		msg := ""
		if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionFinished); c != nil {
			msg = c.Message
		}
		return progress{stalled: true, reason: string(st.Phase), message: msg}
	case failedSync && stallingReasons[synced.Reason]:
		return progress{stalled: true, reason: synced.Reason, message: synced.Message}
	case paused && st.ID != "":
		return progress{reason: string(ReasonPaused), message: "annotation " + v1alpha1.AnnotationPaused + " is \"true\": nothing is sent; status still follows the session"}
	case failedSync:
		return progress{reconciling: true, reason: synced.Reason, message: synced.Message}
	case !paused && attachmentWait(st) != nil:
		c := attachmentWait(st)
		waits := c.Reason == string(ReasonConfigMapNotFound)
		return progress{reconciling: waits, stalled: !waits, reason: c.Reason, message: c.Message}
	case st.ID == "":
		msg := "waiting to launch"
		if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady); c != nil && c.Message != "" {
			msg = c.Message
		}
		if paused {
			msg = "annotation " + v1alpha1.AnnotationPaused + " is \"true\": the session launches once it is removed"
		}
		return progress{reconciling: true, reason: string(v1alpha1.SessionPending), message: msg}
	}
	msg := ""
	if c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionTurnComplete); c != nil {
		msg = c.Message
	}
	return progress{reason: string(st.Phase), message: msg}
}

// attachmentWait is the AttachmentsResolved condition while a user message waits for its
// attachments, or nil. A missing ConfigMap is a wait, like a missing Secret; data that is not its
// mediaType or too large stalls until a human fixes the ConfigMap.
func attachmentWait(st *v1alpha1.SessionStatus) *metav1.Condition {
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAttachmentsResolved)
	if c == nil || c.Status != metav1.ConditionFalse {
		return nil
	}
	return c
}

// reportSessionProgress sets a Session's Reconciling and Stalled conditions. A Session's
// observedGeneration marks the spec it carried out (messages sent, fields pushed: see
// resumedByUser), so it moves only where no such work hangs on it: before the launch, when this
// reconcile decided the phase (the launch does not read it), and once the Session is final.
func reportSessionProgress(sess *v1alpha1.Session, decided, paused bool) {
	st := &sess.Status
	setProgress(&st.Conditions, sess.Generation, sessionProgress(st, paused))
	if decided && (st.ID == "" || (st.Phase.Final() && !paused)) {
		st.ObservedGeneration = sess.Generation
	}
}
