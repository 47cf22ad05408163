package controller

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
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
// A failed spec-change sync is returned: the spec asks for something that did not happen. A failed
// resync check is only logged and tried again after the next period, so that a flaky API never holds
// up following the session.
func (r *SessionReconciler) syncRemoteFields(ctx context.Context, sess *v1alpha1.Session, api managedagents.Client) error {
	specChanged := sess.Status.ObservedGeneration != 0 && sess.Status.ObservedGeneration != sess.Generation
	if !specChanged && !r.resync.due(sess) {
		return nil
	}
	err := r.updateIfDiffers(ctx, sess, api, specChanged)
	if err != nil && !specChanged {
		logf.FromContext(ctx).Info("Could not compare the remote session with the spec; will try at the next resync", "error", err.Error())
		err = nil
	}
	if err == nil {
		r.resync.markVerified(sess)
	}
	return err
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
	params, deletes, err := managedagents.UpdateSessionParams(&sess.Spec, title, owner, remote.Metadata)
	if err != nil {
		return err
	}
	if _, err := api.UpdateSession(ctx, sess.Status.ID, params, deletes...); err != nil {
		return err
	}
	if !specChanged {
		metrics.DriftCorrections.WithLabelValues("Session").Inc()
		logf.FromContext(ctx).Info("Corrected the remote session's out-of-band changes", "sessionID", sess.Status.ID, "fields", drift)
		r.Recorder.Eventf(sess, nil, corev1.EventTypeNormal, ReasonDriftCorrected, "Update",
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
	if t := r.untilTimeout(sess); t > 0 && t < next {
		next = t
	}
	return next
}
