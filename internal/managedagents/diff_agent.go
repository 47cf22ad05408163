// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// AgentDrift compares a resolved AgentSpec with the remote agent and returns the sorted API names
// of the top-level fields that differ ("model", "system", "tools", ...), or nil when in sync.
//
// Only what the operator owns is compared, and the server's resolved defaults are accepted: an
// unset effort matches any effort, an unset speed matches "standard", toolset configs are compared
// only on the fields the spec sets, an unpinned skill matches any version, and so on. An agent
// created from NewAgentParams (or updated from UpdateAgentParams) is therefore in sync as the API
// returns it, and a difference means someone changed the agent out of band.
func AgentDrift(spec *v1alpha1.AgentSpec, owner map[string]string, remote *anthropic.BetaManagedAgentsAgent) []string {
	var d drift
	d.check("name", spec.Name == remote.Name)
	d.check("description", spec.Description == remote.Description)
	d.check("system", spec.System == remote.System)
	d.check("model", modelInSync(spec.Model, remote))
	d.check("tools", toolsInSync(spec.Tools, remote.Tools))
	d.check("mcp_servers", mcpServersInSync(spec.MCPServers, remote.MCPServers))
	d.check("skills", skillsInSync(spec.Skills, remote.Skills))
	d.check("multiagent", multiagentInSync(spec.Multiagent, remote))
	d.check("execution_identity", executionIdentityInSync(spec.ExecutionIdentity, remote.ExecutionIdentity))
	d.check("metadata", maps.Equal(mergeMetadata(spec.Metadata, owner), remote.Metadata))
	return d.result()
}

// drift collects the names of fields that are out of sync.
type drift struct{ fields []string }

func (d *drift) check(field string, inSync bool) {
	if !inSync {
		d.fields = append(d.fields, field)
	}
}

func (d *drift) result() []string {
	if len(d.fields) == 0 {
		return nil
	}
	slices.Sort(d.fields)
	return d.fields
}

func modelInSync(want v1alpha1.ModelConfig, remote *anthropic.BetaManagedAgentsAgent) bool {
	got := remote.Model
	if got.ID != want.ID || got.InferenceGeo != want.InferenceGeo {
		return false
	}
	// The API resolves an unset effort to the model's default at save time.
	if want.Effort != "" && wireType(remote.Model.JSON.Effort.Raw()) != string(want.Effort) {
		return false
	}
	speed, wantSpeed := string(got.Speed), string(want.Speed)
	if speed == "" {
		speed = "standard"
	}
	if wantSpeed == "" {
		wantSpeed = "standard"
	}
	return speed == wantSpeed
}

// wireType reads a value that the API sends either as a bare string ("high") or as an object with
// a type ({"type":"high"}), from its raw JSON. It returns "" for null or anything else.
func wireType(raw string) string {
	var v any
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		s, _ := t["type"].(string)
		return s
	}
	return ""
}

func mcpServersInSync(want []v1alpha1.MCPServer, got []anthropic.BetaManagedAgentsMCPServerURLDefinition) bool {
	if len(want) != len(got) {
		return false
	}
	urls := make(map[string]string, len(got))
	for _, s := range got {
		urls[s.Name] = s.URL
	}
	for _, s := range want {
		if u, ok := urls[s.Name]; !ok || u != s.URL {
			return false
		}
	}
	return len(urls) == len(want)
}

// skillsInSync matches skills by (type, skill_id); the version only counts when the spec pins it,
// since the API resolves an unpinned version to the latest at save time.
func skillsInSync(want []v1alpha1.AgentSkill, got []anthropic.BetaManagedAgentsAgentSkillUnion) bool {
	if len(want) != len(got) {
		return false
	}
	versions := make(map[string]string, len(got))
	for _, s := range got {
		versions[s.Type+"/"+s.SkillID] = s.Version
	}
	for _, s := range want {
		v, ok := versions[skillWireType[skillType(s)]+"/"+s.SkillID]
		if !ok || (s.Version != "" && v != s.Version) {
			return false
		}
	}
	return len(versions) == len(want)
}

// multiagentInSync compares the multiagent_20261001 config. An unset spec means the remote must be
// null. Within it, unset levels are compared with the defaults that NewAgentParams sends for them
// (advisor disabled, subagents and workflows enabled), and an unset inlineAgents matches anything.
func multiagentInSync(want *v1alpha1.Multiagent, remote *anthropic.BetaManagedAgentsAgent) bool {
	if want == nil || !remote.JSON.Multiagent.Valid() {
		return want == nil && !remote.JSON.Multiagent.Valid()
	}
	got := remote.Multiagent
	if got.Type != "multiagent_20261001" {
		return false
	}
	if want.Advisor != nil && want.Advisor.Enabled {
		if got.Advisor.Type != "enabled" || got.Advisor.Model != want.Advisor.Model {
			return false
		}
	} else if got.Advisor.Type != "disabled" {
		return false
	}
	return delegationInSync(want.Subagents, got.Subagents.Type, got.Subagents.PredefinedAgents, got.Subagents.InlineAgents.Type) &&
		delegationInSync(want.Workflows, got.Workflows.Type, got.Workflows.PredefinedAgents, got.Workflows.InlineAgents.Type)
}

func delegationInSync(want *v1alpha1.MultiagentDelegation, gotType string, gotAgents []anthropic.BetaManagedAgentsAgentReference, gotInline string) bool {
	if want != nil && !want.Enabled {
		return gotType == "disabled"
	}
	if gotType != "enabled" {
		return false
	}
	if want == nil {
		return len(gotAgents) == 0
	}
	if want.InlineAgents != nil && gotInline != enabledWire(*want.InlineAgents) {
		return false
	}
	if len(want.PredefinedAgents) != len(gotAgents) {
		return false
	}
	// The API resolves an unpinned reference to the version that was latest at save time.
	versions := make(map[string]int64, len(gotAgents))
	for _, a := range gotAgents {
		versions[a.ID] = a.Version
	}
	for _, a := range want.PredefinedAgents {
		v, ok := versions[a.ID]
		if !ok || (a.Version != nil && v != *a.Version) {
			return false
		}
	}
	return len(versions) == len(want.PredefinedAgents)
}

func enabledWire(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// executionIdentityInSync treats an unset spec as the default service account, which the API
// reports as {type:"service_account"}.
func executionIdentityInSync(want *v1alpha1.ExecutionIdentity, got anthropic.BetaManagedAgentsExecutionIdentityUnion) bool {
	if want == nil || want.Type == v1alpha1.ExecutionIdentityServiceAccount {
		return got.Type == "" || got.Type == "service_account"
	}
	return got.Type == "aws_role" && got.RoleARN == want.RoleARN
}
