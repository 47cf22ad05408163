// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// maxConflictRetries bounds the re-read-and-retry loop on 409 (someone else updated the object).
const maxConflictRetries = 3

// Reconcile compares one object with its remote twin and closes the gap, then writes status once,
// and only when it changed.
func (d *lifecycle[O]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := d.newObject()
	if err := d.client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := obj.DeepCopyObject().(O)
	result, err := d.reconcile(ctx, obj)
	if obj.GetDeletionTimestamp().IsZero() {
		reportManagedProgress(obj, d.remote.fields(obj), v1alpha1.IsPaused(obj.GetAnnotations()))
	}
	changed := !equality.Semantic.DeepEqual(d.remote.fields(original).Status, d.remote.fields(obj).Status)
	if err := patchStatusIfChanged(ctx, d.client, d.kind, original, obj, changed); err != nil {
		return quietConflict(ctrl.Result{}, err)
	}
	return quietConflict(result, err)
}

func (d *lifecycle[O]) reconcile(ctx context.Context, obj O) (ctrl.Result, error) {
	if !obj.GetDeletionTimestamp().IsZero() {
		return d.reconcileDelete(ctx, obj)
	}
	if v1alpha1.IsPaused(obj.GetAnnotations()) {
		d.markPaused(obj, "no remote calls until it is removed; Ready shows the last sync")
		return ctrl.Result{}, nil
	}
	// A finalizer stored by this reconcile proves that no remote object exists yet: every create
	// comes after the finalizer is stored, and this Update would have conflicted had another process
	// stored it first. Such an object needs no search for an earlier create.
	neverCreated := false
	if controllerutil.AddFinalizer(obj, Finalizer) {
		if err := d.client.Update(ctx, obj); err != nil {
			return ctrl.Result{}, err
		}
		neverCreated = true
	}
	// After the Update, which replaced the object with the server's copy.
	f := d.remote.fields(obj)
	setPaused(f.Conditions, obj.GetGeneration(), false, "")
	return d.sync(ctx, obj, f, neverCreated)
}

// sync brings the remote object in line with the spec, calling the API only when the desired state
// changed, the last attempt failed, or the resync period passed.
func (d *lifecycle[O]) sync(ctx context.Context, obj O, f managedFields, neverCreated bool) (ctrl.Result, error) {
	api, err := d.apis.forSync(ctx, obj.GetNamespace(), f.APIKeySecretRef)
	if err != nil {
		return d.fail(obj, f, err, "")
	}
	conn, err := d.remote.connect(ctx, obj, api)
	if err != nil {
		return d.fail(obj, f, err, "")
	}
	hash := conn.configHash()
	if d.inSync(obj, f, hash) && !d.resync.due(obj) {
		return ctrl.Result{RequeueAfter: d.resync.untilDue(obj)}, nil
	}
	current, reason, err := d.findOrCreate(ctx, obj, f, api, conn, neverCreated)
	if err != nil {
		return d.fail(obj, f, err, hash)
	}
	// The id goes into status now, so that it is written even if the update below fails.
	*f.ID = current.id
	if current.archived {
		d.markArchived(obj, f, current)
		return ctrl.Result{}, nil
	}
	if current, err = d.converge(ctx, obj, f, conn, current, hash, &reason); err != nil {
		return d.fail(obj, f, err, hash)
	}
	d.recordSynced(obj, f, conn, current, hash, reason)
	return ctrl.Result{RequeueAfter: d.resync.markVerified(obj)}, nil
}

// inSync reports whether the last sync applied this desired state and nothing failed since.
func (d *lifecycle[O]) inSync(obj O, f managedFields, hash string) bool {
	return *f.ID != "" && d.applied(obj, f, hash) && isReady(*f.Conditions) && isSynced(*f.Conditions)
}

// applied reports whether status says this generation and desired state were applied.
func (d *lifecycle[O]) applied(obj O, f managedFields, hash string) bool {
	return appliedFor(*f.Conditions, obj.GetGeneration()) && *f.ConfigHash == hash && hash != ""
}

