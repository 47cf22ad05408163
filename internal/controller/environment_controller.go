package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// EnvironmentReconciler makes a remote environment match each Environment.
type EnvironmentReconciler struct {
	client.Client
	Factory     *managedagents.Factory
	Credentials *Credentials
	Recorder    events.EventRecorder
	resync      *resyncTracker
}

// Reconcile compares one Environment with its remote environment and closes the gap.
func (r *EnvironmentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	env := &v1alpha1.Environment{}
	if err := r.Get(ctx, req.NamespacedName, env); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := env.DeepCopy()
	result, err := r.reconcileEnvironment(ctx, env)
	changed := !equality.Semantic.DeepEqual(original.Status, env.Status)
	if err := patchStatusIfChanged(ctx, r.Client, "Environment", original, env, changed); err != nil {
		return quietConflict(ctrl.Result{}, err)
	}
	return quietConflict(result, err)
}

func (r *EnvironmentReconciler) reconcileEnvironment(ctx context.Context, env *v1alpha1.Environment) (ctrl.Result, error) {
	if !env.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, env)
	}
	if v1alpha1.IsPaused(env.GetAnnotations()) {
		r.setReady(env, false, ReasonPaused, "annotation "+v1alpha1.AnnotationPaused+" is \"true\": no remote writes until it is removed")
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(env, Finalizer) {
		if err := r.Update(ctx, env); err != nil {
			return ctrl.Result{}, err
		}
	}
	result, err := r.sync(ctx, env)
	if err != nil {
		return r.fail(env, err)
	}
	return result, nil
}

// remoteName is the remote environment's name: spec.name, or namespace-name so that Environments of
// different namespaces never collide in the organization-wide name space.
func remoteName(env *v1alpha1.Environment) string {
	if env.Spec.Name != "" {
		return env.Spec.Name
	}
	return env.Namespace + "-" + env.Name
}

func (r *EnvironmentReconciler) sync(ctx context.Context, env *v1alpha1.Environment) (ctrl.Result, error) {
	key, err := r.Credentials.APIKey(ctx, env.Namespace, env.Spec.APIKeySecretRef)
	if err != nil {
		return ctrl.Result{}, err
	}
	api := r.Factory.For(key)
	name, owner := remoteName(env), ownerMetadata(env)
	hash := configHash(env.Spec, name, owner)
	upToDate := env.Status.ID != "" && env.Status.ConfigHash == hash &&
		env.Status.ObservedGeneration == env.Generation && isReady(env.Status.Conditions)
	if upToDate && !r.resync.due(env) {
		return ctrl.Result{RequeueAfter: r.resync.untilDue(env)}, nil
	}
	remote, reason, err := r.ensureRemote(ctx, api, env, name, owner)
	if err != nil {
		return ctrl.Result{}, err
	}
	if remote.ArchivedAt != "" {
		r.setReady(env, false, ReasonRemoteArchived, fmt.Sprintf(
			"remote environment %s was archived outside the operator; new sessions cannot use it. Delete this Environment and create it again", remote.ID))
		return ctrl.Result{}, nil
	}
	if drift := managedagents.EnvironmentDrift(&env.Spec, name, owner, remote); len(drift) > 0 {
		params, opts := managedagents.UpdateEnvironmentParams(&env.Spec, name, owner, remote)
		if remote, err = api.UpdateEnvironment(ctx, remote.ID, params, opts...); err != nil {
			return ctrl.Result{}, err
		}
		if reason == "" {
			reason = ReasonUpdated
			if env.Status.ObservedGeneration == env.Generation && env.Status.ConfigHash == hash {
				reason = ReasonDriftCorrected
			}
		}
		if reason == ReasonDriftCorrected {
			metrics.DriftCorrections.WithLabelValues("Environment").Inc()
		}
		logf.FromContext(ctx).Info("Updated remote environment", "environmentID", remote.ID, "fields", drift, "reason", reason)
		r.Recorder.Eventf(env, nil, corev1.EventTypeNormal, reason, "Update", "Updated remote environment %s (%v)", remote.ID, drift)
	}
	if reason != "" {
		now := nowTime()
		env.Status.LastSyncTime = &now
	}
	env.Status.ID, env.Status.Name, env.Status.ConfigHash, env.Status.ObservedGeneration = remote.ID, remote.Name, hash, env.Generation
	r.setReady(env, true, ReasonUpToDate, fmt.Sprintf("remote environment %s matches the spec", remote.ID))
	return ctrl.Result{RequeueAfter: r.resync.markVerified(env)}, nil
}

