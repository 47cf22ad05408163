// SPDX-License-Identifier: Apache-2.0

package simulator

import "strings"

// This file resolves an agent's tools array: the built-in toolset, MCP
// toolsets and custom tools, each to the full form the API returns.

// resolvePolicy reads an optional permission_policy object, defaulting to def.
func resolvePolicy(o jobj, k string, def map[string]any) (map[string]any, *apiError) {
	p, ok, err := o.obj(k)
	if err != nil || !ok {
		return def, err
	}
	if err := p.only("type"); err != nil {
		return nil, err
	}
	t, ok, err := p.enum("type", policyTypes...)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", p.at("type"))
	}
	return map[string]any{"type": t}, nil
}

// resolveDefaultConfig reads a toolset's default_config.
func resolveDefaultConfig(o jobj, defPolicy string) (map[string]any, *apiError) {
	dc := jobj{path: o.at("default_config"), m: map[string]any{}}
	if o.has("default_config") {
		var err *apiError
		if dc, err = o.reqObj("default_config"); err != nil {
			return nil, err
		}
	}
	if err := dc.only("enabled", "permission_policy"); err != nil {
		return nil, err
	}
	enabled, ok, err := dc.boolean("enabled")
	if err != nil {
		return nil, err
	}
	if !ok {
		enabled = true
	}
	policy, err := resolvePolicy(dc, "permission_policy", map[string]any{"type": defPolicy})
	if err != nil {
		return nil, err
	}
	return map[string]any{"enabled": enabled, "permission_policy": policy}, nil
}

// resolveTools validates a tools array and returns its resolved form.
func resolveTools(list []any, path string) ([]any, *apiError) {
	if len(list) > maxTools {
		return nil, errBadRequest("%s: at most %d tools are allowed", path, maxTools)
	}
	out := make([]any, 0, len(list))
	seenToolset, seenMCP, seenCustom := false, map[string]bool{}, map[string]bool{}
	for i, item := range list {
		o, err := asObject(item, index(path, i))
		if err != nil {
			return nil, err
		}
		t, err := o.reqStr("type")
		if err != nil {
			return nil, err
		}
		var tool map[string]any
		switch t {
		case toolsetType:
			if seenToolset {
				return nil, errBadRequest("%s: only one %s toolset is allowed", o.path, toolsetType)
			}
			seenToolset = true
			tool, err = resolveAgentToolset(o)
		case mcpToolset:
			tool, err = resolveMCPToolset(o)
			if err == nil {
				name := tool["mcp_server_name"].(string)
				if seenMCP[name] {
					return nil, errBadRequest("%s: duplicate mcp_toolset for MCP server %q", o.path, name)
				}
				seenMCP[name] = true
			}
		case customTool:
			tool, err = resolveCustomTool(o)
			if err == nil {
				name := tool["name"].(string)
				if seenCustom[name] {
					return nil, errBadRequest("%s.name: duplicate custom tool name %q", o.path, name)
				}
				seenCustom[name] = true
			}
		default:
			return nil, errBadRequest("%s: input should be %s", o.at("type"), quoteList([]string{toolsetType, mcpToolset, customTool}))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, tool)
	}
	return out, nil
}

func resolveAgentToolset(o jobj) (map[string]any, *apiError) {
	if err := o.only("type", "default_config", "configs"); err != nil {
		return nil, err
	}
	def, err := resolveDefaultConfig(o, "always_allow")
	if err != nil {
		return nil, err
	}
	raw, _, err := o.arr("configs")
	if err != nil {
		return nil, err
	}
	configs := make([]any, 0, len(raw))
	seen := map[string]bool{}
	for i, item := range raw {
		c, err := asObject(item, index(o.at("configs"), i))
		if err != nil {
			return nil, err
		}
		name, ok, err := c.enum("name", builtinTools...)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errBadRequest("%s: field required", c.at("name"))
		}
		if seen[name] {
			return nil, errBadRequest("%s: duplicate config for tool %q", c.at("name"), name)
		}
		seen[name] = true
		if t, ok, err := c.str("type"); err != nil {
			return nil, err
		} else if ok && t != name {
			return nil, errBadRequest("%s: must equal name (%q)", c.at("type"), name)
		}
		resolved, err := resolveToolConfig(c, name, def)
		if err != nil {
			return nil, err
		}
		configs = append(configs, resolved)
	}
	return map[string]any{"type": toolsetType, "default_config": def, "configs": configs}, nil
}

