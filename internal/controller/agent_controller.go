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

// Finalizer keeps an object until its remote twin has been archived, deleted or retained.
const Finalizer = "claude.anthropic.com/finalizer"

// AgentReconciler makes a remote agent match each Agent.
type AgentReconciler struct {
	client.Client
	// Reader reads ConfigMaps without caching every ConfigMap of the cluster.
	Reader      client.Reader
	Factory     *managedagents.Factory
	Credentials *Credentials
	Recorder    events.EventRecorder
	resync      *resyncTracker
}

// Reconcile compares one Agent with its remote agent and closes the gap. See reconcileAgent.
func (r *AgentReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	agent := &v1alpha1.Agent{}
	if err := r.Get(ctx, req.NamespacedName, agent); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	original := agent.DeepCopy()
	result, err := r.reconcileAgent(ctx, agent)
	changed := !equality.Semantic.DeepEqual(original.Status, agent.Status)
	if err := patchStatusIfChanged(ctx, r.Client, "Agent", original, agent, changed); err != nil {
		return quietConflict(ctrl.Result{}, err)
	}
	return quietConflict(result, err)
}

func (r *AgentReconciler) reconcileAgent(ctx context.Context, agent *v1alpha1.Agent) (ctrl.Result, error) {
	if !agent.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, agent)
	}
	if v1alpha1.IsPaused(agent.GetAnnotations()) {
		r.setReady(agent, false, ReasonPaused, "annotation "+v1alpha1.AnnotationPaused+" is \"true\": no remote writes until it is removed")
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(agent, Finalizer) {
		if err := r.Update(ctx, agent); err != nil {
			return ctrl.Result{}, err
		}
	}
	result, err := r.sync(ctx, agent)
	if err != nil {
		return r.fail(agent, err)
	}
	return result, nil
}

// sync brings the remote agent in line with the spec, calling the API only when the spec or a
// referenced ConfigMap changed, or the resync period passed.
func (r *AgentReconciler) sync(ctx context.Context, agent *v1alpha1.Agent) (ctrl.Result, error) {
	api, err := r.apiClient(ctx, agent)
	if err != nil {
		return ctrl.Result{}, err
	}
	desired, err := r.desiredSpec(ctx, agent)
	if err != nil {
		return ctrl.Result{}, err
	}
	owner := ownerMetadata(agent)
	hash := configHash(desired, owner)
	upToDate := agent.Status.ID != "" && agent.Status.ConfigHash == hash &&
		agent.Status.ObservedGeneration == agent.Generation && isReady(agent.Status.Conditions)
	if upToDate && !r.resync.due(agent) {
		return ctrl.Result{RequeueAfter: r.resync.untilDue(agent)}, nil
	}

	remote, reason, err := r.ensureRemote(ctx, api, agent, desired, owner)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !remote.ArchivedAt.IsZero() {
		r.setReady(agent, false, ReasonRemoteArchived, fmt.Sprintf(
			"remote agent %s was archived outside the operator and is read-only; delete this Agent and create it again to get a new remote agent", remote.ID))
		return ctrl.Result{}, nil
	}
	remote, err = r.updateIfDrifted(ctx, api, agent, desired, owner, remote, &reason)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.recordSynced(agent, remote, hash, reason)
	return ctrl.Result{RequeueAfter: r.resync.markVerified(agent)}, nil
}

// ensureRemote returns the remote agent: the one in status, the adopted externalID, one left by an
// earlier crash (found by UID), or a new one. It records the id in status straight away.
func (r *AgentReconciler) ensureRemote(ctx context.Context, api managedagents.Client, agent *v1alpha1.Agent,
	desired *v1alpha1.AgentSpec, owner map[string]string) (*managedagents.Agent, string, error) {
	log := logf.FromContext(ctx)
	if id := agent.Status.ID; id != "" {
		remote, err := api.GetAgent(ctx, id)
		return remote, "", err
	}
	if id := agent.Spec.ExternalID; id != "" {
		remote, err := api.GetAgent(ctx, id)
		if err != nil {
			return nil, "", err
		}
		log.Info("Adopted remote agent", "agentID", id)
		return remote, ReasonAdopted, nil
	}
	if remote, err := api.FindAgent(ctx, string(agent.UID)); err != nil || remote != nil {
		if remote != nil {
			log.Info("Found remote agent created earlier for this object", "agentID", remote.ID)
		}
		return remote, ReasonAdopted, err
	}
	params, err := managedagents.NewAgentParams(desired, owner)
	if err != nil {
		return nil, "", err
	}
	remote, err := api.CreateAgent(ctx, params)
	if err != nil {
		return nil, "", err
	}
	metrics.AgentVersions.Inc()
	log.Info("Created remote agent", "agentID", remote.ID, "version", remote.Version)
	r.Recorder.Eventf(agent, nil, corev1.EventTypeNormal, ReasonCreated, "Create", "Created remote agent %s (version %d)", remote.ID, remote.Version)
	return remote, ReasonCreated, nil
}

