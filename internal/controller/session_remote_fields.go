// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// syncRemoteFields keeps the remote session's title, metadata and budget as the spec says. It reads
// the session when the spec changed, or when the resync period passed (someone may have edited it
// out of band), and updates it only when something differs. The API merges metadata, so a key that
// is no longer desired is deleted by name.
//
// It never holds up the session's own steering: a failure shows in the RemoteFieldsSynced
// condition (with a Warning Event when it is new), and the fields are tried again at the next spec
// change or resync period, not on every reconcile.
func (r *SessionReconciler) syncRemoteFields(ctx context.Context, s *sessionScope, api managedagents.Client) {
	sess := s.sess
	specChanged := sess.Status.ObservedGeneration > 0 && sess.Status.ObservedGeneration != sess.Generation
	updated := r.remoteUpdated(s) // a session.updated event: check now, not at the next resync
	if !specChanged && !updated && !r.resync.due(sess) {
		return
	}
	r.resync.markVerified(sess)
	err := r.updateIfDiffers(ctx, sess, api, specChanged)
	gen := sess.Generation
	if err == nil {
		setCondition(&sess.Status.Conditions, gen, v1alpha1.ConditionRemoteFieldsSynced, metav1.ConditionTrue, ReasonUpToDate,
			"the remote session's title, metadata and budget match the spec")
		return
	}
	f := classifyFailure(err)
	msg := "the remote session's title, metadata or budget could not be set: " + f.message
	logf.FromContext(ctx).Info("Could not sync the remote session's fields; will try at the next spec change or resync", "sessionID", sess.Status.ID, "error", f.message)
	if setCondition(&sess.Status.Conditions, gen, v1alpha1.ConditionRemoteFieldsSynced, metav1.ConditionFalse, ReasonFieldsRejected, msg) {
		r.Recorder.Eventf(sess, nil, corev1.EventTypeWarning, string(ReasonFieldsRejected), "Update", "%s", msg)
	}
}

// updateIfDiffers reads the remote session and updates the fields that differ from the spec.
func (r *SessionReconciler) updateIfDiffers(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client, specChanged bool) error {
	remote, err := api.GetSession(ctx, sess.Status.ID)
	if err != nil {
		return err
	}
	title, owner := defaultTitle(sess), ownerMetadata(sess)
	drift := managedagents.SessionDrift(&sess.Spec, title, owner, remote)
	if len(drift) == 0 {
		return nil
	}
	params, deletes, err := managedagents.UpdateSessionParams(&sess.Spec, title, owner, remote)
	if err != nil {
		return err
	}
	if _, err := api.UpdateSession(ctx, sess.Status.ID, params, deletes...); err != nil {
		return err
	}
	if !specChanged {
		metrics.DriftCorrections.WithLabelValues("Session").Inc()
		logf.FromContext(ctx).Info("Corrected the remote session's out-of-band changes", "sessionID", sess.Status.ID, "fields", drift)
		r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, string(ReasonDriftCorrected), "Update",
			"Restored %s of remote session %s, changed outside the operator", strings.Join(drift, ", "), sess.Status.ID)
	}
	return nil
}

// defaultTitle is the remote session's title when spec.title is empty: namespace/name, which says
// where the session came from in the Anthropic console.
func defaultTitle(sess *v1alpha1.Session) string {
	return sess.Namespace + "/" + sess.Name
}

// nextLook is when a followed Session must be reconciled even if nothing happens: at spec.timeout
// or at the next resync, whichever comes first.
func (r *SessionReconciler) nextLook(sess *v1alpha1.Session) time.Duration {
	next := r.resync.untilDue(sess)
	if t := untilTimeout(sess); t > 0 && t < next {
		next = t
	}
	return next
}
