// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"regexp"
	"slices"
	"strings"
)

// This file turns agent request bodies into the resolved form the API stores
// and returns: model always an object with effort and speed, toolsets with a
// full default_config and resolved configs, skills with a version, and so on.
// Values are kept as JSON-shaped trees (map[string]any, []any) and are never
// mutated after they are stored, so versions can share them.

var (
	effortLevels    = []string{"low", "medium", "high", "xhigh", "max"}
	builtinTools    = []string{"bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search"}
	policyTypes     = []string{"always_allow", "always_ask", "auto"}
	customToolName  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	defaultEffort   = map[string]any{"type": "high"}
	serviceIdentity = map[string]any{"type": "service_account"}
)

const (
	toolsetType   = "agent_toolset_20260401"
	mcpToolset    = "mcp_toolset"
	customTool    = "custom"
	maxTools      = 256
	maxMCPServers = 20
	maxSkills     = 20
)

// resolveModel accepts a bare model string or a model object. prevEffort is
// the stored effort on update: omitting effort keeps it.
func resolveModel(v any, path string, prevEffort any) (map[string]any, *apiError) {
	var o jobj
	switch m := v.(type) {
	case string:
		o = jobj{path: path, m: map[string]any{"id": m}}
	case map[string]any:
		o = jobj{path: path, m: m}
	default:
		return nil, errBadRequest("%s: input should be a valid string or model config object", path)
	}
	if err := o.only("id", "effort", "speed", "inference_geo"); err != nil {
		return nil, err
	}
	id, err := o.reqStr("id")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(id, "claude-") {
		return nil, errBadRequest("%s: unknown model %q", o.at("id"), id)
	}
	effort := prevEffort
	if effort == nil {
		effort = defaultEffort
	}
	switch e := o.m["effort"].(type) {
	case nil:
	case string:
		if !slices.Contains(effortLevels, e) {
			return nil, errBadRequest("%s: input should be %s", o.at("effort"), quoteList(effortLevels))
		}
		effort = map[string]any{"type": e}
	case map[string]any:
		eo := jobj{path: o.at("effort"), m: e}
		if err := eo.only("type"); err != nil {
			return nil, err
		}
		t, ok, err := eo.enum("type", effortLevels...)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", eo.at("type"))
		}
		effort = map[string]any{"type": t}
	default:
		return nil, errBadRequest("%s: input should be an effort level or object", o.at("effort"))
	}
	speed, ok, err := o.enum("speed", "standard", "fast")
	if err != nil {
		return nil, err
	}
	if !ok {
		speed = "standard"
	}
	if speed == "fast" && strings.Contains(id, "haiku") {
		return nil, errBadRequest("%s: speed \"fast\" is not supported for model %s", o.at("speed"), id)
	}
	geo, _, err := o.str("inference_geo")
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": id, "effort": effort, "inference_geo": nullIfEmpty(geo), "speed": speed}, nil
}

// resolveMCPServers validates mcp_servers (unique names, at most 20).
func resolveMCPServers(list []any, path string) ([]any, *apiError) {
	if len(list) > maxMCPServers {
		return nil, errBadRequest("%s: at most %d MCP servers are allowed", path, maxMCPServers)
	}
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		o, err := asObject(item, index(path, i))
		if err != nil {
			return nil, err
		}
		if err := o.only("type", "name", "url"); err != nil {
			return nil, err
		}
		if t, ok, err := o.str("type"); err != nil {
			return nil, err
		} else if ok && t != "url" {
			return nil, errBadRequest("%s: input should be \"url\"", o.at("type"))
		}
		name, ok, err := o.strLen("name", 1, 255)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", o.at("name"))
		}
		if seen[name] {
			return nil, errBadRequest("%s: duplicate MCP server name %q", o.at("name"), name)
		}
		seen[name] = true
		u, err := o.reqStr("url")
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return nil, errBadRequest("%s: must be an http(s) URL", o.at("url"))
		}
		out = append(out, map[string]any{"type": "url", "name": name, "url": u})
	}
	return out, nil
}

// checkMCPReferences enforces that every MCP server is used by an mcp_toolset
// and every mcp_toolset names a declared server.
func checkMCPReferences(tools, servers []any) *apiError {
	declared := map[string]bool{}
	for _, s := range servers {
		declared[s.(map[string]any)["name"].(string)] = true
	}
	used := map[string]bool{}
	for i, t := range tools {
		tm := t.(map[string]any)
		if tm["type"] != mcpToolset {
			continue
		}
		name := tm["mcp_server_name"].(string)
		if !declared[name] {
			return errBadRequest("tools[%d].mcp_server_name: MCP server %q is not declared in mcp_servers", i, name)
		}
		used[name] = true
	}
	for i, s := range servers {
		name := s.(map[string]any)["name"].(string)
		if !used[name] {
			return errBadRequest("mcp_servers[%d]: MCP server %q is not referenced by any mcp_toolset in tools", i, name)
		}
	}
	return nil
}

// resolveSkills validates skills and resolves each Anthropic skill's version
// to a concrete string; resolveSkillsLocked does the custom ones.
func resolveSkills(list []any, path string) ([]any, *apiError) {
	if len(list) > maxSkills {
		return nil, errBadRequest("%s: at most %d skills are allowed", path, maxSkills)
	}
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		o, err := asObject(item, index(path, i))
		if err != nil {
			return nil, err
		}
		if err := o.only("type", "skill_id", "version"); err != nil {
			return nil, err
		}
		t, ok, err := o.enum("type", "anthropic", "custom")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", o.at("type"))
		}
		id, err := o.reqStr("skill_id")
		if err != nil {
			return nil, err
		}
		if id == "" || (t == "custom" && !strings.HasPrefix(id, "skill_")) {
			return nil, errBadRequest("%s: invalid skill id %q", o.at("skill_id"), id)
		}
		if seen[id] {
			return nil, errBadRequest("%s: duplicate skill %q", o.at("skill_id"), id)
		}
		seen[id] = true
		version, _, err := o.str("version")
		if err != nil {
			return nil, err
		}
		if version == "" || version == "latest" {
			version = "20260401"
			if t == "custom" {
				version = "latest" // resolveSkillsLocked pins the skill's newest version
			}
		}
		out = append(out, map[string]any{"type": t, "skill_id": id, "version": version})
	}
	return out, nil
}

// resolveExecutionIdentity maps null and {type:service_account} to the
// default; {type:aws_role, role_arn} is kept.
func resolveExecutionIdentity(v any, path string) (any, *apiError) {
	if v == nil {
		return serviceIdentity, nil
	}
	o, err := asObject(v, path)
	if err != nil {
		return nil, err
	}
	t, ok, err := o.enum("type", "service_account", "aws_role")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", o.at("type"))
	}
	if t == "service_account" {
		if err := o.only("type"); err != nil {
			return nil, err
		}
		return serviceIdentity, nil
	}
	if err := o.only("type", "role_arn"); err != nil {
		return nil, err
	}
	arn, ok, err := o.strLen("role_arn", 1, 2048)
	if err != nil {
		return nil, err
	}
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return nil, errBadRequest("%s: must be an IAM role ARN", o.at("role_arn"))
	}
	return map[string]any{"type": "aws_role", "role_arn": arn}, nil
}
