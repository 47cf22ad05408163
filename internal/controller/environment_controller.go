// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// environmentRemote is the Environment's translation for the lifecycle driver: an Environment's
// spec to a remote environment and back.
type environmentRemote struct{}

var _ remoteKind[*v1alpha1.Environment] = environmentRemote{}

func (environmentRemote) fields(e *v1alpha1.Environment) managedFields {
	st := &e.Status
	deletion := releaseArchive
	switch e.Spec.DeletionPolicy {
	case v1alpha1.EnvironmentDeletionRetain:
		deletion = releaseRetain
	case v1alpha1.EnvironmentDeletionDelete:
		deletion = releaseDelete
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: e.Spec.APIKeySecretRef, ExternalID: e.Spec.ExternalID, Deletion: deletion,
	}
}

func (environmentRemote) connect(_ context.Context, e *v1alpha1.Environment, api managedagents.Client) (remoteConnection, error) {
	name, owner := remoteName(e), ownerMetadata(e)
	return &environmentConnection{api: api, env: e, name: name, owner: owner, hash: configHash(e.Spec, name, owner)}, nil
}

func (environmentRemote) findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error) {
	remote, err := api.FindEnvironment(ctx, string(uid), "")
	if err != nil || remote == nil {
		return "", err
	}
	return remote.ID, nil
}

func (environmentRemote) release(ctx context.Context, api managedagents.Client, id string, action releaseAction) error {
	if action == releaseDelete {
		return api.DeleteEnvironment(ctx, id)
	}
	err := api.ArchiveEnvironment(ctx, id)
	if err == nil || managedagents.IsNotFound(err) {
		return err
	}
	// Archiving an archived environment is refused; that is the outcome we want.
	if remote, getErr := api.GetEnvironment(ctx, id); getErr == nil && remote.ArchivedAt != "" {
		return nil
	}
	return err
}

// remoteName is the remote environment's name: spec.name, or namespace-name so that Environments of
// different namespaces never collide in the organization-wide name space.
func remoteName(env *v1alpha1.Environment) string {
	if env.Spec.Name != "" {
		return env.Spec.Name
	}
	return env.Namespace + "-" + env.Name
}

// environmentConnection is one Environment's desired remote environment, for one reconcile.
type environmentConnection struct {
	api   managedagents.Client
	env   *v1alpha1.Environment
	name  string
	owner map[string]string
	hash  string
}

func (c *environmentConnection) configHash() string { return c.hash }

func (c *environmentConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetEnvironment(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	return c.observed(remote), nil
}

func (c *environmentConnection) observed(remote *managedagents.Environment) observation {
	return observation{
		exists: true, id: remote.ID, detail: remote.Name, archived: remote.ArchivedAt != "",
		diff: managedagents.EnvironmentDrift(&c.env.Spec, c.name, c.owner, remote), remote: remote,
	}
}

// create makes the remote environment. Names are unique in the organization: a 409 means another
// environment holds the name, and one that carries this object's UID would have been found already.
func (c *environmentConnection) create(ctx context.Context) (observation, error) {
	remote, err := c.api.CreateEnvironment(ctx, managedagents.NewEnvironmentParams(&c.env.Spec, c.name, c.owner))
	if managedagents.IsConflict(err) {
		return observation{}, c.nameConflict(ctx)
	}
	if err != nil {
		return observation{}, err
	}
	return c.observed(remote), nil
}

// nameConflict explains a 409 on create: another remote environment that this operator did not
// create holds the name.
func (c *environmentConnection) nameConflict(ctx context.Context) error {
	holder := "another environment"
	if other, err := c.api.FindEnvironment(ctx, "", c.name); err == nil && other != nil {
		holder = "remote environment " + other.ID
	}
	return &referenceError{reason: ReasonNameConflict, message: fmt.Sprintf(
		"the name %q is taken by %s that this operator did not create; set spec.name to another name, or spec.externalID to adopt it", c.name, holder)}
}

func (c *environmentConnection) update(ctx context.Context, current observation) (observation, error) {
	params, opts := managedagents.UpdateEnvironmentParams(&c.env.Spec, c.name, c.owner, current.remote.(*managedagents.Environment))
	updated, err := c.api.UpdateEnvironment(ctx, current.id, params, opts...)
	if err != nil {
		return observation{}, err
	}
	return c.observed(updated), nil
}

func (c *environmentConnection) record(current observation, _ Reason) {
	c.env.Status.Name = current.remote.(*managedagents.Environment).Name
}