// ensureRemote returns the remote environment: the one in status (recreated if it was deleted out of
// band), the adopted externalID, one left by an earlier crash (found by UID), or a new one.
func (r *EnvironmentReconciler) ensureRemote(ctx context.Context, api managedagents.Client, env *v1alpha1.Environment,
	name string, owner map[string]string) (*managedagents.Environment, string, error) {
	if id := env.Status.ID; id != "" {
		remote, err := api.GetEnvironment(ctx, id)
		if !managedagents.IsNotFound(err) || env.Spec.ExternalID != "" {
			return remote, "", err
		}
		r.Recorder.Eventf(env, nil, corev1.EventTypeWarning, ReasonRemoteNotFound, "Sync", "Remote environment %s was deleted outside the operator; creating a new one", id)
		env.Status.ID = ""
	}
	if id := env.Spec.ExternalID; id != "" {
		remote, err := api.GetEnvironment(ctx, id)
		return remote, ReasonAdopted, err
	}
	if remote, err := api.FindEnvironment(ctx, string(env.UID), ""); err != nil || remote != nil {
		return remote, ReasonAdopted, err
	}
	remote, err := api.CreateEnvironment(ctx, managedagents.NewEnvironmentParams(&env.Spec, name, owner))
	if managedagents.IsConflict(err) {
		return nil, "", r.nameConflict(ctx, api, name)
	}
	if err != nil {
		return nil, "", err
	}
	logf.FromContext(ctx).Info("Created remote environment", "environmentID", remote.ID, "remoteName", name)
	r.Recorder.Eventf(env, nil, corev1.EventTypeNormal, ReasonCreated, "Create", "Created remote environment %s (%s)", remote.ID, name)
	return remote, ReasonCreated, nil
}

// nameConflict explains a 409 on create: another remote environment holds the name. One that carries
// our UID would have been found already, so this one belongs to someone else.
func (r *EnvironmentReconciler) nameConflict(ctx context.Context, api managedagents.Client, name string) error {
	holder := "another environment"
	if other, err := api.FindEnvironment(ctx, "", name); err == nil && other != nil {
		holder = "remote environment " + other.ID
	}
	return &referenceError{reason: ReasonNameConflict, message: fmt.Sprintf(
		"the name %q is taken by %s that this operator did not create; set spec.name to another name, or spec.externalID to adopt it", name, holder)}
}

func (r *EnvironmentReconciler) fail(env *v1alpha1.Environment, err error) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	f := classifyFailure(err)
	if r.setReady(env, false, f.reason, f.message) {
		r.Recorder.Eventf(env, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
	}
	if f.reason == ReasonNameConflict {
		// The other holder may go away; look again at the resync period, not in a loop.
		return ctrl.Result{RequeueAfter: r.resync.periodFor(env)}, nil
	}
	return f.result, f.err
}

func (r *EnvironmentReconciler) setReady(env *v1alpha1.Environment, ready bool, reason, message string) bool {
	return setReady(&env.Status.Conditions, env.Generation, ready, reason, message)
}

// reconcileDelete honors spec.deletionPolicy, then releases the finalizer.
func (r *EnvironmentReconciler) reconcileDelete(ctx context.Context, env *v1alpha1.Environment) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(env, Finalizer) {
		return ctrl.Result{}, nil
	}
	if v1alpha1.IsPaused(env.GetAnnotations()) {
		r.setReady(env, false, ReasonPaused, "deletion waits: annotation "+v1alpha1.AnnotationPaused+" is \"true\"")
		return ctrl.Result{}, nil
	}
	if id := env.Status.ID; id != "" {
		if err := r.deleteRemote(ctx, env, id); err != nil {
			res, ferr := r.fail(env, err)
			r.setReady(env, false, ReasonDeletionBlocked, fmt.Sprintf(
				"cannot %s remote environment %s: %s; fix it, or set spec.deletionPolicy: Retain to let go",
				env.Spec.DeletionPolicy, id, classifyFailure(err).message))
			return res, ferr
		}
	}
	controllerutil.RemoveFinalizer(env, Finalizer)
	r.resync.forget(env.UID)
	return ctrl.Result{}, r.Update(ctx, env)
}

func (r *EnvironmentReconciler) deleteRemote(ctx context.Context, env *v1alpha1.Environment, id string) error {
	policy := env.Spec.DeletionPolicy
	if policy == v1alpha1.EnvironmentDeletionRetain {
		r.Recorder.Eventf(env, nil, corev1.EventTypeNormal, ReasonRetained, "Delete", "Left remote environment %s in place (deletionPolicy Retain)", id)
		return nil
	}
	key, err := r.Credentials.APIKey(ctx, env.Namespace, env.Spec.APIKeySecretRef)
	if err != nil {
		return err
	}
	api := r.Factory.For(key)
	reason := ReasonArchived
	if policy == v1alpha1.EnvironmentDeletionDelete {
		reason, err = ReasonDeleted, api.DeleteEnvironment(ctx, id)
	} else {
		err = api.ArchiveEnvironment(ctx, id)
	}
	if err != nil && !managedagents.IsNotFound(err) {
		if remote, getErr := api.GetEnvironment(ctx, id); getErr != nil || remote.ArchivedAt == "" || policy == v1alpha1.EnvironmentDeletionDelete {
			return err
		}
	}
	logf.FromContext(ctx).Info("Released remote environment", "environmentID", id, "policy", policy)
	r.Recorder.Eventf(env, nil, corev1.EventTypeNormal, reason, "Delete", "%s remote environment %s", reason, id)
	return nil
}
