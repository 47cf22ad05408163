// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"fmt"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// toolParams is one translated tool. The create and update requests use different union types with
// the same three variants, so tools are built once and wrapped by each caller.
type toolParams struct {
	toolset *anthropic.BetaManagedAgentsAgentToolset20260401Params
	mcp     *anthropic.BetaManagedAgentsMCPToolsetParams
	custom  *anthropic.BetaManagedAgentsCustomToolParams
}

func agentTools(tools []v1alpha1.Tool) ([]toolParams, error) {
	out := make([]toolParams, 0, len(tools))
	for i, t := range tools {
		field := fmt.Sprintf("tools[%d]", i)
		var tp toolParams
		var err error
		switch {
		case t.AgentToolset != nil:
			tp.toolset, err = agentToolsetParams(t.AgentToolset, field+".agentToolset")
		case t.MCPToolset != nil:
			tp.mcp = mcpToolsetParams(t.MCPToolset)
		case t.Custom != nil:
			tp.custom, err = customToolParams(t.Custom, field+".custom")
		default:
			err = invalidSpec(field, "set one of agentToolset, mcpToolset or custom")
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tp)
	}
	return out, nil
}

// policyWire maps the CRD's permission policies to the API's permission_policy.type.
var policyWire = map[v1alpha1.PermissionPolicy]string{
	v1alpha1.PermissionAlwaysAllow: "always_allow",
	v1alpha1.PermissionAlwaysAsk:   "always_ask",
	v1alpha1.PermissionAuto:        "auto",
}

// policy holds the three variants that every permission_policy union of the SDK has. The unions
// are distinct Go types per tool, so callers copy these pointers into their own union.
type policy struct {
	allow *anthropic.BetaManagedAgentsAlwaysAllowPolicyParam
	ask   *anthropic.BetaManagedAgentsAlwaysAskPolicyParam
	auto  *anthropic.BetaManagedAgentsAutoPolicyParam
}

// newPolicy returns the variant for p; all nil (omitted, server default) when p is unset.
func newPolicy(p v1alpha1.PermissionPolicy) policy {
	switch p {
	case v1alpha1.PermissionAlwaysAllow:
		return policy{allow: &anthropic.BetaManagedAgentsAlwaysAllowPolicyParam{}}
	case v1alpha1.PermissionAlwaysAsk:
		return policy{ask: &anthropic.BetaManagedAgentsAlwaysAskPolicyParam{}}
	case v1alpha1.PermissionAuto:
		return policy{auto: &anthropic.BetaManagedAgentsAutoPolicyParam{}}
	}
	return policy{}
}

func agentToolsetParams(ts *v1alpha1.AgentToolset, field string) (*anthropic.BetaManagedAgentsAgentToolset20260401Params, error) {
	p := &anthropic.BetaManagedAgentsAgentToolset20260401Params{}
	if d := ts.DefaultConfig; d != nil {
		p.DefaultConfig.Enabled = optBool(d.Enabled)
		pol := newPolicy(d.PermissionPolicy)
		p.DefaultConfig.PermissionPolicy.OfAlwaysAllow, p.DefaultConfig.PermissionPolicy.OfAlwaysAsk, p.DefaultConfig.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
	}
	for i, c := range ts.Configs {
		u, err := builtinToolConfig(c, fmt.Sprintf("%s.configs[%d]", field, i))
		if err != nil {
			return nil, err
		}
		p.Configs = append(p.Configs, u)
	}
	return p, nil
}

// builtinToolConfig translates one per-tool override. Each built-in tool has its own SDK type.
func builtinToolConfig(c v1alpha1.BuiltinToolConfig, field string) (anthropic.BetaManagedAgentsAgentToolConfigParamsUnion, error) {
	var u anthropic.BetaManagedAgentsAgentToolConfigParamsUnion
	en, pol := optBool(c.Enabled), newPolicy(c.PermissionPolicy)
	switch c.Name {
	case "bash":
		t := &anthropic.BetaManagedAgentsBashToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfBash = t
	case "edit":
		t := &anthropic.BetaManagedAgentsEditToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfEdit = t
	case "read":
		t := &anthropic.BetaManagedAgentsReadToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfRead = t
	case "write":
		t := &anthropic.BetaManagedAgentsWriteToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfWrite = t
	case "glob":
		t := &anthropic.BetaManagedAgentsGlobToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfGlob = t
	case "grep":
		t := &anthropic.BetaManagedAgentsGrepToolConfigParams{Enabled: en}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfGrep = t
	case v1alpha1.BuiltinToolWebFetch:
		t, err := webFetchConfig(c, field)
		if err != nil {
			return u, err
		}
		t.Enabled = en
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		u.OfWebFetch = t
	case v1alpha1.BuiltinToolWebSearch:
		t := &anthropic.BetaManagedAgentsWebSearchToolConfigParams{Enabled: en, AllowedDomains: c.AllowedDomains, BlockedDomains: c.BlockedDomains}
		t.PermissionPolicy.OfAlwaysAllow, t.PermissionPolicy.OfAlwaysAsk, t.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		if l := c.UserLocation; l != nil {
			// Type is set so that an empty location is still sent ({"type":"approximate"}), not omitted.
			t.UserLocation = anthropic.BetaManagedAgentsUserLocationParam{Type: "approximate",
				City: optString(l.City), Region: optString(l.Region), Country: optString(l.Country), Timezone: optString(l.Timezone),
			}
		}
		u.OfWebSearch = t
	default:
		return u, invalidSpec(field+".name", "unknown built-in tool %q", c.Name)
	}
	return u, nil
}

