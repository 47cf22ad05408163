// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"reflect"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// toolsInSync requires the same set of tools by identity (the agent toolset, one MCP toolset per
// server, custom tools by name); within each, only what the spec sets is compared, because the API
// returns toolsets resolved, with a full default_config and possibly a config entry for every tool.
func toolsInSync(want []v1alpha1.Tool, got []anthropic.BetaManagedAgentsAgentToolUnion) bool {
	remote := make(map[string]anthropic.BetaManagedAgentsAgentToolUnion, len(got))
	for _, t := range got {
		key := t.Type + "/" + t.MCPServerName + t.Name
		if _, dup := remote[key]; dup {
			return false
		}
		remote[key] = t
	}
	if len(remote) != len(want) {
		return false
	}
	for _, t := range want {
		var inSync bool
		switch {
		case t.AgentToolset != nil:
			r, ok := remote["agent_toolset_20260401/"]
			inSync = ok && agentToolsetInSync(t.AgentToolset, r.AsAgentToolset20260401())
		case t.MCPToolset != nil:
			r, ok := remote["mcp_toolset/"+t.MCPToolset.MCPServerName]
			inSync = ok && mcpToolsetInSync(t.MCPToolset, r.AsMCPToolset())
		case t.Custom != nil:
			r, ok := remote["custom/"+t.Custom.Name]
			inSync = ok && r.Description == t.Custom.Description && schemaEqual(t.Custom.InputSchema.Raw, r.JSON.InputSchema.Raw())
		}
		if !inSync {
			return false
		}
	}
	return true
}

// resolvedDefaults is a toolset's default_config as the API returns it. Tools without a config
// entry of their own get these values.
type resolvedDefaults struct {
	enabled bool
	policy  string
}

func defaultsInSync(want *v1alpha1.ToolsetDefaults, got resolvedDefaults) bool {
	if want == nil {
		return true
	}
	return (want.Enabled == nil || *want.Enabled == got.enabled) &&
		(want.PermissionPolicy == "" || policyWire[want.PermissionPolicy] == got.policy)
}

// entryCommon is the part of a remote per-tool config entry shared by built-in and MCP tools.
// Fields the entry does not carry fall back to the toolset's defaults.
func entryCommon(found bool, def resolvedDefaults, enabledValid bool, enabled bool, policyRaw string) resolvedDefaults {
	if !found {
		return def
	}
	out := def
	if enabledValid {
		out.enabled = enabled
	}
	if p := wireType(policyRaw); p != "" {
		out.policy = p
	}
	return out
}

func agentToolsetInSync(want *v1alpha1.AgentToolset, got anthropic.BetaManagedAgentsAgentToolset20260401) bool {
	def := resolvedDefaults{got.DefaultConfig.Enabled, wireType(got.DefaultConfig.JSON.PermissionPolicy.Raw())}
	if !defaultsInSync(want.DefaultConfig, def) {
		return false
	}
	entries := make(map[string]anthropic.BetaManagedAgentsAgentToolConfigUnion, len(got.Configs))
	for _, c := range got.Configs {
		entries[c.Name] = c
	}
	for _, c := range want.Configs {
		e, found := entries[string(c.Name)]
		eff := entryCommon(found, def, e.JSON.Enabled.Valid(), e.Enabled, e.JSON.PermissionPolicy.Raw())
		if !defaultsInSync(&v1alpha1.ToolsetDefaults{Enabled: c.Enabled, PermissionPolicy: c.PermissionPolicy}, eff) {
			return false
		}
		if !webConfigInSync(c, e, found) {
			return false
		}
	}
	return true
}

