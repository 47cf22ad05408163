// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// pumpStartWait is how soon to look again when the pump has not started yet.
const pumpStartWait = time.Second

// follow folds what the stream saw into status, keeps the remote title, metadata and budget in line,
// enforces spec.timeout, and sends what the spec asks for.
func (r *SessionReconciler) follow(ctx context.Context, s *sessionScope) (ctrl.Result, error) {
	sess := s.sess
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return r.failed(s, err)
	}
	stream, snap, result, ok := r.followStream(s, api)
	if !ok {
		return result, nil
	}
	// Before syncRemoteFields, which takes the resync that resources also wait for.
	resourcesErr := r.syncResources(ctx, s, api, snap.State.Status)
	r.syncRemoteFields(ctx, s, api)
	if timedOut(sess) {
		return r.timeout(ctx, s, api, &snap)
	}
	if err := r.interact(ctx, s, api, stream, &snap); err != nil {
		return r.failed(s, err)
	}
	s.handled = true
	if resourcesErr != nil {
		return r.failed(s, resourcesErr) // transient: Synced says so, and the backoff tries again
	}
	return earliest(ctrl.Result{RequeueAfter: r.nextLook(sess)}, ctrl.Result{RequeueAfter: r.awaitOutcome(s, &snap.State)}), nil
}

// followStream starts or finds the session's stream and folds what it has seen into status. ok is
// false while there is nothing to act on yet (the stream is starting, or has not folded the history
// since it connected); result then says when to look again, if the pump will not wake us.
func (r *SessionReconciler) followStream(s *sessionScope, api managedagents.Client) (*sessionstream.Stream, sessionstream.Snapshot, ctrl.Result, bool) {
	sess := s.sess
	stream := r.Pump.Follow(sess, api)
	if stream == nil {
		return nil, sessionstream.Snapshot{}, ctrl.Result{RequeueAfter: pumpStartWait}, false
	}
	snap := stream.Snapshot()
	if snap.AuthError != "" {
		s.syncErr = &managedagents.Error{Kind: managedagents.KindTerminal, StatusCode: 401, Message: "event stream: " + snap.AuthError}
	}
	if snap.Gone {
		s.decide, s.inputs.Gone = true, true
		return nil, snap, ctrl.Result{}, false
	}
	if !snap.Synced {
		return nil, snap, ctrl.Result{}, false // the pump wakes us once the history is folded
	}
	r.foldIntoStatus(sess, &snap)
	s.decide, s.inputs.State = true, &snap.State
	return stream, snap, ctrl.Result{}, true
}

// foldIntoStatus copies the stream's state into status and counts the usage it added.
func (r *SessionReconciler) foldIntoStatus(sess *v1alpha1.Session, snap *sessionstream.Snapshot) {
	key := client.ObjectKeyFromObject(sess)
	before := r.memory.get(key, sess.UID).countedUsage
	if before == nil {
		before = sess.Status.Usage.DeepCopy()
	}
	sessionstatus.Apply(&sess.Status, &snap.State)
	sess.Status.EventCount = snap.EventCount // never past an event whose Kubernetes Event is missing
	countUsage(sess, before)
	if usage := sess.Status.Usage; usage != nil {
		r.memory.update(key, sess.UID, func(m *sessionMemory) { m.countedUsage = usage.DeepCopy() })
	}
}

// followPaused keeps a paused Session's status current: the agent goes on working remotely, and
// what it does still shows. Nothing is sent, and the generation is not marked observed, so spec
// changes made while paused are applied once the annotation is removed.
func (r *SessionReconciler) followPaused(ctx context.Context, s *sessionScope) ctrl.Result {
	if s.sess.Status.ID == "" {
		s.decide = true // Pending, and saying so
		return ctrl.Result{}
	}
	api, err := r.apiClient(ctx, s.sess)
	if err != nil {
		return ctrl.Result{} // the unpaused reconcile reports credential problems
	}
	_, _, result, _ := r.followStream(s, api)
	return result
}

// timedOut reports whether spec.timeout has passed since launch.
func timedOut(sess *v1alpha1.Session) bool {
	t := sess.Spec.Timeout
	return t != nil && sess.Status.StartTime != nil && time.Since(sess.Status.StartTime.Time) >= t.Duration
}

// untilTimeout is how long until spec.timeout passes, or 0 without one.
func untilTimeout(sess *v1alpha1.Session) time.Duration {
	if sess.Spec.Timeout == nil || sess.Status.StartTime == nil {
		return 0
	}
	return max(time.Until(sess.Status.StartTime.Add(sess.Spec.Timeout.Duration)), time.Second)
}

// timeout interrupts a running turn (once) and ends the Session as TimedOut.
func (r *SessionReconciler) timeout(ctx context.Context, s *sessionScope, api managedagents.Client, snap *sessionstream.Snapshot) (ctrl.Result, error) {
	if working(snap.State.Status) {
		if err := r.interruptOnce(ctx, s.sess, api, snap, ""); err != nil {
			return r.failed(s, err)
		}
	}
	s.inputs.TimedOut, s.handled = true, true
	return ctrl.Result{}, nil
}

// working reports whether a remote status means a turn is in progress.
func working(remoteStatus string) bool {
	return remoteStatus == sessionevents.StatusRunning || remoteStatus == sessionevents.StatusRescheduling
}

// failed records a failed step: Synced shows it, and the error decides when to try again.
func (r *SessionReconciler) failed(s *sessionScope, err error) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	s.syncErr = err
	f := classifyFailure(err)
	return f.result, f.err
}
