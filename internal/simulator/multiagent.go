// SPDX-License-Identifier: Apache-2.0

package simulator

import "strings"

// resolveMultiagentLocked validates a multiagent configuration and resolves
// agent references to {type:"agent", id, version}. prev is the stored value on
// update: multiagent_20261001 updates onto a multiagent_20261001 merge level
// by level (an omitted advisor/subagents/workflows keeps the stored one).
// Callers hold s.mu.
func (s *Server) resolveMultiagentLocked(v any, path string, prev any) (any, *apiError) {
	if v == nil {
		return nil, nil
	}
	o, err := asObject(v, path)
	if err != nil {
		return nil, err
	}
	t, ok, err := o.enum("type", "coordinator", "multiagent_20261001")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", o.at("type"))
	}
	if t == "coordinator" {
		return s.resolveCoordinatorLocked(o)
	}
	return s.resolveMultiagent20261001Locked(o, prev)
}

// resolveMultiagent20261001Locked resolves a multiagent_20261001 object
// level by level onto the defaults, or onto prev when it has the same type.
func (s *Server) resolveMultiagent20261001Locked(o jobj, prev any) (any, *apiError) {
	if err := o.only("type", "advisor", "subagents", "workflows"); err != nil {
		return nil, err
	}
	out := map[string]any{
		"type":      "multiagent_20261001",
		"advisor":   map[string]any{"type": "disabled"},
		"subagents": map[string]any{"type": "enabled", "predefined_agents": []any{}, "inline_agents": map[string]any{"type": "enabled"}},
		"workflows": map[string]any{"type": "enabled", "predefined_agents": []any{}, "inline_agents": map[string]any{"type": "enabled"}},
	}
	if pm, ok := prev.(map[string]any); ok && pm["type"] == "multiagent_20261001" {
		for _, k := range []string{"advisor", "subagents", "workflows"} {
			out[k] = pm[k]
		}
	}
	if adv, ok, err := o.obj("advisor"); err != nil {
		return nil, err
	} else if ok {
		if out["advisor"], err = resolveAdvisor(adv); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"subagents", "workflows"} {
		sub, ok, err := o.obj(k)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if out[k], err = s.resolveAgentSectionLocked(sub); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// resolveAdvisor resolves {type:"disabled"} or {type:"enabled", model}.
func resolveAdvisor(adv jobj) (map[string]any, *apiError) {
	at, ok, err := adv.enum("type", "enabled", "disabled")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", adv.at("type"))
	}
	if at == "disabled" {
		return map[string]any{"type": "disabled"}, nil
	}
	model, err := adv.reqStr("model")
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "enabled", "model": model}, nil
}

// resolveAgentSectionLocked resolves a subagents or workflows object:
// disabled, or enabled with predefined agent references and inline agents.
func (s *Server) resolveAgentSectionLocked(sub jobj) (map[string]any, *apiError) {
	st, ok, err := sub.enum("type", "enabled", "disabled")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", sub.at("type"))
	}
	if st == "disabled" {
		return map[string]any{"type": "disabled"}, nil
	}
	refs, err := s.resolvePredefinedAgentsLocked(sub)
	if err != nil {
		return nil, err
	}
	inline, err := resolveInlineAgents(sub)
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "enabled", "predefined_agents": refs, "inline_agents": inline}, nil
}

