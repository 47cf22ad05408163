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
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// pumpStartWait is how soon to look again when the pump has not started yet.
const pumpStartWait = time.Second

// follow folds the stream's state into status, sends what the spec asks for, and derives the phase.
func (r *SessionReconciler) follow(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client) (ctrl.Result, error) {
	stream, snap, result, ok := r.observe(sess, api)
	if !ok {
		return result, nil
	}
	if err := r.syncRemoteFields(ctx, sess, api); err != nil {
		return r.fail(sess, err)
	}
	if r.timedOut(sess) {
		return r.timeout(ctx, sess, api, &snap)
	}
	if err := r.interact(ctx, sess, api, stream, &snap); err != nil {
		return r.fail(sess, err)
	}
	r.setPhase(sess, sessionstatus.Phase(sess, &snap.State))
	observeGeneration(sess)
	if isFinished(sess.Status.Phase) {
		r.Pump.Stop(client.ObjectKeyFromObject(sess))
		return r.afterFinished(ctx, sess)
	}
	return ctrl.Result{RequeueAfter: r.nextLook(sess)}, nil
}

// observe folds what the session's stream has seen into status. It only reads from the API. ok is
// false while the stream is not following yet; result then says when to look again.
func (r *SessionReconciler) observe(sess *v1alpha1.Session, api managedagents.Client) (stream *sessionStream, snap snapshot, result ctrl.Result, ok bool) {
	stream = r.Pump.Ensure(sess, api)
	if stream == nil {
		return nil, snap, ctrl.Result{RequeueAfter: pumpStartWait}, false
	}
	snap = stream.snapshot()
	if !snap.Synced {
		return nil, snap, ctrl.Result{}, false // the pump wakes us once the history is folded
	}
	before := sess.Status.Usage.DeepCopy()
	if counted, ok := r.countedUsage.Load(sess.UID); ok {
		before = counted.(*v1alpha1.SessionUsage)
	}
	sessionstatus.Apply(&sess.Status, &snap.State)
	countUsage(sess, before)
	if sess.Status.Usage != nil {
		r.countedUsage.Store(sess.UID, sess.Status.Usage.DeepCopy())
	}
	return stream, snap, ctrl.Result{}, true
}

// observePaused keeps a paused Session's status current: the agent goes on working remotely, and
// what it does still shows. Nothing is sent, and the generation is not marked observed, so spec
// changes made while paused are applied once the annotation is removed. The result says when to
// look again while the stream is starting.
func (r *SessionReconciler) observePaused(ctx context.Context, sess *v1alpha1.Session) ctrl.Result {
	if sess.Status.ID == "" || isFinished(sess.Status.Phase) {
		return ctrl.Result{}
	}
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return ctrl.Result{} // the unpaused reconcile reports credential problems
	}
	_, snap, result, ok := r.observe(sess, api)
	if !ok {
		return result
	}
	r.setPhase(sess, sessionstatus.Phase(sess, &snap.State))
	if isFinished(sess.Status.Phase) {
		r.Pump.Stop(client.ObjectKeyFromObject(sess))
	}
	return ctrl.Result{}
}

// setPhase records a phase and its conditions, with an Event when the Session finishes.
func (r *SessionReconciler) setPhase(sess *v1alpha1.Session, pr sessionstatus.Result) {
	st := &sess.Status
	previous := st.Phase
	st.Phase = pr.Phase
	gen := sess.Generation
	turn := metav1.ConditionFalse
	if pr.TurnComplete {
		turn = metav1.ConditionTrue
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionTurnComplete, turn, pr.Reason, pr.Message)
	action := metav1.ConditionFalse
	if pr.Phase == v1alpha1.SessionRequiresAction {
		action = metav1.ConditionTrue
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionActionRequired, action, pr.Reason, pr.Message)
	ready, readyReason := metav1.ConditionTrue, string(pr.Phase)
	if pr.Phase == v1alpha1.SessionFailed || pr.Phase == v1alpha1.SessionTerminated || pr.Phase == v1alpha1.SessionTimedOut {
		ready = metav1.ConditionFalse
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionReady, ready, readyReason, pr.Message)
	if !isFinished(pr.Phase) {
		r.announced.Delete(sess.UID)
		st.CompletionTime = nil
		setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionFalse, string(pr.Phase), pr.Message)
		return
	}
	if previous != pr.Phase || st.CompletionTime == nil {
		now := metav1.Now()
		st.CompletionTime = &now
		// A stale cache can show the previous phase once more; this process announces each end once.
		if last, ok := r.announced.Load(sess.UID); ok && last == pr.Phase {
			setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionTrue, string(pr.Phase), pr.Message)
			return
		}
		r.announced.Store(sess.UID, pr.Phase)
		eventType := corev1.EventTypeNormal
		if pr.Phase != v1alpha1.SessionSucceeded {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(sess, nil, eventType, string(pr.Phase), "Finish", "Session %s: %s", pr.Phase, pr.Message)
		metrics.SessionsFinished.WithLabelValues(sess.Namespace, string(pr.Phase), pr.Reason).Inc()
	}
	setCondition(&st.Conditions, gen, v1alpha1.ConditionFinished, metav1.ConditionTrue, string(pr.Phase), pr.Message)
}

// observeGeneration marks status and every condition as describing the current generation, so
// `kubectl wait --for=condition=Launched` keeps working after the spec changes.
func observeGeneration(sess *v1alpha1.Session) {
	sess.Status.ObservedGeneration = sess.Generation
	for i := range sess.Status.Conditions {
		sess.Status.Conditions[i].ObservedGeneration = sess.Generation
	}
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
	r.setPhase(sess, sessionstatus.Result{Phase: v1alpha1.SessionTimedOut, TurnComplete: true, Reason: string(v1alpha1.SessionTimedOut),
		Message: "spec.timeout of " + sess.Spec.Timeout.Duration.String() + " passed"})
	r.Pump.Stop(client.ObjectKeyFromObject(sess))
	return r.afterFinished(ctx, sess)
}
