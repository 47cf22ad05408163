// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// indexSkillRef maps Skills to the Agents that name them in spec.skills[].skillRef.
const indexSkillRef = "spec.skills.skillRef.name"

// skillRefIndex is the index function for indexSkillRef.
func skillRefIndex(o client.Object) []string {
	var names []string
	for _, s := range o.(*v1alpha1.Agent).Spec.Skills {
		if s.SkillRef != nil {
			names = append(names, s.SkillRef.Name)
		}
	}
	return names
}

// resolveSkills replaces each skillRef with the Skill's remote id and, unless the entry pins a
// version, the Skill's latest version: a new Skill version changes the desired agent, which makes a
// new agent version. Skills without a remote version yet leave the Agent waiting; the watch on
// Skills wakes it.
func (r agentRemote) resolveSkills(ctx context.Context, namespace string, spec *v1alpha1.AgentSpec) error {
	statuses := map[string]v1alpha1.SkillStatus{}
	for _, s := range spec.Skills {
		if s.SkillRef == nil {
			continue
		}
		var skill v1alpha1.Skill
		if err := r.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: s.SkillRef.Name}, &skill); err == nil {
			statuses[s.SkillRef.Name] = skill.Status
		} else if client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	resolved, waiting := managedagents.ResolveAgentSkills(spec.Skills, statuses)
	if len(waiting) > 0 {
		return &referenceError{reason: ReasonReferenceNotReady,
			message: fmt.Sprintf("spec.skills: Skill %s in %s has no remote version yet", strings.Join(waiting, ", "), namespace)}
	}
	spec.Skills = resolved
	return nil
}
