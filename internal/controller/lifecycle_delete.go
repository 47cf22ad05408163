// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
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
// does not leave its remote twin behind. When the key Secret went first (a namespace deletion), the
// last key read from it releases the remote object; when none is known, deletion gives up after
// releaseGiveUpAfter instead of holding the object, and its namespace, forever.
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
		return d.letGo(ctx, obj, f)
	}
	api, remembered, err := d.apis.forRelease(ctx, obj.GetNamespace(), f.APIKeySecretRef)
	if err == nil {
		err = d.release(ctx, obj, f, api)
	}
	switch {
	case err == nil:
		return d.letGo(ctx, obj, f)
	case noKeyToRelease(err, remembered):
		return d.waitOrAbandon(ctx, obj, f, err)
	default:
		return d.deletionBlocked(obj, f, err)
	}
}

// release archives or deletes the remote object. One that is gone already is released.
func (d *lifecycle[O]) release(ctx context.Context, obj O, f managedFields, api managedagents.Client) error {
	id := *f.ID
	if id == "" {
		var err error
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

// noKeyToRelease reports whether a release failed for want of a usable API key: the Secret or its
// key is gone and no key of it is known, or the remembered key of a deleted Secret was refused.
func noKeyToRelease(err error, remembered bool) bool {
	var credErr *CredentialError
	return errors.As(err, &credErr) || (remembered && classifyFailure(err).reason == ReasonUnauthorized)
}

// waitOrAbandon waits a bounded time for the credentials to come back, then lets the object go and
// leaves its remote twin in place, saying so.
func (d *lifecycle[O]) waitOrAbandon(ctx context.Context, obj O, f managedFields, err error) (ctrl.Result, error) {
	fl := classifyFailure(err)
	giveUp, retryAfter := giveUpRelease(obj)
	if !giveUp {
		gen := obj.GetGeneration()
		msg := keyWaitMessage(actionVerb(f.Deletion)+" "+d.target(f), fl.message, d.noun)
		changed := setSynced(f.Conditions, gen, false, fl.reason, fl.message)
		if setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", ReasonDeletionBlocked, msg) || changed {
			d.event(obj, corev1.EventTypeWarning, ReasonDeletionBlocked, "Delete", "%s", msg)
		}
		return ctrl.Result{RequeueAfter: retryAfter}, nil
	}
	abandonRemote(ctx, d.recorder, obj, d.kind, d.noun, *f.ID, fl.message)
	return d.letGo(ctx, obj, f)
}

// deletionBlocked shows why the remote object could not be released and how to let go of it.
func (d *lifecycle[O]) deletionBlocked(obj O, f managedFields, err error) (ctrl.Result, error) {
	fl := classifyFailure(err)
	gen := obj.GetGeneration()
	msg := fmt.Sprintf("cannot %s %s: %s; fix it, or set spec.deletionPolicy: Retain to let go",
		actionVerb(f.Deletion), d.target(f), fl.message)
	changed := setSynced(f.Conditions, gen, false, fl.reason, fl.message)
	changed = setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", ReasonDeletionBlocked, msg) || changed
	if changed {
		d.event(obj, corev1.EventTypeWarning, ReasonDeletionBlocked, "Delete", "%s", msg)
	}
	return fl.result, fl.err
}

// letGo removes the finalizer and forgets the object.
func (d *lifecycle[O]) letGo(ctx context.Context, obj O, f managedFields) (ctrl.Result, error) {
	controllerutil.RemoveFinalizer(obj, Finalizer)
	d.resync.forget(obj.GetUID())
	if err := d.client.Update(ctx, obj); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	}
	d.apis.released(ctx, obj, f.APIKeySecretRef)
	return ctrl.Result{}, nil
}

// target names the remote object in messages: "remote agent agent_01…", or "the remote agent" when
// its id never reached status.
func (d *lifecycle[O]) target(f managedFields) string {
	if id := *f.ID; id != "" {
		return "remote " + d.noun + " " + id
	}
	return "the remote " + d.noun
}

// actionVerb is the verb of a release action in messages.
func actionVerb(a releaseAction) string {
	if a == releaseDelete {
		return "delete"
	}
	return "archive"
}
