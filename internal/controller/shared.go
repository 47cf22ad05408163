// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// ownerMetadata is what the operator writes into every remote object's metadata, so it can find the
// object again after losing its id (a crash between create and status write).
func ownerMetadata(obj client.Object) map[string]string {
	return map[string]string{
		v1alpha1.MetadataKeyUID:       string(obj.GetUID()),
		v1alpha1.MetadataKeyNamespace: obj.GetNamespace(),
		v1alpha1.MetadataKeyName:      obj.GetName(),
	}
}

// configHash fingerprints the desired remote configuration, so an unchanged spec costs no API call.
func configHash(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, _ := json.Marshal(p)
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// statusPatch is a merge patch of status that fails on a stale resourceVersion. Without the lock, a
// patch computed from a stale cache could omit a field that changed A->B->A and leave B on the server.
// The object's own resourceVersion is used: it is the cache's, or newer when this reconcile updated
// the object (a finalizer), which leaves status untouched.
func statusPatch(original, obj client.Object) client.Patch {
	base := original.DeepCopyObject().(client.Object)
	base.SetResourceVersion(obj.GetResourceVersion())
	return client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
}

// patchStatusIfChanged writes an Agent's or Environment's status only when it changed, so that a
// no-op reconcile costs no write, and never for an object about to vanish.
func patchStatusIfChanged(ctx context.Context, c client.Client, kind string, original, obj client.Object, changed bool) error {
	if !changed || released(obj) {
		return nil
	}
	metrics.StatusPatches.WithLabelValues(kind).Inc()
	return client.IgnoreNotFound(c.Status().Patch(ctx, obj, statusPatch(original, obj)))
}

// released reports whether a deleted object's finalizer is gone: it is about to vanish and its status
// is not worth a write. An object that never got its finalizer (paused from creation) is not
// released: its status is where it says it is paused.
func released(obj client.Object) bool {
	return !obj.GetDeletionTimestamp().IsZero() && !controllerutil.ContainsFinalizer(obj, Finalizer)
}

// conflictRequeue is how soon a reconcile that hit a stale cache looks again.
const conflictRequeue = 250 * time.Millisecond

// quietConflict turns a write conflict (our cache was stale) into a plain requeue: the next reconcile
// reads the fresh object. Other errors pass through.
func quietConflict(result ctrl.Result, err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRequeue}, nil
	}
	return result, err
}

// isReady reports whether the Ready condition is True.
func isReady(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady)
}

// nowTime is the current time at the precision the API server stores.
func nowTime() metav1.Time {
	return metav1.NewTime(time.Now().Truncate(time.Second))
}