// resolveToolConfig resolves one per-tool override; unset fields inherit the
// toolset's default_config.
func resolveToolConfig(c jobj, name string, def map[string]any) (map[string]any, *apiError) {
	if err := c.only(toolConfigFields(name)...); err != nil {
		return nil, err
	}
	enabled, ok, err := c.boolean("enabled")
	if err != nil {
		return nil, err
	}
	if !ok {
		enabled = def["enabled"].(bool)
	}
	policy, err := resolvePolicy(c, "permission_policy", def["permission_policy"].(map[string]any))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"name": name, "type": name, "enabled": enabled, "permission_policy": policy}
	switch name {
	case "web_fetch":
		err = resolveWebFetchConfig(c, out)
	case "web_search":
		err = resolveWebSearchConfig(c, out)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// toolConfigFields lists the fields a per-tool config of the named tool may have.
func toolConfigFields(name string) []string {
	allowed := []string{"name", "type", "enabled", "permission_policy"}
	switch name {
	case "web_fetch":
		allowed = append(allowed, "allowed_domains", "blocked_domains", "max_content_tokens", "url_sources")
	case "web_search":
		allowed = append(allowed, "allowed_domains", "blocked_domains", "user_location")
	}
	return allowed
}

// resolveWebFetchConfig adds web_fetch's domain filters, max_content_tokens
// and url_sources to out.
func resolveWebFetchConfig(c jobj, out map[string]any) *apiError {
	if err := resolveDomainFilters(c, out); err != nil {
		return err
	}
	n, ok, err := c.integer("max_content_tokens")
	if err != nil {
		return err
	}
	out["max_content_tokens"] = nil
	if ok {
		if n < 1 {
			return errBadRequest("%s: must be at least 1", c.at("max_content_tokens"))
		}
		out["max_content_tokens"] = n
	}
	sources, err := resolveURLSources(c)
	if err != nil {
		return err
	}
	out["url_sources"] = sources
	return nil
}

// resolveWebSearchConfig adds web_search's domain filters and user_location to out.
func resolveWebSearchConfig(c jobj, out map[string]any) *apiError {
	if err := resolveDomainFilters(c, out); err != nil {
		return err
	}
	loc, err := resolveUserLocation(c)
	if err != nil {
		return err
	}
	out["user_location"] = loc
	return nil
}

// resolveDomainFilters adds allowed_domains and blocked_domains (at most one
// of them set) to out.
func resolveDomainFilters(c jobj, out map[string]any) *apiError {
	allowedDomains, hasAllowed, err := domainList(c, "allowed_domains")
	if err != nil {
		return err
	}
	blockedDomains, hasBlocked, err := domainList(c, "blocked_domains")
	if err != nil {
		return err
	}
	if hasAllowed && hasBlocked {
		return errBadRequest("%s: allowed_domains and blocked_domains cannot be combined", c.path)
	}
	out["allowed_domains"], out["blocked_domains"] = allowedDomains, blockedDomains
	return nil
}

// resolveUserLocation resolves web_search's approximate user_location; nil
// when it is not set.
func resolveUserLocation(c jobj) (any, *apiError) {
	loc, ok, err := c.obj("user_location")
	if err != nil || !ok {
		return nil, err
	}
	if err := loc.only("type", "city", "region", "country", "timezone"); err != nil {
		return nil, err
	}
	resolved := map[string]any{"type": "approximate"}
	for _, k := range []string{"city", "region", "country", "timezone"} {
		v, _, err := loc.str(k)
		if err != nil {
			return nil, err
		}
		resolved[k] = nullIfEmpty(v)
	}
	return resolved, nil
}

func domainList(c jobj, k string) (any, bool, *apiError) {
	list, ok, err := c.strList(k)
	if err != nil || !ok {
		return nil, false, err
	}
	if len(list) == 0 {
		return nil, false, errBadRequest("%s: an empty list is not allowed; omit the field instead", c.at(k))
	}
	if len(list) > 64 {
		return nil, false, errBadRequest("%s: at most 64 domains are allowed", c.at(k))
	}
	out := make([]any, len(list))
	for i, d := range list {
		if d == "" || strings.ContainsAny(d, "/: ") {
			return nil, false, errBadRequest("%s: %q is not a plain hostname", index(c.at(k), i), d)
		}
		out[i] = d
	}
	return out, true, nil
}

func resolveURLSources(c jobj) (map[string]any, *apiError) {
	out := map[string]any{"user_input": nil, "client_tool_results": nil, "server_tool_results": nil}
	us, ok, err := c.obj("url_sources")
	if err != nil || !ok {
		return out, err
	}
	if err := us.only("user_input", "client_tool_results", "server_tool_results"); err != nil {
		return nil, err
	}
	nones := 0
	for k := range out {
		switch v := us.m[k].(type) {
		case nil:
		case string:
			if v != "all" && v != "none" {
				return nil, errBadRequest("%s: input should be \"all\" or \"none\"", us.at(k))
			}
			if v == "none" {
				nones++
			}
			out[k] = map[string]any{"type": v}
		case map[string]any:
			f := jobj{path: us.at(k), m: v}
			kinds := []string{"all", "none", "only", "except"}
			if k == "user_input" {
				kinds = kinds[:2]
			}
			t, ok, err := f.enum("type", kinds...)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, errBadRequest("%s: field required", f.at("type"))
			}
			if t == "none" {
				nones++
			}
			out[k] = v
		default:
			return nil, errBadRequest("%s: input should be a string or object", us.at(k))
		}
	}
	if nones == 3 {
		return nil, errBadRequest("%s: setting every source to \"none\" is not allowed", c.at("url_sources"))
	}
	return out, nil
}

