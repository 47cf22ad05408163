// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"slices"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// ResolveAgentSkills returns a copy of an Agent's skills with every skillRef resolved through skills
// (Skill name -> its status): the entry gets the Skill's remote id and, unless it pins a version, the
// Skill's latest version, so that a new Skill version changes the desired agent and makes a new agent
// version. It also returns, sorted, the names of referenced Skills that have no remote id or version
// yet (not found or not Ready): the Agent waits for those.
func ResolveAgentSkills(in []v1alpha1.AgentSkill, skills map[string]v1alpha1.SkillStatus) ([]v1alpha1.AgentSkill, []string) {
	out := slices.Clone(in)
	var waiting []string
	for i, s := range out {
		if s.SkillRef == nil {
			continue
		}
		st, ok := skills[s.SkillRef.Name]
		if !ok || st.ID == "" || st.LatestVersion == "" {
			waiting = append(waiting, s.SkillRef.Name)
			continue
		}
		out[i].Type, out[i].SkillID = v1alpha1.SkillCustom, st.ID
		if s.Version == "" {
			out[i].Version = st.LatestVersion
		}
	}
	slices.Sort(waiting)
	return out, waiting
}
