package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// pumpStartWait is how soon to look again when the pump has not started yet.
const pumpStartWait = time.Second

// follow folds the stream's state into status, sends what the spec asks for, and derives the phase.
func (r *SessionReconciler) follow(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client) (ctrl.Result, error) {
	stream := r.Pump.Ensure(sess, api)
	if stream == nil {
		return ctrl.Result{RequeueAfter: pumpStartWait}, nil
	}
	snap := stream.snapshot()
	if !snap.Synced {
		return ctrl.Result{}, nil // the pump wakes us once the history is folded
	}
	before := sess.Status.Usage.DeepCopy()
	if counted, ok := r.countedUsage.Load(sess.UID); ok {
		before = counted.(*v1alpha1.SessionUsage)
	}
	applySnapshot(&sess.Status, &snap)
	countUsage(sess, before)
	if sess.Status.Usage != nil {
		r.countedUsage.Store(sess.UID, sess.Status.Usage.DeepCopy())
	}
	if err := r.syncMutableFields(ctx, sess, api); err != nil {
		return r.fail(sess, err)
	}
	if r.timedOut(sess) {
		return r.timeout(ctx, sess, api, &snap)
	}
	if err := r.interact(ctx, sess, api, stream, &snap); err != nil {
		return r.fail(sess, err)
	}
	r.setPhase(sess, computePhase(sess, &snap))
	sess.Status.ObservedGeneration = sess.Generation
	if isFinished(sess.Status.Phase) {
		r.Pump.Stop(client.ObjectKeyFromObject(sess))
		return r.afterFinished(ctx, sess)
	}
	return ctrl.Result{RequeueAfter: r.untilTimeout(sess)}, nil
}

// setPhase records a phase and its conditions, with an Event when the Session finishes.
func (r *SessionReconciler) setPhase(sess *v1alpha1.Session, pr phaseResult) {
	st := &sess.Status
	previous := st.Phase
	st.Phase = pr.phase
	gen := sess.Generation
	turn := metav1.ConditionFalse
	if pr.turnComplete {
		turn = metav1.ConditionTrue
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionTurnComplete, turn, pr.reason, pr.message)
	action := metav1.ConditionFalse
	if pr.phase == v1alpha1.SessionRequiresAction {
		action = metav1.ConditionTrue
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionActionRequired, action, pr.reason, pr.message)
	ready, readyReason := metav1.ConditionTrue, string(pr.phase)
	if pr.phase == v1alpha1.SessionFailed || pr.phase == v1alpha1.SessionTerminated || pr.phase == v1alpha1.SessionTimedOut {
		ready = metav1.ConditionFalse
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionReady, ready, readyReason, pr.message)
	if !isFinished(pr.phase) {
		r.announced.Delete(sess.UID)
		st.CompletionTime = nil
		setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionFalse, string(pr.phase), pr.message)
		return
	}
	if previous != pr.phase || st.CompletionTime == nil {
		now := metav1.Now()
		st.CompletionTime = &now
		// A stale cache can show the previous phase once more; this process announces each end once.
		if last, ok := r.announced.Load(sess.UID); ok && last == pr.phase {
			setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionTrue, string(pr.phase), pr.message)
			return
		}
		r.announced.Store(sess.UID, pr.phase)
		eventType := corev1.EventTypeNormal
		if pr.phase != v1alpha1.SessionSucceeded {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(sess, nil, eventType, string(pr.phase), "Finish", "Session %s: %s", pr.phase, pr.message)
		metrics.SessionsFinished.WithLabelValues(sess.Namespace, string(pr.phase), pr.reason).Inc()
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionTrue, string(pr.phase), pr.message)
}

// syncMutableFields pushes title, metadata and budget changes to the remote session.
func (r *SessionReconciler) syncMutableFields(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client) error {
	if sess.Status.ObservedGeneration == sess.Generation || sess.Status.ObservedGeneration == 0 {
		return nil
	}
	params, err := managedagents.UpdateSessionParams(&sess.Spec, sess.Namespace+"/"+sess.Name, ownerMetadata(sess))
	if err != nil {
		return err
	}
	_, err = api.UpdateSession(ctx, sess.Status.ID, params)
	return err
}

// timedOut reports whether spec.timeout has passed since launch.
func (r *SessionReconciler) timedOut(sess *v1alpha1.Session) bool {
	t := sess.Spec.Timeout
	return t != nil && sess.Status.StartTime != nil && time.Since(sess.Status.StartTime.Time) >= t.Duration
}

// untilTimeout is how long until spec.timeout passes, or 0 without one.
func (r *SessionReconciler) untilTimeout(sess *v1alpha1.Session) time.Duration {
	if sess.Spec.Timeout == nil || sess.Status.StartTime == nil {
		return 0
	}
	return max(time.Until(sess.Status.StartTime.Add(sess.Spec.Timeout.Duration)), time.Second)
}

// timeout interrupts a running turn and ends the Session as TimedOut.
func (r *SessionReconciler) timeout(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, snap *snapshot) (ctrl.Result, error) {
	if snap.State.Status == "running" || snap.State.Status == "rescheduling" {
		if err := api.SendEvents(ctx, sess.Status.ID, managedagents.InterruptEvent()); err != nil {
			return r.fail(sess, err)
		}
	}
	r.setPhase(sess, phaseResult{phase: v1alpha1.SessionTimedOut, turnComplete: true, reason: string(v1alpha1.SessionTimedOut),
		message: "spec.timeout of " + sess.Spec.Timeout.Duration.String() + " passed"})
	r.Pump.Stop(client.ObjectKeyFromObject(sess))
	return r.afterFinished(ctx, sess)
}