func resolveMCPToolset(o jobj) (map[string]any, *apiError) {
	if err := o.only("type", "mcp_server_name", "default_config", "configs"); err != nil {
		return nil, err
	}
	server, _, err := o.strLen("mcp_server_name", 1, 255)
	if err != nil {
		return nil, err
	}
	if server == "" {
		return nil, errBadRequest("%s: field required", o.at("mcp_server_name"))
	}
	def, err := resolveDefaultConfig(o, "always_ask")
	if err != nil {
		return nil, err
	}
	raw, _, err := o.arr("configs")
	if err != nil {
		return nil, err
	}
	configs := make([]any, 0, len(raw))
	seen := map[string]bool{}
	for i, item := range raw {
		c, err := asObject(item, index(o.at("configs"), i))
		if err != nil {
			return nil, err
		}
		if err := c.only("name", "enabled", "permission_policy"); err != nil {
			return nil, err
		}
		name, err := c.reqStr("name")
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, errBadRequest("%s: duplicate config for tool %q", c.at("name"), name)
		}
		seen[name] = true
		enabled, ok, err := c.boolean("enabled")
		if err != nil {
			return nil, err
		}
		if !ok {
			enabled = def["enabled"].(bool)
		}
		policy, err := resolvePolicy(c, "permission_policy", def["permission_policy"].(map[string]any))
		if err != nil {
			return nil, err
		}
		configs = append(configs, map[string]any{"name": name, "enabled": enabled, "permission_policy": policy})
	}
	return map[string]any{"type": mcpToolset, "mcp_server_name": server, "default_config": def, "configs": configs}, nil
}

func resolveCustomTool(o jobj) (map[string]any, *apiError) {
	if err := o.only("type", "name", "description", "input_schema"); err != nil {
		return nil, err
	}
	name, err := o.reqStr("name")
	if err != nil {
		return nil, err
	}
	if !customToolName.MatchString(name) {
		return nil, errBadRequest("%s: must be 1-128 characters of [A-Za-z0-9_-]", o.at("name"))
	}
	desc, err := o.reqStr("description")
	if err != nil {
		return nil, err
	}
	schema, err := o.reqObj("input_schema")
	if err != nil {
		return nil, err
	}
	if t, ok, err := schema.str("type"); err != nil {
		return nil, err
	} else if ok && t != "object" {
		return nil, errBadRequest("%s: input should be \"object\"", schema.at("type"))
	}
	resolved := map[string]any{"type": "object", "properties": nil, "required": nil}
	for k, v := range schema.m {
		if k != "type" {
			resolved[k] = v
		}
	}
	return map[string]any{"type": customTool, "name": name, "description": desc, "input_schema": resolved}, nil
}
