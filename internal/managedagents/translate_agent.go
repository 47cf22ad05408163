// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"fmt"
	"maps"
	"slices"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// InvalidSpecError reports a spec that cannot be translated into an API request, for checks that
// the CRD schema cannot express (CEL cannot see inside free-form JSON). It is terminal: retrying
// without a spec change cannot succeed.
type InvalidSpecError struct {
	// Field is the path below spec, for example "tools[2].custom.inputSchema".
	Field string
	// Message says what is wrong with it.
	Message string
}

// Error implements error as "spec.<field>: <message>".
func (e *InvalidSpecError) Error() string {
	return fmt.Sprintf("spec.%s: %s", e.Field, e.Message)
}

func invalidSpec(field, format string, args ...any) *InvalidSpecError {
	return &InvalidSpecError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// NewAgentParams translates a resolved AgentSpec (name defaulted, system prompt read from its
// ConfigMap, multiagent names resolved to ids) into the create request. owner holds the operator's
// reserved metadata keys, merged over the user's metadata.
func NewAgentParams(spec *v1alpha1.AgentSpec, owner map[string]string) (anthropic.BetaAgentNewParams, error) {
	tools, err := agentTools(spec.Tools)
	if err != nil {
		return anthropic.BetaAgentNewParams{}, err
	}
	skills, err := skillParams(spec.Skills)
	if err != nil {
		return anthropic.BetaAgentNewParams{}, err
	}
	p := anthropic.BetaAgentNewParams{
		Name:       spec.Name,
		Model:      modelParams(spec.Model, false),
		MCPServers: mcpServerParams(spec.MCPServers),
		Skills:     skills,
		Metadata:   mergeMetadata(spec.Metadata, owner),
	}
	if spec.Description != "" {
		p.Description = param.NewOpt(spec.Description)
	}
	if spec.System != "" {
		p.System = param.NewOpt(spec.System)
	}
	for _, t := range tools {
		p.Tools = append(p.Tools, anthropic.BetaAgentNewParamsToolUnion{
			OfAgentToolset20260401: t.toolset, OfMCPToolset: t.mcp, OfCustom: t.custom,
		})
	}
	if spec.Multiagent != nil {
		if p.Multiagent, err = multiagentParams(spec.Multiagent); err != nil {
			return anthropic.BetaAgentNewParams{}, err
		}
	}
	if spec.ExecutionIdentity != nil {
		p.ExecutionIdentity = executionIdentityParams(spec.ExecutionIdentity)
	}
	return p, nil
}

// UpdateAgentParams translates a resolved AgentSpec into an update of remote. Every owned field is
// sent, so the update is a full replacement of tools, skills and MCP servers whatever the remote
// holds. Version is remote.Version, so a concurrent change fails with 409 instead of being
// overwritten. Metadata is a patch on the API side: the returned options delete, with JSON null,
// the remote keys that are no longer desired (a Go map cannot carry a null value).
func UpdateAgentParams(spec *v1alpha1.AgentSpec, owner map[string]string, remote *anthropic.BetaManagedAgentsAgent) (anthropic.BetaAgentUpdateParams, []option.RequestOption, error) {
	tools, err := agentTools(spec.Tools)
	if err != nil {
		return anthropic.BetaAgentUpdateParams{}, nil, err
	}
	skills, err := skillParams(spec.Skills)
	if err != nil {
		return anthropic.BetaAgentUpdateParams{}, nil, err
	}
	desired := mergeMetadata(spec.Metadata, owner)
	p := anthropic.BetaAgentUpdateParams{
		Version: param.NewOpt(remote.Version),
		Name:    param.NewOpt(spec.Name),
		// "" clears description and system on update, so they are always sent.
		Description: param.NewOpt(spec.Description),
		System:      param.NewOpt(spec.System),
		Model:       modelParams(spec.Model, true),
		Metadata:    desired,
		// Non-nil empty slices marshal as [], which clears the list; nil would keep the remote's.
		Tools:      make([]anthropic.BetaAgentUpdateParamsToolUnion, 0, len(tools)),
		MCPServers: nonNil(mcpServerParams(spec.MCPServers)),
		Skills:     nonNil(skills),
	}
	for _, t := range tools {
		p.Tools = append(p.Tools, anthropic.BetaAgentUpdateParamsToolUnion{
			OfAgentToolset20260401: t.toolset, OfMCPToolset: t.mcp, OfCustom: t.custom,
		})
	}
	switch {
	case spec.Multiagent != nil:
		if p.Multiagent, err = multiagentParams(spec.Multiagent); err != nil {
			return anthropic.BetaAgentUpdateParams{}, nil, err
		}
	case remote.JSON.Multiagent.Valid():
		p.Multiagent = param.NullStruct[anthropic.BetaManagedAgentsMultiagentParamsUnion]()
	}
	switch {
	case spec.ExecutionIdentity != nil:
		p.ExecutionIdentity = executionIdentityParams(spec.ExecutionIdentity)
	case remote.ExecutionIdentity.Type != "" && remote.ExecutionIdentity.Type != "service_account":
		p.ExecutionIdentity = executionIdentityParams(&v1alpha1.ExecutionIdentity{Type: v1alpha1.ExecutionIdentityServiceAccount})
	}
	return p, metadataDeletes(desired, remote.Metadata), nil
}

// modelParams builds the model object. On update the API replaces the model whole, so an unset
// speed is sent as "standard" rather than relying on how the server treats an omitted one; an unset
// effort is still omitted, which keeps the stored (resolved) effort.
func modelParams(m v1alpha1.ModelConfig, update bool) anthropic.BetaManagedAgentsModelConfigParams {
	p := anthropic.BetaManagedAgentsModelConfigParams{ID: m.ID, Speed: anthropic.BetaManagedAgentsModelConfigParamsSpeed(m.Speed)}
	if update && m.Speed == "" {
		p.Speed = anthropic.BetaManagedAgentsModelConfigParamsSpeedStandard
	}
	if m.Effort != "" {
		p.Effort.OfBetaManagedAgentsModelConfigsEffortBetaManagedAgentsEffortLevel = param.NewOpt(string(m.Effort))
	}
	if m.InferenceGeo != "" {
		p.InferenceGeo = param.NewOpt(m.InferenceGeo)
	}
	return p
}

func mcpServerParams(servers []v1alpha1.MCPServer) []anthropic.BetaManagedAgentsURLMCPServerParams {
	var out []anthropic.BetaManagedAgentsURLMCPServerParams
	for _, s := range servers {
		out = append(out, anthropic.BetaManagedAgentsURLMCPServerParams{Name: s.Name, URL: s.URL})
	}
	return out
}

// skillWireType maps the CRD's skill type to the API's.
var skillWireType = map[v1alpha1.SkillType]string{
	v1alpha1.SkillAnthropic: "anthropic",
	v1alpha1.SkillCustom:    "custom",
}

// skillParams translates resolved skills: a skillRef must already carry the Skill's id (see
// ResolveAgentSkills).
func skillParams(skills []v1alpha1.AgentSkill) ([]anthropic.BetaManagedAgentsSkillParamsUnion, error) {
	var out []anthropic.BetaManagedAgentsSkillParamsUnion
	for i, s := range skills {
		if s.SkillID == "" {
			name := ""
			if s.SkillRef != nil {
				name = s.SkillRef.Name
			}
			return nil, invalidSpec(fmt.Sprintf("skills[%d].skillRef", i), "Skill %q has no remote id yet", name)
		}
		version := optString(s.Version)
		if skillType(s) == v1alpha1.SkillCustom {
			out = append(out, anthropic.BetaManagedAgentsSkillParamsUnion{
				OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: s.SkillID, Version: version},
			})
			continue
		}
		out = append(out, anthropic.BetaManagedAgentsSkillParamsUnion{
			OfAnthropic: &anthropic.BetaManagedAgentsAnthropicSkillParams{SkillID: s.SkillID, Version: version},
		})
	}
	return out, nil
}

