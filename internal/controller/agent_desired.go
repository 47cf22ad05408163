// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// desiredSpec resolves everything the spec refers to into a self-contained copy: the default name,
// the system prompt from its ConfigMap, and Agents named in the multiagent roster.
func (r agentRemote) desiredSpec(ctx context.Context, agent *v1alpha1.Agent) (*v1alpha1.AgentSpec, error) {
	spec := agent.Spec.DeepCopy()
	if spec.Name == "" {
		spec.Name = agent.Name
	}
	if ref := spec.SystemFrom; ref != nil {
		system, err := r.readConfigMapKey(ctx, agent.Namespace, ref)
		if err != nil {
			return nil, err
		}
		spec.System, spec.SystemFrom = system, nil
	}
	if spec.Multiagent != nil {
		for _, d := range []*v1alpha1.MultiagentDelegation{spec.Multiagent.Subagents, spec.Multiagent.Workflows} {
			if err := r.resolveTargets(ctx, agent.Namespace, d); err != nil {
				return nil, err
			}
		}
	}
	if err := r.resolveSkills(ctx, agent.Namespace, spec); err != nil {
		return nil, err
	}
	return spec, nil
}

func (r agentRemote) readConfigMapKey(ctx context.Context, namespace string, ref *v1alpha1.ConfigMapKeyReference) (string, error) {
	var cm corev1.ConfigMap
	key := types.NamespacedName{Namespace: namespace, Name: ref.Name}
	if err := r.reader.Get(ctx, key, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &referenceError{reason: ReasonConfigMapNotFound, message: fmt.Sprintf("spec.systemFrom: ConfigMap %s not found", key)}
		}
		return "", err
	}
	value, ok := cm.Data[ref.Key]
	if !ok {
		return "", &referenceError{reason: ReasonConfigMapNotFound, message: fmt.Sprintf("spec.systemFrom: ConfigMap %s has no key %q", key, ref.Key)}
	}
	if len(value) > 100000 {
		return "", &referenceError{reason: ReasonInvalidSpec, message: fmt.Sprintf("spec.systemFrom: ConfigMap %s key %q holds %d characters; the API allows 100000", key, ref.Key, len(value))}
	}
	return value, nil
}

// resolveTargets replaces Agent names in a delegation roster with their remote ids.
func (r agentRemote) resolveTargets(ctx context.Context, namespace string, d *v1alpha1.MultiagentDelegation) error {
	if d == nil {
		return nil
	}
	for i := range d.PredefinedAgents {
		t := &d.PredefinedAgents[i]
		if t.Name == "" {
			continue
		}
		var target v1alpha1.Agent
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: t.Name}, &target); err != nil || target.Status.ID == "" {
			return &referenceError{reason: ReasonReferenceNotReady, message: fmt.Sprintf("spec.multiagent: Agent %s/%s is not ready yet", namespace, t.Name)}
		}
		t.ID, t.Name = target.Status.ID, ""
	}
	return nil
}
