package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// reconcileDelete honors spec.deletionPolicy, then releases the finalizer.
func (r *AgentReconciler) reconcileDelete(ctx context.Context, agent *v1alpha1.Agent) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(agent, Finalizer) {
		return ctrl.Result{}, nil
	}
	if v1alpha1.IsPaused(agent.GetAnnotations()) {
		r.setReady(agent, false, ReasonPaused, "deletion waits: annotation "+v1alpha1.AnnotationPaused+" is \"true\"")
		return ctrl.Result{}, nil
	}
	if id := agent.Status.ID; id != "" && agent.Spec.DeletionPolicy != v1alpha1.AgentDeletionRetain {
		if err := r.archive(ctx, agent, id); err != nil {
			res, ferr := r.fail(agent, err)
			r.setReady(agent, false, ReasonDeletionBlocked, fmt.Sprintf(
				"cannot archive remote agent %s: %s; fix it, or set spec.deletionPolicy: Retain to let go", id, classifyFailure(err).message))
			return res, ferr
		}
	} else if id != "" {
		r.Recorder.Eventf(agent, nil, corev1.EventTypeNormal, ReasonRetained, "Delete", "Left remote agent %s in place (deletionPolicy Retain)", id)
	}
	controllerutil.RemoveFinalizer(agent, Finalizer)
	r.resync.forget(agent.UID)
	return ctrl.Result{}, r.Update(ctx, agent)
}

func (r *AgentReconciler) archive(ctx context.Context, agent *v1alpha1.Agent, id string) error {
	api, err := r.apiClient(ctx, agent)
	if err != nil {
		return err
	}
	if _, err := api.ArchiveAgent(ctx, id); err != nil && !managedagents.IsNotFound(err) {
		// Archiving an archived agent is refused as read-only; that is the outcome we want.
		if remote, getErr := api.GetAgent(ctx, id); getErr != nil || remote.ArchivedAt.IsZero() {
			return err
		}
	}
	logf.FromContext(ctx).Info("Archived remote agent", "agentID", id)
	r.Recorder.Eventf(agent, nil, corev1.EventTypeNormal, ReasonArchived, "Delete", "Archived remote agent %s", id)
	return nil
}