// skillType is the entry's type; a skillRef is always a custom skill.
func skillType(s v1alpha1.AgentSkill) v1alpha1.SkillType {
	if s.SkillRef != nil {
		return v1alpha1.SkillCustom
	}
	return s.Type
}

// multiagentParams builds the multiagent_20261001 form. Every level (advisor, subagents, workflows)
// is sent explicitly, with the documented default for an unset one, because an update onto an
// existing multiagent_20261001 config merges level by level and would otherwise keep a stale level.
func multiagentParams(m *v1alpha1.Multiagent) (anthropic.BetaManagedAgentsMultiagentParamsUnion, error) {
	p := &anthropic.BetaManagedAgentsMultiagent20261001Params{}
	if m.Advisor != nil && m.Advisor.Enabled {
		p.Advisor = anthropic.BetaManagedAgentsMultiagentAdvisorParamsOfEnabled(m.Advisor.Model)
	} else {
		disabled := anthropic.NewBetaManagedAgentsMultiagentAdvisorDisabledParams()
		p.Advisor.OfDisabled = &disabled
	}
	sub, err := delegationParams(m.Subagents, "multiagent.subagents")
	if err != nil {
		return anthropic.BetaManagedAgentsMultiagentParamsUnion{}, err
	}
	wf, err := delegationParams(m.Workflows, "multiagent.workflows")
	if err != nil {
		return anthropic.BetaManagedAgentsMultiagentParamsUnion{}, err
	}
	if sub != nil {
		p.Subagents.OfEnabled = &anthropic.BetaManagedAgentsMultiagentSubagentsEnabledParams{
			PredefinedAgents: sub.agents, InlineAgents: sub.inline,
		}
	} else {
		disabled := anthropic.NewBetaManagedAgentsMultiagentSubagentsDisabledParams()
		p.Subagents.OfDisabled = &disabled
	}
	if wf != nil {
		p.Workflows.OfEnabled = &anthropic.BetaManagedAgentsMultiagentWorkflowsEnabledParams{
			PredefinedAgents: wf.agents, InlineAgents: wf.inline,
		}
	} else {
		disabled := anthropic.NewBetaManagedAgentsMultiagentWorkflowsDisabledParams()
		p.Workflows.OfDisabled = &disabled
	}
	return anthropic.BetaManagedAgentsMultiagentParamsUnion{OfMultiagent20261001: p}, nil
}

