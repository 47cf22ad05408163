// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// reconcileDelete honors the deletion policy, then releases the finalizer. An object whose id never
// reached status (a create whose answer was lost) is looked up by UID first, so that deleting it
// does not leave its remote twin behind.
func (d *lifecycle[O]) reconcileDelete(ctx context.Context, obj O) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, Finalizer) {
		return ctrl.Result{}, nil
	}
	if v1alpha1.IsPaused(obj.GetAnnotations()) {
		d.markPaused(obj, "deletion waits until it is removed")
		return ctrl.Result{}, nil
	}
	f := d.remote.fields(obj)
	if f.Deletion == releaseRetain {
		if id := *f.ID; id != "" {
			d.event(obj, corev1.EventTypeNormal, ReasonRetained, "Delete", "Left remote %s %s in place (deletionPolicy Retain)", d.noun, id)
		}
		return d.letGo(ctx, obj)
	}
	if err := d.release(ctx, obj, f); err != nil {
		return d.deletionBlocked(obj, f, err)
	}
	return d.letGo(ctx, obj)
}

// release archives or deletes the remote object. One that is gone already is released.
func (d *lifecycle[O]) release(ctx context.Context, obj O, f managedFields) error {
	api, err := d.apis.forRelease(ctx, obj.GetNamespace(), f.APIKeySecretRef)
	if err != nil {
		return err
	}
	id := *f.ID
	if id == "" {
		if id, err = d.remote.findByUID(ctx, api, obj.GetUID()); err != nil || id == "" {
			return err
		}
	}
	if err := d.remote.release(ctx, api, id, f.Deletion); err != nil && !managedagents.IsNotFound(err) {
		return err
	}
	reason := ReasonArchived
	if f.Deletion == releaseDelete {
		reason = ReasonDeleted
	}
	logf.FromContext(ctx).Info("Released remote "+d.noun, d.idKey(), id, "policy", f.Deletion)
	d.event(obj, corev1.EventTypeNormal, reason, "Delete", "%s remote %s %s", reason, d.noun, id)
	return nil
}

// deletionBlocked shows why the remote object could not be released and how to let go of it.
func (d *lifecycle[O]) deletionBlocked(obj O, f managedFields, err error) (ctrl.Result, error) {
	fl := classifyFailure(err)
	gen := obj.GetGeneration()
	target := d.noun
	if id := *f.ID; id != "" {
		target += " " + id
	}
	msg := fmt.Sprintf("cannot %s remote %s: %s; fix it, or set spec.deletionPolicy: Retain to let go",
		actionVerb(f.Deletion), target, fl.message)
	changed := setSynced(f.Conditions, gen, false, fl.reason, fl.message)
	changed = setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", ReasonDeletionBlocked, msg) || changed
	if changed {
		d.event(obj, corev1.EventTypeWarning, ReasonDeletionBlocked, "Delete", "%s", msg)
	}
	return fl.result, fl.err
}

// letGo removes the finalizer and forgets the object.
func (d *lifecycle[O]) letGo(ctx context.Context, obj O) (ctrl.Result, error) {
	controllerutil.RemoveFinalizer(obj, Finalizer)
	d.resync.forget(obj.GetUID())
	return ctrl.Result{}, client.IgnoreNotFound(d.client.Update(ctx, obj))
}

// actionVerb is the verb of a release action in messages.
func actionVerb(a releaseAction) string {
	if a == releaseDelete {
		return "delete"
	}
	return "archive"
}