// webConfigInSync compares the web_fetch and web_search settings that the spec sets. They have no
// toolset-level default, so a spec that sets one needs the remote entry.
func webConfigInSync(want v1alpha1.BuiltinToolConfig, got anthropic.BetaManagedAgentsAgentToolConfigUnion, found bool) bool {
	if !found {
		return want.AllowedDomains == nil && want.BlockedDomains == nil && want.MaxContentTokens == nil &&
			want.URLSources == nil && want.UserLocation == nil
	}
	return (want.AllowedDomains == nil || sameSet(want.AllowedDomains, got.AllowedDomains)) &&
		(want.BlockedDomains == nil || sameSet(want.BlockedDomains, got.BlockedDomains)) &&
		(want.MaxContentTokens == nil || (got.JSON.MaxContentTokens.Valid() && got.MaxContentTokens == *want.MaxContentTokens)) &&
		urlSourcesInSync(want.URLSources, got.URLSources) &&
		userLocationInSync(want.UserLocation, got)
}

func urlSourcesInSync(want *v1alpha1.URLSources, got anthropic.BetaManagedAgentsWebFetchURLSources) bool {
	return want == nil ||
		urlSourceInSync(want.UserInput, got.JSON.UserInput.Raw()) &&
			urlSourceInSync(want.ClientToolResults, got.JSON.ClientToolResults.Raw()) &&
			urlSourceInSync(want.ServerToolResults, got.JSON.ServerToolResults.Raw())
}

// userLocationInSync compares all four fields once the spec sets a location; the API returns the
// unset ones as null.
func userLocationInSync(want *v1alpha1.UserLocation, got anthropic.BetaManagedAgentsAgentToolConfigUnion) bool {
	if want == nil {
		return true
	}
	g := got.UserLocation
	return got.JSON.UserLocation.Valid() &&
		g.City == want.City && g.Region == want.Region && g.Country == want.Country && g.Timezone == want.Timezone
}

// urlSourceInSync compares one url_sources entry, which the API may return as a shorthand string
// ("all") or as an object ({"type":"only","tools":[...]}). An unset policy matches anything.
func urlSourceInSync(want *v1alpha1.URLSourcePolicy, raw string) bool {
	if want == nil {
		return true
	}
	if wireType(raw) != urlSourceWire[want.Mode] {
		return false
	}
	var obj struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	_ = json.Unmarshal([]byte(raw), &obj) // a shorthand string has no tools
	names := make([]string, 0, len(obj.Tools))
	for _, t := range obj.Tools {
		names = append(names, t.Name)
	}
	return sameSet(want.Tools, names)
}

func mcpToolsetInSync(want *v1alpha1.MCPToolset, got anthropic.BetaManagedAgentsMCPToolset) bool {
	def := resolvedDefaults{got.DefaultConfig.Enabled, wireType(got.DefaultConfig.JSON.PermissionPolicy.Raw())}
	if !defaultsInSync(want.DefaultConfig, def) {
		return false
	}
	entries := make(map[string]anthropic.BetaManagedAgentsMCPToolConfig, len(got.Configs))
	for _, c := range got.Configs {
		entries[c.Name] = c
	}
	for _, c := range want.Configs {
		e, found := entries[c.Name]
		eff := entryCommon(found, def, e.JSON.Enabled.Valid(), e.Enabled, e.JSON.PermissionPolicy.Raw())
		if !defaultsInSync(&v1alpha1.ToolsetDefaults{Enabled: c.Enabled, PermissionPolicy: c.PermissionPolicy}, eff) {
			return false
		}
	}
	return true
}

// schemaEqual compares two JSON Schemas semantically. Keys with a null value count as absent,
// because the API echoes an unset properties or required as null.
func schemaEqual(want []byte, gotRaw string) bool {
	var a, b map[string]any
	if json.Unmarshal(want, &a) != nil || json.Unmarshal([]byte(gotRaw), &b) != nil {
		return false
	}
	return reflect.DeepEqual(dropNulls(a), dropNulls(b))
}

func dropNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings, ignoring order and duplicates.
func sameSet(a, b []string) bool {
	set := make(map[string]bool, len(a))
	for _, s := range a {
		set[s] = true
	}
	seen := make(map[string]bool, len(b))
	for _, s := range b {
		if !set[s] {
			return false
		}
		seen[s] = true
	}
	return len(seen) == len(set)
}
