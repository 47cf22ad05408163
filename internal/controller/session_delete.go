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

// reconcileDelete interrupts a running session, waits (bounded) for it to go idle, applies
// spec.deletionPolicy and releases the finalizer. A remote session that is gone already is fine.
func (r *SessionReconciler) reconcileDelete(ctx context.Context, sess *v1alpha1.Session) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(sess, Finalizer) {
		return ctrl.Result{}, nil
	}
	key := client.ObjectKeyFromObject(sess)
	if v1alpha1.IsPaused(sess.GetAnnotations()) {
		setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonPaused,
			"deletion waits: annotation "+v1alpha1.AnnotationPaused+" is \"true\"")
		return ctrl.Result{}, nil
	}
	if id := sess.Status.ID; id != "" && sess.Spec.DeletionPolicy != v1alpha1.SessionDeletionRetain {
		done, err := r.releaseRemote(ctx, sess, id)
		if err != nil {
			res, ferr := r.fail(sess, err)
			setCondition(&sess.Status.Conditions, sess.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, ReasonDeletionBlocked,
				fmt.Sprintf("cannot release remote session %s: %s; fix it, or set spec.deletionPolicy: Retain to let go", id, classifyFailure(err).message))
			return res, ferr
		}
		if !done {
			return ctrl.Result{RequeueAfter: idlePollInterval}, nil
		}
	}
	r.Pump.Stop(key)
	r.lastWrite.Delete(key)
	r.countedUsage.Delete(sess.UID)
	r.launched.Delete(sess.UID)
	r.announced.Delete(sess.UID)
	r.resync.forget(sess.UID)
	controllerutil.RemoveFinalizer(sess, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Update(ctx, sess))
}

// releaseRemote archives or deletes the remote session; it reports false while it waits for an
// interrupted session to go idle.
func (r *SessionReconciler) releaseRemote(ctx context.Context, sess *v1alpha1.Session, id string) (bool, error) {
	api, err := r.apiClient(ctx, sess)
	if err != nil {
		return false, err
	}
	remote, err := api.GetSession(ctx, id)
	if managedagents.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	waited := time.Since(sess.DeletionTimestamp.Time)
	if remote.Status == "running" || remote.Status == "rescheduling" {
		if err := api.SendEvents(ctx, id, managedagents.InterruptEvent()); err != nil && !managedagents.IsConflict(err) {
			return false, err
		}
		if waited < r.DeleteTimeout {
			return false, nil
		}
		logf.FromContext(ctx).Info("Session still running after the deletion timeout; trying anyway", "sessionID", id, "waited", waited)
	}
	return true, r.applyDeletionPolicy(ctx, sess, api, remote)
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
	r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, reason, "Delete", "%s remote session %s", reason, remote.ID)
	return nil
}