// findOrCreate returns the remote object and why it is this one: the id in status (reason ""),
// spec.externalID (Adopted), one an earlier create left behind, found by UID (Adopted), or a new
// one (Created).
func (d *lifecycle[O]) findOrCreate(ctx context.Context, obj O, f managedFields, api managedagents.Client,
	conn remoteConnection, neverCreated bool) (observation, Reason, error) {
	log := logf.FromContext(ctx)
	if id := *f.ID; id != "" {
		current, err := conn.observe(ctx, id)
		if err != nil || current.exists {
			return current, "", err
		}
		if f.ExternalID == "" {
			d.event(obj, corev1.EventTypeWarning, ReasonRemoteNotFound, "Sync",
				"Remote %s %s was deleted outside the operator; creating a new one", d.noun, id)
			log.Info("Remote object was deleted outside the operator", d.idKey(), id)
		}
	}
	if id := f.ExternalID; id != "" {
		current, err := conn.observe(ctx, id)
		if err == nil && !current.exists {
			err = &referenceError{reason: ReasonRemoteNotFound, message: fmt.Sprintf("spec.externalID: remote %s %s does not exist", d.noun, id)}
		}
		if err == nil && *f.ID != id {
			log.Info("Adopted remote "+d.noun, d.idKey(), id)
			d.event(obj, corev1.EventTypeNormal, ReasonAdopted, "Adopt", "Adopted remote %s %s (spec.externalID)", d.noun, id)
			return current, ReasonAdopted, nil
		}
		return current, "", err
	}
	if !neverCreated {
		if current, found, err := d.findEarlier(ctx, obj, api, conn); err != nil || found {
			return current, ReasonAdopted, err
		}
	}
	current, err := conn.create(ctx)
	if err != nil {
		return current, "", err
	}
	log.Info("Created remote "+d.noun, d.idKey(), current.id, "detail", current.detail)
	d.event(obj, corev1.EventTypeNormal, ReasonCreated, "Create", "Created remote %s %s%s", d.noun, current.id, parenthesized(current.detail))
	return current, ReasonCreated, nil
}

// findEarlier looks for a remote object that an earlier create made for this object but whose id
// never reached status (the answer was lost, or the process stopped before the status write).
func (d *lifecycle[O]) findEarlier(ctx context.Context, obj O, api managedagents.Client, conn remoteConnection) (observation, bool, error) {
	id, err := d.remote.findByUID(ctx, api, obj.GetUID())
	if err != nil || id == "" {
		return observation{}, false, err
	}
	current, err := conn.observe(ctx, id)
	if err != nil || !current.exists {
		return current, false, err
	}
	logf.FromContext(ctx).Info("Found remote "+d.noun+" created earlier for this object", d.idKey(), id)
	d.event(obj, corev1.EventTypeNormal, ReasonAdopted, "Adopt", "Found remote %s %s created earlier for this object", d.noun, id)
	return current, true, nil
}

// converge updates the remote object while it differs from the spec. A 409 means someone changed it
// since it was read: read it again and retry, a bounded number of times.
func (d *lifecycle[O]) converge(ctx context.Context, obj O, f managedFields, conn remoteConnection,
	current observation, hash string, reason *Reason) (observation, error) {
	for attempt := 0; len(current.diff) > 0; attempt++ {
		updated, err := conn.update(ctx, current)
		if managedagents.IsConflict(err) && attempt < maxConflictRetries {
			metrics.APIRetries.WithLabelValues("conflict").Inc()
			if current, err = conn.observe(ctx, current.id); err == nil && !current.exists {
				err = &managedagents.Error{Kind: managedagents.KindTransient, Message: fmt.Sprintf("remote %s disappeared during an update", d.noun)}
			}
			if err != nil {
				return current, err
			}
			continue
		}
		if err != nil {
			return current, err
		}
		d.noteUpdate(ctx, obj, f, hash, current.diff, updated, reason)
		return updated, nil
	}
	return current, nil
}