// maxConflictRetries bounds the re-read-and-retry loop on 409 (someone else updated the agent).
const maxConflictRetries = 3

// updateIfDrifted updates the remote agent when its owned fields differ from the spec, sending the
// version it read so a concurrent change is never overwritten blindly.
func (r *AgentReconciler) updateIfDrifted(ctx context.Context, api managedagents.Client, agent *v1alpha1.Agent,
	desired *v1alpha1.AgentSpec, owner map[string]string, remote *managedagents.Agent, reason *string) (*managedagents.Agent, error) {
	for attempt := 0; ; attempt++ {
		drift := managedagents.AgentDrift(desired, owner, remote)
		if len(drift) == 0 {
			return remote, nil
		}
		params, opts, err := managedagents.UpdateAgentParams(desired, owner, remote)
		if err != nil {
			return nil, err
		}
		updated, err := api.UpdateAgent(ctx, remote.ID, params, opts...)
		if managedagents.IsConflict(err) && attempt < maxConflictRetries {
			metrics.APIRetries.WithLabelValues("conflict").Inc()
			if remote, err = api.GetAgent(ctx, remote.ID); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		r.noteUpdate(ctx, agent, updated, drift, reason)
		return updated, nil
	}
}

// noteUpdate logs and reports an update. A spec that did not change means the remote drifted.
func (r *AgentReconciler) noteUpdate(ctx context.Context, agent *v1alpha1.Agent, updated *managedagents.Agent, drift []string, reason *string) {
	if *reason == "" {
		*reason = ReasonUpdated
		if agent.Status.ObservedGeneration == agent.Generation && agent.Status.ConfigHash != "" {
			*reason = ReasonDriftCorrected
		}
	}
	metrics.AgentVersions.Inc()
	if *reason == ReasonDriftCorrected {
		metrics.DriftCorrections.WithLabelValues("Agent").Inc()
	}
	logf.FromContext(ctx).Info("Updated remote agent", "agentID", updated.ID, "version", updated.Version, "fields", drift, "reason", *reason)
	r.Recorder.Eventf(agent, nil, corev1.EventTypeNormal, *reason, "Update",
		"Updated remote agent %s to version %d (%v)", updated.ID, updated.Version, drift)
}

// recordSynced writes what the successful sync established into status.
func (r *AgentReconciler) recordSynced(agent *v1alpha1.Agent, remote *managedagents.Agent, hash, reason string) {
	st := &agent.Status
	if reason != "" || st.Version != remote.Version || st.ID != remote.ID {
		now := nowTime()
		st.LastSyncTime = &now
		if reason == "" {
			reason = ReasonUpdated
		}
		st.VersionHistory = prependVersion(st.VersionHistory, v1alpha1.AgentVersionRecord{
			Version: remote.Version, ObservedGeneration: agent.Generation, Time: now, Reason: reason,
		})
	}
	st.ID, st.Version, st.ConfigHash, st.ObservedGeneration = remote.ID, remote.Version, hash, agent.Generation
	r.setReady(agent, true, ReasonUpToDate, fmt.Sprintf("remote agent %s is at version %d and matches the spec", remote.ID, remote.Version))
}

// prependVersion adds a record at the front, skipping a duplicate and keeping the newest few.
func prependVersion(history []v1alpha1.AgentVersionRecord, rec v1alpha1.AgentVersionRecord) []v1alpha1.AgentVersionRecord {
	if len(history) > 0 && history[0].Version == rec.Version {
		return history
	}
	history = append([]v1alpha1.AgentVersionRecord{rec}, history...)
	if len(history) > v1alpha1.MaxAgentVersionHistory {
		history = history[:v1alpha1.MaxAgentVersionHistory]
	}
	return history
}

// fail shows a failed reconcile in the conditions, with a Warning Event only when the failure is new.
func (r *AgentReconciler) fail(agent *v1alpha1.Agent, err error) (ctrl.Result, error) {
	f := classifyFailure(err)
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	if r.setReady(agent, false, f.reason, f.message) {
		r.Recorder.Eventf(agent, nil, corev1.EventTypeWarning, f.reason, "Sync", "%s", f.message)
	}
	return f.result, f.err
}

func (r *AgentReconciler) setReady(agent *v1alpha1.Agent, ready bool, reason, message string) bool {
	return setReady(&agent.Status.Conditions, agent.Generation, ready, reason, message)
}

// apiClient returns the client for the Agent's credentials.
func (r *AgentReconciler) apiClient(ctx context.Context, agent *v1alpha1.Agent) (managedagents.Client, error) {
	key, err := r.Credentials.APIKey(ctx, agent.Namespace, agent.Spec.APIKeySecretRef)
	if err != nil {
		return nil, err
	}
	return r.Factory.For(key), nil
}
