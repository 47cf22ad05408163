// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// computeStatus derives status from what this reconcile learned, once: the Paused and Synced
// conditions, then the phase (decided by sessionstatus.Decide alone) with the conditions that go with
// it, and, when the Session just finished, the finish path. It returns the result with the TTL's
// requeue folded in.
func (r *SessionReconciler) computeStatus(ctx context.Context, s *sessionScope, result ctrl.Result) ctrl.Result {
	sess := s.sess
	if !sess.DeletionTimestamp.IsZero() {
		return result // deletion reports in Ready; the object is about to go
	}
	paused := v1alpha1.IsPaused(sess.GetAnnotations())
	setPaused(&sess.Status.Conditions, sess.Generation, paused,
		"annotation "+v1alpha1.AnnotationPaused+" is \"true\": nothing is sent until it is removed; status still follows the session")
	if !s.finished {
		r.setSynced(s)
	}
	sess.Status.Sandbox = sandbox.ForSession(ctx, r.Client, sess) // SelfHosted: its sandbox Pod
	sandbox.SetHealthCondition(&sess.Status.Conditions, sess.Generation, sess.Status.Sandbox)
	if s.decide {
		result = r.applyPhase(sess, sessionstatus.Decide(sess, s.inputs), result)
		r.setSurfaceConditions(sess)
	}
	if !paused && s.syncErr == nil && s.handled {
		observeGeneration(sess)
	}
	reportSessionProgress(sess, s.decide, paused)
	return result
}

// setSynced shows whether this reconcile's API calls worked, with a Warning Event only when that
// turns from working to failing or the failure changes.
func (r *SessionReconciler) setSynced(s *sessionScope) {
	sess := s.sess
	if s.syncErr == nil {
		setSynced(&sess.Status.Conditions, sess.Generation, true, ReasonSynced, "the last call to the API worked")
		return
	}
	f := classifyFailure(s.syncErr)
	if setSynced(&sess.Status.Conditions, sess.Generation, false, f.reason, f.message) {
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(f.reason), "Sync", "%s", f.message)
	}
}

// applyPhase records a phase and the conditions that go with it, and runs the finish path when the
// Session reaches an end.
func (r *SessionReconciler) applyPhase(sess *v1alpha1.Session, pr sessionstatus.Result, result ctrl.Result) ctrl.Result {
	st := &sess.Status
	previous := st.Phase
	st.Phase = pr.Phase
	gen := sess.Generation
	setCondition(&st.Conditions, gen, v1alpha1.ConditionTurnComplete, conditionStatus(pr.TurnComplete), pr.Reason, pr.Message)
	setCondition(&st.Conditions, gen, v1alpha1.ConditionActionRequired, conditionStatus(pr.Phase == v1alpha1.SessionRequiresAction), pr.Reason, pr.Message)
	ready := st.ID != "" && !pr.Phase.Final()
	setCondition(&st.Conditions, gen, v1alpha1.ConditionReady, conditionStatus(ready), string(pr.Phase), pr.Message)
	if !pr.Phase.Finished() {
		r.memory.update(client.ObjectKeyFromObject(sess), sess.UID, func(m *sessionMemory) { m.announced = "" })
		st.CompletionTime = nil
		setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionFalse, string(pr.Phase), pr.Message)
		return result
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionTrue, string(pr.Phase), pr.Message)
	if previous != pr.Phase || st.CompletionTime == nil {
		r.finish(sess, pr)
	}
	r.Pump.Stop(client.ObjectKeyFromObject(sess))
	// The TTL deletes only from reconcileFinished, after this finish is written: a Session is never
	// deleted before its status says how it ended.
	if wait, ok := untilExpiry(sess); ok {
		return earliest(result, ctrl.Result{RequeueAfter: max(wait, time.Millisecond)})
	}
	return result
}

// finish is the one finish path: completion time, the finish Event and the finish metric, whatever
// ended the Session (its turn, an error, a timeout, a refused launch, a vanished remote).
func (r *SessionReconciler) finish(sess *v1alpha1.Session, pr sessionstatus.Result) {
	now := metav1.Now()
	sess.Status.CompletionTime = &now
	// A stale cache can show the previous phase once more; this process announces each end once.
	key := client.ObjectKeyFromObject(sess)
	if r.memory.get(key, sess.UID).announced == pr.Phase {
		return
	}
	r.memory.update(key, sess.UID, func(m *sessionMemory) { m.announced = pr.Phase })
	eventType := corev1.EventTypeNormal
	if pr.Phase != v1alpha1.SessionSucceeded {
		eventType = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(sess, nil, eventType, string(pr.Phase), "Finish", "Session %s: %s", pr.Phase, pr.Message)
	metrics.SessionsFinished.WithLabelValues(sess.Namespace, string(pr.Phase), pr.Reason).Inc()
	countRunFinished(sess, pr.Phase)
}

// reconcileFinished is all that acts on a finished Session: its TTL, and a best-effort update of the
// remote title and metadata when the user edits them (the remote session may be archived or
// terminated, so a refusal is only logged). It never launches, sends or streams.
func (r *SessionReconciler) reconcileFinished(ctx context.Context, s *sessionScope) (ctrl.Result, error) {
	sess := s.sess
	s.finished = true
	r.Pump.Stop(client.ObjectKeyFromObject(sess))
	if sess.Status.ObservedGeneration != sess.Generation && sess.Status.ID != "" {
		if api, err := r.apiClient(ctx, sess); err == nil {
			if err := r.updateIfDiffers(ctx, sess, api, true); err != nil {
				logf.FromContext(ctx).Info("Could not update a finished session", "sessionID", sess.Status.ID, "error", classifyFailure(err).message)
			}
		}
	}
	s.handled = true
	return r.afterFinished(ctx, sess)
}

// afterFinished applies ttlSecondsAfterFinished: it deletes the Session once the TTL passed, and
// otherwise says when to look again.
func (r *SessionReconciler) afterFinished(ctx context.Context, sess *v1alpha1.Session) (ctrl.Result, error) {
	wait, ok := untilExpiry(sess)
	if !ok {
		return ctrl.Result{}, nil
	}
	if wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonExpired), "Delete", "Deleting the Session %ds after it finished (ttlSecondsAfterFinished)", *sess.Spec.TTLSecondsAfterFinished)
	return ctrl.Result{}, client.IgnoreNotFound(r.Delete(ctx, sess))
}

// untilExpiry is how long until a finished Session's ttlSecondsAfterFinished passes (≤ 0: it has);
// ok is false when it has no TTL or has not finished.
func untilExpiry(sess *v1alpha1.Session) (wait time.Duration, ok bool) {
	ttl := sess.Spec.TTLSecondsAfterFinished
	if ttl == nil || sess.Status.CompletionTime == nil {
		return 0, false
	}
	return time.Until(sess.Status.CompletionTime.Add(time.Duration(*ttl) * time.Second)), true
}

// earliest combines two results: the sooner requeue wins.
func earliest(a, b ctrl.Result) ctrl.Result {
	if a.RequeueAfter == 0 || (b.RequeueAfter > 0 && b.RequeueAfter < a.RequeueAfter) {
		a.RequeueAfter = b.RequeueAfter
	}
	return a
}

// observeGeneration marks status and every condition as describing the current generation, so
// `kubectl wait --for=condition=Launched` keeps working after the spec changes.
func observeGeneration(sess *v1alpha1.Session) {
	sess.Status.ObservedGeneration = sess.Generation
	for i := range sess.Status.Conditions {
		sess.Status.Conditions[i].ObservedGeneration = sess.Generation
	}
}