func webFetchConfig(c v1alpha1.BuiltinToolConfig, field string) (*anthropic.BetaManagedAgentsWebFetchToolConfigParams, error) {
	t := &anthropic.BetaManagedAgentsWebFetchToolConfigParams{AllowedDomains: c.AllowedDomains, BlockedDomains: c.BlockedDomains}
	if c.MaxContentTokens != nil {
		t.MaxContentTokens = param.NewOpt(*c.MaxContentTokens)
	}
	s := c.URLSources
	if s == nil {
		return t, nil
	}
	if s.UserInput != nil {
		mode := urlSourceWire[s.UserInput.Mode]
		if mode != "all" && mode != "none" {
			// The API accepts only "all" or "none" for user input: tool filters name tools, and a
			// user message is not a tool result.
			return nil, invalidSpec(field+".urlSources.userInput.mode", "must be All or None, not %q", s.UserInput.Mode)
		}
		t.URLSources.UserInput.OfBetaManagedAgentsWebFetchURLSourceShorthand = param.NewOpt(anthropic.BetaManagedAgentsWebFetchURLSourceShorthand(mode))
	}
	var err error
	if t.URLSources.ClientToolResults, err = urlSourceFilter(s.ClientToolResults, field+".urlSources.clientToolResults"); err != nil {
		return nil, err
	}
	if t.URLSources.ServerToolResults, err = urlSourceFilter(s.ServerToolResults, field+".urlSources.serverToolResults"); err != nil {
		return nil, err
	}
	return t, nil
}

// urlSourceWire maps the CRD's URL source modes to the API's type strings.
var urlSourceWire = map[v1alpha1.URLSourceMode]string{"All": "all", "None": "none", "Only": "only", "Except": "except"}

// urlSourceFilter translates All/None to the API's shorthand strings and Only/Except to
// {type, tools:[{type:"tool_reference", name}]}.
func urlSourceFilter(p *v1alpha1.URLSourcePolicy, field string) (anthropic.BetaManagedAgentsWebFetchURLSourceToolFilterParamsUnion, error) {
	var u anthropic.BetaManagedAgentsWebFetchURLSourceToolFilterParamsUnion
	if p == nil {
		return u, nil
	}
	var refs []anthropic.BetaManagedAgentsWebFetchURLSourceToolReferenceParam
	for _, name := range p.Tools {
		refs = append(refs, anthropic.BetaManagedAgentsWebFetchURLSourceToolReferenceParam{Name: name})
	}
	switch mode := urlSourceWire[p.Mode]; mode {
	case "all", "none":
		u.OfBetaManagedAgentsWebFetchURLSourceShorthand = param.NewOpt(anthropic.BetaManagedAgentsWebFetchURLSourceShorthand(mode))
	case "only":
		f := anthropic.BetaManagedAgentsWebFetchURLSourceToolFilterParamOfOnly(refs)
		u.OfBetaManagedAgentsWebFetchURLSourceToolFilterUnion = &f
	case "except":
		f := anthropic.BetaManagedAgentsWebFetchURLSourceToolFilterParamOfExcept(refs)
		u.OfBetaManagedAgentsWebFetchURLSourceToolFilterUnion = &f
	default:
		return u, invalidSpec(field+".mode", "unknown mode %q", p.Mode)
	}
	return u, nil
}

func mcpToolsetParams(ts *v1alpha1.MCPToolset) *anthropic.BetaManagedAgentsMCPToolsetParams {
	p := &anthropic.BetaManagedAgentsMCPToolsetParams{MCPServerName: ts.MCPServerName}
	if d := ts.DefaultConfig; d != nil {
		p.DefaultConfig.Enabled = optBool(d.Enabled)
		pol := newPolicy(d.PermissionPolicy)
		p.DefaultConfig.PermissionPolicy.OfAlwaysAllow, p.DefaultConfig.PermissionPolicy.OfAlwaysAsk, p.DefaultConfig.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
	}
	for _, c := range ts.Configs {
		cp := anthropic.BetaManagedAgentsMCPToolConfigParams{Name: c.Name, Enabled: optBool(c.Enabled)}
		pol := newPolicy(c.PermissionPolicy)
		cp.PermissionPolicy.OfAlwaysAllow, cp.PermissionPolicy.OfAlwaysAsk, cp.PermissionPolicy.OfAuto = pol.allow, pol.ask, pol.auto
		p.Configs = append(p.Configs, cp)
	}
	return p
}
