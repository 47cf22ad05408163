// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// resolve finds the remote ids of what the spec names in this namespace, and reads its GitHub
// tokens. A referenced object that is not Ready for its current spec leaves the deployment waiting
// (ReferenceNotReady); a watch on Agents re-queues it when its Agent changes.
func (r deploymentRemote) resolve(ctx context.Context, d *v1alpha1.AgentDeployment) (managedagents.DeploymentInputs, error) {
	spec := &d.Spec
	in := managedagents.DeploymentInputs{Name: spec.Name, AgentID: spec.AgentID, EnvironmentID: spec.EnvironmentID, Owner: ownerMetadata(d)}
	if in.Name == "" {
		in.Name = d.Namespace + "/" + d.Name
	}
	if spec.AgentVersion != nil {
		in.AgentVersion = *spec.AgentVersion
	}
	if ref := spec.AgentRef; ref != nil {
		var agent v1alpha1.Agent
		if err := r.readyRef(ctx, d.Namespace, ref.Name, &agent, func() (string, int64, []metav1.Condition) {
			return agent.Status.ID, agent.Status.ObservedGeneration, agent.Status.Conditions
		}); err != nil {
			return in, err
		}
		// Without a pin the deployment follows the Agent: its current version is the desired one.
		in.AgentID, in.AgentVersion = agent.Status.ID, agent.Status.Version
		if ref.Version != nil {
			in.AgentVersion = *ref.Version
		}
	}
	if ref := spec.EnvironmentRef; ref != nil {
		var env v1alpha1.Environment
		if err := r.readyRef(ctx, d.Namespace, ref.Name, &env, func() (string, int64, []metav1.Condition) {
			return env.Status.ID, env.Status.ObservedGeneration, env.Status.Conditions
		}); err != nil {
			return in, err
		}
		in.EnvironmentID = env.Status.ID
	}
	for _, ref := range spec.VaultRefs {
		var vault v1alpha1.Vault
		if err := r.readyRef(ctx, d.Namespace, ref.Name, &vault, func() (string, int64, []metav1.Condition) {
			return vault.Status.ID, vault.Status.ObservedGeneration, vault.Status.Conditions
		}); err != nil {
			return in, err
		}
		in.VaultIDs = append(in.VaultIDs, vault.Status.ID)
	}
	return in, r.resolveResources(ctx, d, &in)
}

// resolveResources finds the MemoryStores of spec.resources and reads the GitHub tokens.
func (r deploymentRemote) resolveResources(ctx context.Context, d *v1alpha1.AgentDeployment, in *managedagents.DeploymentInputs) error {
	for i, res := range d.Spec.Resources {
		switch {
		case res.MemoryStore != nil && res.MemoryStore.MemoryStoreRef != nil:
			var store v1alpha1.MemoryStore
			if err := r.readyRef(ctx, d.Namespace, res.MemoryStore.MemoryStoreRef.Name, &store, func() (string, int64, []metav1.Condition) {
				return store.Status.ID, store.Status.ObservedGeneration, store.Status.Conditions
			}); err != nil {
				return err
			}
			if in.MemoryStoreIDs == nil {
				in.MemoryStoreIDs = map[int]string{}
			}
			in.MemoryStoreIDs[i] = store.Status.ID
		case res.GitHubRepository != nil && res.GitHubRepository.TokenSecretRef != nil:
			ref := res.GitHubRepository.TokenSecretRef
			key := ref.Key
			if key == "" {
				key = defaultGitHubTokenKey
			}
			token, err := readSecretKey(ctx, r.reader, types.NamespacedName{Namespace: d.Namespace, Name: ref.Name}, key)
			if err != nil {
				return err
			}
			if in.GitHubTokens == nil {
				in.GitHubTokens = map[int]string{}
			}
			in.GitHubTokens[i] = token
		}
	}
	return nil
}

// readyRef reads a referenced object and checks that it is usable: a remote id, Ready for its
// current generation (see current).
func (r deploymentRemote) readyRef(ctx context.Context, namespace, name string, obj client.Object, state func() (string, int64, []metav1.Condition)) error {
	err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)
	kind := kindOf(obj)
	if err != nil {
		return notReady(kind, namespace, name, err)
	}
	id, gen, conds := state()
	if !current(obj, id, gen, conds) {
		return notReady(kind, namespace, name, nil)
	}
	return nil
}

// kindOf names a referenced object's kind in messages.
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1alpha1.Agent:
		return "Agent"
	case *v1alpha1.Environment:
		return "Environment"
	case *v1alpha1.Vault:
		return "Vault"
	}
	return "MemoryStore"
}
