// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// This file plays the API's part in drift tests: it turns a create request body into the agent
// the API returns, with every server-filled default resolved the way managed-agents-api.md §2
// describes: effort resolved, toolsets with a full default_config and a config entry for each of
// the 8 built-in tools, skill versions resolved, predefined agents pinned, multiagent null when
// unset, execution identity always present.

var builtinToolNames = []string{"bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search"}

type obj = map[string]any

// echoAgent returns the API's response to the create request params, as a JSON tree that tests
// may edit before decoding it with decodeAgent.
func echoAgent(t testing.TB, params anthropic.BetaAgentNewParams) obj {
	t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("marshal params: %v", err)
	}
	var in obj
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("unmarshal params: %v", err)
	}
	return obj{
		"id": "agent_01echo", "type": "agent", "version": 1, "name": in["name"],
		"description": or(in["description"], ""), "system": or(in["system"], ""),
		"model":              echoModel(in["model"].(obj)),
		"tools":              echoList(in["tools"], echoTool),
		"mcp_servers":        or(in["mcp_servers"], []any{}),
		"skills":             echoList(in["skills"], echoSkill),
		"multiagent":         echoMultiagent(in["multiagent"]),
		"execution_identity": or(in["execution_identity"], obj{"type": "service_account"}),
		"metadata":           or(in["metadata"], obj{}),
		"created_at":         "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z", "archived_at": nil,
	}
}

// decodeAgent turns a response tree into the SDK type, as the client would receive it.
func decodeAgent(t testing.TB, body obj) *anthropic.BetaManagedAgentsAgent {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("marshal response: %v", err)
	}
	return remoteAgent(t, string(b))
}

func or(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

func echoList(v any, f func(obj) obj) []any {
	out := []any{}
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, f(e.(obj)))
	}
	return out
}

// asTypeObject turns the bare-string form ("high", "all") into the object form the API returns.
func asTypeObject(v any) any {
	if s, ok := v.(string); ok {
		return obj{"type": s}
	}
	return v
}

func echoModel(m obj) obj {
	return obj{"id": m["id"], "effort": asTypeObject(or(m["effort"], "high")),
		"speed": or(m["speed"], "standard"), "inference_geo": m["inference_geo"]}
}

func echoDefaults(v any, policy string) obj {
	d, _ := v.(obj)
	return obj{"enabled": or(d["enabled"], true), "permission_policy": or(d["permission_policy"], obj{"type": policy})}
}

func echoTool(tool obj) obj {
	switch tool["type"] {
	case "agent_toolset_20260401":
		def := echoDefaults(tool["default_config"], "always_allow")
		overrides := map[string]obj{}
		for _, c := range or(tool["configs"], []any{}).([]any) {
			overrides[c.(obj)["name"].(string)] = c.(obj)
		}
		configs := []any{}
		for _, name := range builtinToolNames {
			configs = append(configs, echoBuiltin(name, overrides[name], def))
		}
		return obj{"type": tool["type"], "default_config": def, "configs": configs}
	case "mcp_toolset":
		def := echoDefaults(tool["default_config"], "always_ask")
		configs := echoList(tool["configs"], func(c obj) obj {
			return obj{"name": c["name"], "enabled": or(c["enabled"], def["enabled"]), "permission_policy": or(c["permission_policy"], def["permission_policy"])}
		})
		return obj{"type": "mcp_toolset", "mcp_server_name": tool["mcp_server_name"], "default_config": def, "configs": configs}
	default:
		schema := obj{"properties": nil, "required": nil}
		for k, v := range tool["input_schema"].(obj) {
			schema[k] = v
		}
		return obj{"type": "custom", "name": tool["name"], "description": tool["description"], "input_schema": schema}
	}
}

func echoBuiltin(name string, c obj, def obj) obj {
	out := obj{"name": name, "type": name, "enabled": or(c["enabled"], def["enabled"]),
		"permission_policy": or(c["permission_policy"], def["permission_policy"])}
	switch name {
	case "web_fetch":
		out["allowed_domains"], out["blocked_domains"] = or(c["allowed_domains"], []any{}), or(c["blocked_domains"], []any{})
		out["max_content_tokens"] = c["max_content_tokens"]
		sources, _ := c["url_sources"].(obj)
		out["url_sources"] = obj{
			"user_input":          asTypeObject(or(sources["user_input"], "all")),
			"client_tool_results": asTypeObject(or(sources["client_tool_results"], "all")),
			"server_tool_results": asTypeObject(or(sources["server_tool_results"], "all")),
		}
	case "web_search":
		out["allowed_domains"], out["blocked_domains"] = or(c["allowed_domains"], []any{}), or(c["blocked_domains"], []any{})
		out["user_location"] = nil
		if l, ok := c["user_location"].(obj); ok {
			out["user_location"] = obj{"type": "approximate", "city": l["city"], "region": l["region"], "country": l["country"], "timezone": l["timezone"]}
		}
	}
	return out
}

func echoSkill(s obj) obj {
	version := "20260401"
	if s["type"] == "custom" {
		version = "3"
	}
	return obj{"type": s["type"], "skill_id": s["skill_id"], "version": or(s["version"], version)}
}

func echoMultiagent(v any) any {
	m, ok := v.(obj)
	if !ok {
		return nil
	}
	out := obj{"type": m["type"], "advisor": or(m["advisor"], obj{"type": "disabled"})}
	for _, k := range []string{"subagents", "workflows"} {
		level, _ := or(m[k], obj{"type": "enabled"}).(obj)
		if level["type"] == "disabled" {
			out[k] = level
			continue
		}
		out[k] = obj{"type": "enabled", "inline_agents": or(level["inline_agents"], obj{"type": "enabled"}),
			"predefined_agents": echoList(level["predefined_agents"], func(a obj) obj {
				// An unpinned reference resolves to the agent's latest version.
				return obj{"type": "agent", "id": a["id"], "version": or(a["version"], 4)}
			})}
	}
	return out
}
