// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// idlePollInterval is how often deletion checks whether an interrupted session went idle.
const idlePollInterval = time.Second

// DefaultDeleteTimeout is how long deleting a running Session waits for its interrupted remote
// session to go idle before it is deleted or archived anyway (--session-delete-timeout).
const DefaultDeleteTimeout = time.Minute

// reconcileDelete releases the remote session per spec.deletionPolicy, then the finalizer. A running
// session is interrupted once and given DeleteTimeout to go idle. A Session whose launch never
// reported back (a lost create response, a crash between create and status write) is looked up by
// its UID, as launch does, so that deletion never leaves a billed remote session running.
func (r *SessionReconciler) reconcileDelete(ctx context.Context, s *sessionScope) (ctrl.Result, error) {
	sess := s.sess
	if !controllerutil.ContainsFinalizer(sess, Finalizer) {
		return ctrl.Result{}, nil
	}
	if v1alpha1.IsPaused(sess.GetAnnotations()) {
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonPaused,
			"deletion waits: annotation "+v1alpha1.AnnotationPaused+" is \"true\"")
		return ctrl.Result{}, nil
	}
	if sess.Spec.DeletionPolicy != v1alpha1.SessionDeletionRetain {
		done, remembered, err := r.releaseRemote(ctx, sess)
		if err != nil && noKeyToRelease(err, remembered) {
			return r.waitOrAbandon(ctx, s, err)
		}
		if err != nil {
			res, ferr := r.failed(s, err)
			msg := fmt.Sprintf("cannot release remote session %s: %s; fix it, or set spec.deletionPolicy: Retain to let go", sess.Status.ID, classifyFailure(err).message)
			if setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonDeletionBlocked, msg) {
				r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(ReasonDeletionBlocked), "Delete", "%s", msg)
			}
			return res, ferr
		}
		if !done {
			return ctrl.Result{RequeueAfter: idlePollInterval}, nil
		}
	}
	return r.letGo(ctx, sess)
}

// letGo forgets the Session and removes its finalizer.
func (r *SessionReconciler) letGo(ctx context.Context, sess *v1alpha1.Session) (ctrl.Result, error) {
	r.forget(client.ObjectKeyFromObject(sess))
	r.Credentials.Released(ctx, sess, sess.Spec.APIKeySecretRef)
	controllerutil.RemoveFinalizer(sess, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Update(ctx, sess))
}

// waitOrAbandon handles a deletion with no usable API key (the key Secret went first, as in a
// namespace deletion, and this process never read it): it waits a bounded time for the key to
// come back, then lets the Session go and says that its remote session is left in place.
func (r *SessionReconciler) waitOrAbandon(ctx context.Context, s *sessionScope, err error) (ctrl.Result, error) {
	sess := s.sess
	f := classifyFailure(err)
	if giveUp, retryAfter := giveUpRelease(sess); !giveUp {
		msg := keyWaitMessage("release remote session "+sess.Status.ID, f.message, "session")
		if setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonDeletionBlocked, msg) {
			r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(ReasonDeletionBlocked), "Delete", "%s", msg)
		}
		return ctrl.Result{RequeueAfter: retryAfter}, nil
	}
	abandonRemote(ctx, r.Recorder, sess, "Session", "session", sess.Status.ID, f.message)
	return r.letGo(ctx, sess)
}

// releaseRemote archives or deletes the remote session; it reports false while it waits for an
// interrupted session to go idle. The key is the Secret's, or the last one this process read from it
// when the Secret is already gone (remembered).
func (r *SessionReconciler) releaseRemote(ctx context.Context, sess *v1alpha1.Session) (done, remembered bool, err error) {
	key, remembered, err := r.Credentials.APIKeyForRelease(ctx, sess.Namespace, sess.Spec.APIKeySecretRef)
	if err != nil {
		return false, false, err
	}
	api := r.Factory.For(key)
	remote, err := r.remoteToRelease(ctx, api, sess)
	if managedagents.IsNotFound(err) || (err == nil && remote == nil) {
		return true, remembered, nil
	}
	if err != nil {
		return false, remembered, err
	}
	if working(string(remote.Status)) {
		if err := r.interruptForDeletion(ctx, sess, api, remote.ID); err != nil {
			return false, remembered, err
		}
		waited := time.Since(sess.DeletionTimestamp.Time)
		if waited < r.DeleteTimeout {
			return false, remembered, nil
		}
		logf.FromContext(ctx).Info("Session still running after the deletion timeout; trying anyway", "sessionID", remote.ID, "waited", waited)
	}
	return true, remembered, r.applyDeletionPolicy(ctx, sess, api, remote)
}

// remoteToRelease is the remote session of a deleted Session: the one in status, the one this
// process launched, or one carrying the Session's UID. nil means none was ever created.
func (r *SessionReconciler) remoteToRelease(ctx context.Context, api managedagents.Client, sess *v1alpha1.Session) (*managedagents.Session, error) {
	id := sess.Status.ID
	if id == "" {
		id = r.memory.get(client.ObjectKeyFromObject(sess), sess.UID).launched
	}
	if id != "" {
		return api.GetSession(ctx, id)
	}
	found, err := findLaunched(ctx, api, sess, sess.Spec.AgentID)
	if found != nil {
		logf.FromContext(ctx).Info("Found the remote session of a Session deleted before its launch reported back", "sessionID", found.ID)
		sess.Status.ID = found.ID
	}
	return found, err
}

// interruptForDeletion interrupts a running session once per deletion in this process: the wait for
// idle polls every second, and each poll must not send another interrupt.
func (r *SessionReconciler) interruptForDeletion(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, id string) error {
	key := client.ObjectKeyFromObject(sess)
	if r.memory.get(key, sess.UID).deletionInterrupted {
		return nil
	}
	if err := api.SendEvents(ctx, id, managedagents.InterruptEvent()); err != nil && !managedagents.IsConflict(err) {
		return err
	}
	r.memory.update(key, sess.UID, func(m *sessionMemory) { m.deletionInterrupted = true })
	return nil
}

func (r *SessionReconciler) applyDeletionPolicy(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, remote *managedagents.Session) error {
	var err error
	reason := ReasonArchived
	switch {
	case sess.Spec.DeletionPolicy == v1alpha1.SessionDeletionDelete:
		reason, err = ReasonDeleted, api.DeleteSession(ctx, remote.ID)
	case remote.ArchivedAt.IsZero():
		err = api.ArchiveSession(ctx, remote.ID)
	}
	if err != nil && !managedagents.IsNotFound(err) {
		return err
	}
	logf.FromContext(ctx).Info("Released remote session", "sessionID", remote.ID, "policy", sess.Spec.DeletionPolicy)
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(reason), "Delete", "%s remote session %s", reason, remote.ID)
	return nil
}