// resolvePredefinedAgentsLocked resolves a section's predefined_agents, at
// most 20 agent references.
func (s *Server) resolvePredefinedAgentsLocked(sub jobj) ([]any, *apiError) {
	list, _, err := sub.arr("predefined_agents")
	if err != nil {
		return nil, err
	}
	if len(list) > 20 {
		return nil, errBadRequest("%s: at most 20 agents are allowed", sub.at("predefined_agents"))
	}
	refs := make([]any, 0, len(list))
	for i, e := range list {
		ref, err := s.resolveAgentRefLocked(e, index(sub.at("predefined_agents"), i), false)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// resolveInlineAgents resolves a section's inline_agents; omitted (or an
// omitted type) means enabled.
func resolveInlineAgents(sub jobj) (map[string]any, *apiError) {
	inline := map[string]any{"type": "enabled"}
	in, ok, err := sub.obj("inline_agents")
	if err != nil || !ok {
		return inline, err
	}
	it, _, err := in.enum("type", "enabled", "disabled")
	if err != nil {
		return nil, err
	}
	if it != "" {
		inline = map[string]any{"type": it}
	}
	return inline, nil
}

func (s *Server) resolveCoordinatorLocked(o jobj) (any, *apiError) {
	if err := o.only("type", "agents"); err != nil {
		return nil, err
	}
	list, ok, err := o.arr("agents")
	if err != nil {
		return nil, err
	}
	if !ok || len(list) == 0 || len(list) > 20 {
		return nil, errBadRequest("%s: must list 1 to 20 agents", o.at("agents"))
	}
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	advisors := 0
	for i, e := range list {
		ref, err := s.resolveAgentRefLocked(e, index(o.at("agents"), i), true)
		if err != nil {
			return nil, err
		}
		key := ref["type"].(string)
		switch key {
		case "agent":
			key += ":" + ref["id"].(string)
		case "advisor":
			advisors++
			if advisors > 1 {
				return nil, errBadRequest("%s: at most one advisor is allowed", index(o.at("agents"), i))
			}
		}
		if seen[key] {
			return nil, errBadRequest("%s: duplicate roster entry", index(o.at("agents"), i))
		}
		seen[key] = true
		out = append(out, ref)
	}
	return map[string]any{"type": "coordinator", "agents": out}, nil
}

// resolveAgentRefLocked resolves a roster entry: "agent_…", {type:"agent", id,
// version?}, {type:"self"} or (coordinator only) {type:"advisor", model}.
func (s *Server) resolveAgentRefLocked(e any, path string, allowAdvisor bool) (map[string]any, *apiError) {
	var o jobj
	switch v := e.(type) {
	case string:
		o = jobj{path: path, m: map[string]any{"type": "agent", "id": v}}
	case map[string]any:
		o = jobj{path: path, m: v}
	default:
		return nil, errBadRequest("%s: input should be an agent id or roster object", path)
	}
	kinds := []string{"agent", "self"}
	if allowAdvisor {
		kinds = append(kinds, "advisor")
	}
	t, ok, err := o.enum("type", kinds...)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadRequest("%s: field required", o.at("type"))
	}
	switch t {
	case "self":
		return map[string]any{"type": "self"}, nil
	case "advisor":
		model, err := o.reqStr("model")
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "advisor", "model": model}, nil
	}
	id, err := o.reqStr("id")
	if err != nil {
		return nil, err
	}
	a := s.agents[id]
	if a == nil || !strings.HasPrefix(id, "agent_") {
		return nil, errNotFound("%s: agent %s not found", o.at("id"), id)
	}
	version, ok, err := o.integer("version")
	if err != nil {
		return nil, err
	}
	if !ok {
		version = a.latest().version
	}
	if a.version(version) == nil {
		return nil, errNotFound("%s: agent %s has no version %d", o.at("version"), id, version)
	}
	return map[string]any{"type": "agent", "id": id, "version": version}, nil
}

// snapshotMultiagentLocked returns the session-snapshot form of a multiagent
// configuration: agent references become full agent definitions.
func (s *Server) snapshotMultiagentLocked(ma any) any {
	m, ok := ma.(map[string]any)
	if !ok {
		return nil
	}
	expand := func(list any) []any {
		refs, _ := list.([]any)
		out := make([]any, 0, len(refs))
		for _, r := range refs {
			rm, _ := r.(map[string]any)
			if rm["type"] != "agent" {
				out = append(out, r)
				continue
			}
			a := s.agents[rm["id"].(string)]
			if a == nil {
				out = append(out, r)
				continue
			}
			out = append(out, a.definition(a.version(rm["version"].(int64))))
		}
		return out
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	if m["type"] == "coordinator" {
		out["agents"] = expand(m["agents"])
		return out
	}
	for _, k := range []string{"subagents", "workflows"} {
		if sub, ok := m[k].(map[string]any); ok && sub["type"] == "enabled" {
			cp := map[string]any{}
			for kk, vv := range sub {
				cp[kk] = vv
			}
			cp["predefined_agents"] = expand(sub["predefined_agents"])
			out[k] = cp
		}
	}
	return out
}