// enabledDelegation is the shape shared by enabled subagents and workflows, whose SDK param types
// differ only in name.
type enabledDelegation struct {
	agents []anthropic.BetaManagedAgentsMultiagentPredefinedAgentParamsUnion
	inline anthropic.BetaManagedAgentsMultiagentInlineAgentsParamsUnion
}

// delegationParams translates one delegation; nil means disabled. Unset means the API default,
// enabled with no predefined agents.
func delegationParams(d *v1alpha1.MultiagentDelegation, field string) (*enabledDelegation, error) {
	if d != nil && !d.Enabled {
		return nil, nil
	}
	out := &enabledDelegation{}
	if d == nil {
		return out, nil
	}
	for i, a := range d.PredefinedAgents {
		if a.ID == "" {
			// The controller resolves names to ids before translating; an empty id would reach the
			// API as "" and fail with a less helpful message.
			return nil, invalidSpec(fmt.Sprintf("%s.predefinedAgents[%d]", field, i), "agent %q has no remote id yet", a.Name)
		}
		ref := &anthropic.BetaManagedAgentsAgentParams{ID: a.ID}
		if a.Version != nil {
			ref.Version = param.NewOpt(*a.Version)
		}
		out.agents = append(out.agents, anthropic.BetaManagedAgentsMultiagentPredefinedAgentParamsUnion{OfBetaManagedAgentsAgents: ref})
	}
	if d.InlineAgents != nil {
		if *d.InlineAgents {
			enabled := anthropic.NewBetaManagedAgentsMultiagentInlineAgentsEnabledParams()
			out.inline.OfEnabled = &enabled
		} else {
			disabled := anthropic.NewBetaManagedAgentsMultiagentInlineAgentsDisabledParams()
			out.inline.OfDisabled = &disabled
		}
	}
	return out, nil
}

func executionIdentityParams(e *v1alpha1.ExecutionIdentity) anthropic.BetaManagedAgentsExecutionIdentityParamsUnion {
	if e.Type == v1alpha1.ExecutionIdentityAWSRole {
		return anthropic.BetaManagedAgentsExecutionIdentityParamsOfAWSRole(e.RoleARN)
	}
	sa := anthropic.NewBetaManagedAgentsServiceAccountExecutionIdentityParams()
	return anthropic.BetaManagedAgentsExecutionIdentityParamsUnion{OfServiceAccount: &sa}
}

// mergeMetadata returns the user's metadata with the operator's reserved keys on top, or nil when
// both are empty (so that create omits the field).
func mergeMetadata(user map[string]string, owner map[string]string) map[string]string {
	if len(user) == 0 && len(owner) == 0 {
		return nil
	}
	out := make(map[string]string, len(user)+len(owner))
	maps.Copy(out, user)
	maps.Copy(out, owner)
	return out
}

// metadataDeletes returns one option per remote key that is not desired, setting it to JSON null in
// the request body: the metadata patch semantics of the agent, environment and session APIs. Keys
// are escaped because sjson reads dots (claude.anthropic.com/uid) as path separators.
func metadataDeletes(desired, remote map[string]string) []option.RequestOption {
	var opts []option.RequestOption
	for _, k := range slices.Sorted(maps.Keys(remote)) {
		if _, ok := desired[k]; !ok {
			opts = append(opts, option.WithJSONSet("metadata."+param.EscapeSJSONKey(k), nil))
		}
	}
	return opts
}

func optString(s string) param.Opt[string] {
	if s == "" {
		return param.Opt[string]{}
	}
	return param.NewOpt(s)
}

func optBool(b *bool) param.Opt[bool] {
	if b == nil {
		return param.Opt[bool]{}
	}
	return param.NewOpt(*b)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
