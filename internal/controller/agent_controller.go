// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Finalizer keeps an object until its remote twin has been archived, deleted or retained.
const Finalizer = "claude.anthropic.com/finalizer"

// agentRemote is the Agent's translation for the lifecycle driver: an Agent's spec to a remote
// agent and back. Everything else (finalizer, adoption, drift, status, deletion) is the driver's.
type agentRemote struct {
	// client reads the Agents named in a multiagent roster (cached).
	client client.Client
	// reader reads ConfigMaps without caching every ConfigMap of the cluster.
	reader client.Reader
}

var _ remoteKind[*v1alpha1.Agent] = agentRemote{}

func (agentRemote) fields(a *v1alpha1.Agent) managedFields {
	st := &a.Status
	deletion := releaseArchive
	if a.Spec.DeletionPolicy == v1alpha1.AgentDeletionRetain {
		deletion = releaseRetain
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: a.Spec.APIKeySecretRef, ExternalID: a.Spec.ExternalID, Deletion: deletion,
	}
}

func (r agentRemote) connect(ctx context.Context, a *v1alpha1.Agent, api managedagents.Client) (remoteConnection, error) {
	desired, err := r.desiredSpec(ctx, a)
	if err != nil {
		return nil, err
	}
	owner := ownerMetadata(a)
	return &agentConnection{api: api, agent: a, desired: desired, owner: owner, hash: configHash(desired, owner)}, nil
}

func (agentRemote) findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error) {
	remote, err := api.FindAgent(ctx, string(uid))
	if err != nil || remote == nil {
		return "", err
	}
	return remote.ID, nil
}

// release archives the remote agent; agents cannot be deleted.
func (agentRemote) release(ctx context.Context, api managedagents.Client, id string, _ releaseAction) error {
	_, err := api.ArchiveAgent(ctx, id)
	if err == nil || managedagents.IsNotFound(err) {
		return err
	}
	// Archiving an archived agent is refused as read-only; that is the outcome we want.
	if remote, getErr := api.GetAgent(ctx, id); getErr == nil && !remote.ArchivedAt.IsZero() {
		return nil
	}
	return err
}

// agentConnection is one Agent's desired remote agent, resolved for one reconcile.
type agentConnection struct {
	api     managedagents.Client
	agent   *v1alpha1.Agent
	desired *v1alpha1.AgentSpec
	owner   map[string]string
	hash    string
}

func (c *agentConnection) configHash() string { return c.hash }

func (c *agentConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetAgent(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	return c.observed(remote), nil
}

func (c *agentConnection) observed(remote *managedagents.Agent) observation {
	return observation{
		exists: true, id: remote.ID, detail: fmt.Sprintf("version %d", remote.Version),
		archived: !remote.ArchivedAt.IsZero(), diff: managedagents.AgentDrift(c.desired, c.owner, remote), remote: remote,
	}
}

func (c *agentConnection) create(ctx context.Context) (observation, error) {
	params, err := managedagents.NewAgentParams(c.desired, c.owner)
	if err != nil {
		return observation{}, err
	}
	remote, err := c.api.CreateAgent(ctx, params)
	if err != nil {
		return observation{}, err
	}
	metrics.AgentVersions.Inc()
	return c.observed(remote), nil
}

// update sends the version it read, so that a concurrent change answers 409 instead of being lost.
func (c *agentConnection) update(ctx context.Context, current observation) (observation, error) {
	remote := current.remote.(*managedagents.Agent)
	params, opts, err := managedagents.UpdateAgentParams(c.desired, c.owner, remote)
	if err != nil {
		return observation{}, err
	}
	updated, err := c.api.UpdateAgent(ctx, remote.ID, params, opts...)
	if err != nil {
		return observation{}, err
	}
	metrics.AgentVersions.Inc()
	return c.observed(updated), nil
}

// record keeps the remote version and a short history of the versions the operator saw appear.
func (c *agentConnection) record(current observation, reason Reason) {
	remote := current.remote.(*managedagents.Agent)
	st := &c.agent.Status
	if reason != "" || st.Version != remote.Version || st.ID != remote.ID {
		if reason == "" {
			reason = ReasonUpdated
		}
		st.VersionHistory = prependVersion(st.VersionHistory, v1alpha1.AgentVersionRecord{
			Version: remote.Version, ObservedGeneration: c.agent.Generation, Time: nowTime(), Reason: string(reason),
		})
	}
	st.Version = remote.Version
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