// noteUpdate logs and reports an update. A desired state that was applied already means the remote
// object drifted: someone changed it outside the operator.
func (d *lifecycle[O]) noteUpdate(ctx context.Context, obj O, f managedFields, hash string, diff []string, updated observation, reason *Reason) {
	eventReason := ReasonUpdated
	if d.applied(obj, f, hash) {
		eventReason = ReasonDriftCorrected
		metrics.DriftCorrections.WithLabelValues(d.kind).Inc()
	}
	if *reason == "" {
		*reason = eventReason
	}
	logf.FromContext(ctx).Info("Updated remote "+d.noun, d.idKey(), updated.id, "detail", updated.detail, "fields", diff, "reason", eventReason)
	d.event(obj, corev1.EventTypeNormal, eventReason, "Update", "Updated remote %s %s%s (%v)",
		d.noun, updated.id, parenthesized(updated.detail), diff)
}

// recordSynced writes what the successful sync established into status.
func (d *lifecycle[O]) recordSynced(obj O, f managedFields, conn remoteConnection, current observation, hash string, reason Reason) {
	conn.record(current, reason)
	if reason != "" || *f.ID != current.id {
		now := nowTime()
		*f.LastSyncTime = &now
	}
	*f.ID, *f.ConfigHash, *f.ObservedGeneration = current.id, hash, obj.GetGeneration()
	gen := obj.GetGeneration()
	setSynced(f.Conditions, gen, true, ReasonSynced, "the last call to the API succeeded")
	setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "True", ReasonUpToDate,
		fmt.Sprintf("remote %s %s%s matches the spec", d.noun, current.id, parenthesized(current.detail)))
}

// markArchived says that the remote object was archived outside the operator: it is read-only and
// can never match the spec again.
func (d *lifecycle[O]) markArchived(obj O, f managedFields, current observation) {
	gen := obj.GetGeneration()
	setSynced(f.Conditions, gen, true, ReasonSynced, "the last call to the API succeeded")
	msg := fmt.Sprintf("remote %s %s was archived outside the operator and is read-only; delete this %s and create it again to get a new remote %s",
		d.noun, current.id, d.kind, d.noun)
	if setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", ReasonRemoteArchived, msg) {
		d.event(obj, corev1.EventTypeWarning, ReasonRemoteArchived, "Sync", "%s", msg)
	}
}

// markPaused shows the paused annotation in the Paused condition. Ready keeps what the last sync
// established, so that a paused object stays usable by its dependents; an object paused before its
// first sync says so in Ready too.
func (d *lifecycle[O]) markPaused(obj O, what string) {
	f := d.remote.fields(obj)
	gen := obj.GetGeneration()
	msg := "annotation " + v1alpha1.AnnotationPaused + " is \"true\": " + what
	setPaused(f.Conditions, gen, true, msg)
	if !hasCondition(*f.Conditions, v1alpha1.ConditionReady) {
		setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", ReasonPaused, msg)
	}
}

// fail shows a failed attempt: Synced=False always; Ready=False when the failure means the remote
// object does not match the spec (a spec the API rejects, a missing reference, or a change not
// applied yet). A Warning Event goes out only when a condition changes, never for a retry.
func (d *lifecycle[O]) fail(obj O, f managedFields, err error, hash string) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	fl := classifyFailure(err)
	gen := obj.GetGeneration()
	changed := setSynced(f.Conditions, gen, false, fl.reason, fl.message)
	pending := *f.ID == "" || !appliedFor(*f.Conditions, gen) || (hash != "" && *f.ConfigHash != hash)
	if fl.spec || pending {
		changed = setCondition(f.Conditions, gen, v1alpha1.ConditionReady, "False", fl.reason, fl.message) || changed
	}
	if changed {
		d.event(obj, corev1.EventTypeWarning, fl.reason, "Sync", "%s", fl.message)
	}
	if fl.reason == ReasonNameConflict {
		// The other holder may go away; look again at the resync period, not in a loop.
		return ctrl.Result{RequeueAfter: d.resync.interval(obj)}, nil
	}
	return fl.result, fl.err
}

// event records an Event about obj with one of the reasons of conditions.go.
func (d *lifecycle[O]) event(obj O, eventType string, reason Reason, action, note string, args ...any) {
	d.recorder.Eventf(obj, nil, eventType, string(reason), action, note, args...)
}

// idKey is the log key of the remote id, e.g. "agentID".
func (d *lifecycle[O]) idKey() string { return d.noun + "ID" }

// parenthesized returns " (s)", or "" for an empty s.
func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
