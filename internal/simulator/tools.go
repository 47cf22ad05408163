// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// This file holds the tool-call part of scripted turns: built-in, MCP and
// custom tool uses, the permission policy that decides whether a call needs
// confirmation, and resuming a turn once the calls are answered.

// evaluation returns the tool-use permission fields for a policy.
func evaluation(policy string) (string, map[string]any) {
	switch policy {
	case "always_ask":
		return "ask", map[string]any{"type": "always_ask"}
	case "auto":
		return "allow", map[string]any{"type": "auto", "evaluated_permission": map[string]any{"type": "allow"}}
	default:
		return "allow", map[string]any{"type": "always_allow"}
	}
}

// toolInput is a scripted tool call's input. In a sandbox the file tools' default paths are
// relative, because the SDK's tools confine them to the workspace.
func toolInput(name, arg string, sandbox bool) map[string]any {
	or := func(def string) string {
		if arg != "" {
			return arg
		}
		if sandbox {
			return strings.TrimPrefix(def, "/workspace/")
		}
		return def
	}
	switch name {
	case "bash":
		return map[string]any{"command": or("echo hello from the simulator")}
	case "read":
		return map[string]any{"file_path": or("/workspace/README.md")}
	case "write":
		return map[string]any{"file_path": or("/workspace/notes.txt"), "content": "written by the simulator"}
	case "edit":
		return map[string]any{"file_path": or("/workspace/README.md"), "old_string": "old", "new_string": "new"}
	case "glob":
		return map[string]any{"pattern": or("**/*.go")}
	case "grep":
		return map[string]any{"pattern": or("TODO")}
	case "web_fetch":
		return map[string]any{"url": or("https://example.com/")}
	default:
		return map[string]any{"query": or("claude managed agents")}
	}
}

func textContent(text string) []any {
	return []any{map[string]any{"type": "text", "text": text}}
}

func (s *Server) toolCall(t *turn, d directive, forceAsk bool) flow {
	name, arg, _ := strings.Cut(d.arg, ":")
	return s.builtinCall(t, name, arg, forceAsk, false)
}

// builtinCall runs one built-in tool call: agent.tool_use, then, unless it needs confirmation, its
// result (see finishCall). quote makes the agent quote the result in a message.
func (s *Server) builtinCall(t *turn, name, arg string, forceAsk, quote bool) flow {
	policy, ok := toolsetPolicy(s.snapshotOf(t), name)
	if !ok {
		return s.sayFlow(t, fmt.Sprintf("The %s tool is not available to this agent.", name))
	}
	if forceAsk {
		policy = "always_ask"
	}
	perm, eval := evaluation(policy)
	var id string
	var call *pendingCallInfo
	ok = s.step(t, func(sess *session) {
		sandbox := sandboxTools[name] && s.selfHostedLocked(sess)
		input := toolInput(name, arg, sandbox)
		call = &pendingCallInfo{kind: callTool, name: name, sandbox: sandbox, quote: quote}
		call.command, _ = input["command"].(string)
		id = s.appendEventLocked(sess, map[string]any{"type": "agent.tool_use", "name": name, "input": input,
			"evaluated_permission": perm, "evaluation": eval}).id
		if sandbox && perm != "ask" {
			s.expectSandboxLocked(sess, id)
		}
	})
	if !ok {
		return flowStop
	}
	if perm == "ask" {
		return s.waitFor(t, id, call)
	}
	return s.finishCall(t, id, call)
}

// finishCall produces an allowed built-in call's result: a sandbox's user.tool_result in a
// self-hosted environment, a simulated agent.tool_result otherwise.
func (s *Server) finishCall(t *turn, id string, call *pendingCallInfo) flow {
	out := toolOutcome{text: simulatedOutput(call)}
	if call.sandbox {
		var ok bool
		if out, ok = s.awaitSandbox(t, id); !ok {
			return flowStop
		}
	} else if s.toolResult(t, id, call) == flowStop {
		return flowStop
	}
	if call.quote {
		return s.sayFlow(t, quoteOutput(call, out))
	}
	return flowNext
}

func (s *Server) mcpCall(t *turn, d directive) flow {
	server, tool, _ := strings.Cut(d.arg, ":")
	if tool == "" {
		tool = "call"
	}
	policy, ok := mcpPolicy(s.snapshotOf(t), server, tool)
	if !ok {
		return s.sayFlow(t, fmt.Sprintf("The MCP tool %s/%s is not available to this agent.", server, tool))
	}
	perm, eval := evaluation(policy)
	id, ok := s.emit(t, map[string]any{"type": "agent.mcp_tool_use", "name": tool, "mcp_server_name": server,
		"input": map[string]any{}, "evaluated_permission": perm, "evaluation": eval})
	if !ok {
		return flowStop
	}
	call := &pendingCallInfo{kind: callMCP, name: tool, server: server}
	if perm == "ask" {
		return s.waitFor(t, id, call)
	}
	return s.toolResult(t, id, call)
}

func (s *Server) customCall(t *turn, d directive) flow {
	name, arg, _ := strings.Cut(d.arg, ":")
	if !hasCustomTool(s.snapshotOf(t), name) {
		return s.sayFlow(t, fmt.Sprintf("The custom tool %s is not available to this agent.", name))
	}
	input := map[string]any{}
	if arg != "" && json.Unmarshal([]byte(arg), &input) != nil {
		return s.sayFlow(t, fmt.Sprintf("simulator: %s needs a JSON object as input", d.raw))
	}
	id, ok := s.emit(t, map[string]any{"type": "agent.custom_tool_use", "name": name, "input": input})
	if !ok {
		return flowStop
	}
	return s.waitFor(t, id, &pendingCallInfo{kind: callCustom, name: name})
}

// snapshotOf reads the session's agent snapshot, which a session update may
// replace (only between turns, but the read must still be synchronized).
func (s *Server) snapshotOf(t *turn) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.sess.snapshot
}

func (s *Server) sayFlow(t *turn, text string) flow {
	if s.say(t, text) {
		return flowNext
	}
	return flowStop
}

// simulatedOutput is the text of a tool result that the simulator makes up.
func simulatedOutput(call *pendingCallInfo) string {
	if call.kind == callMCP {
		return fmt.Sprintf("simulated %s/%s output", call.server, call.name)
	}
	return fmt.Sprintf("simulated %s output", call.name)
}

func (s *Server) toolResult(t *turn, id string, call *pendingCallInfo) flow {
	ev := map[string]any{"type": "agent.tool_result", "tool_use_id": id, "is_error": false,
		"content": textContent(simulatedOutput(call))}
	if call.kind == callMCP {
		ev = map[string]any{"type": "agent.mcp_tool_result", "mcp_tool_use_id": id, "is_error": false,
			"content": textContent(simulatedOutput(call))}
	}
	ok := s.step(t, func(sess *session) {
		switch call.name {
		case "web_fetch":
			sess.usage.webFetch++
		case "web_search":
			sess.usage.webSearch++
		}
		s.appendEventLocked(sess, ev)
	})
	if !ok {
		return flowStop
	}
	return flowNext
}

// waitFor pauses the turn: it closes the model request and idles with
// requires_action listing the call.
func (s *Server) waitFor(t *turn, id string, call *pendingCallInfo) flow {
	t.waiting = []string{id}
	t.calls = map[string]*pendingCallInfo{id: call}
	t.answers = map[string]answer{}
	if !s.closeSegment(t) {
		return flowStop
	}
	s.step(t, func(sess *session) {
		sess.turn, sess.paused = nil, t
		sess.setStatusLocked(StatusIdle, s.now())
		s.appendEventLocked(sess, idleFields(map[string]any{"type": "requires_action", "event_ids": []any{id}}, nil))
	})
	return flowStop
}

// deliverAnswers continues a resumed turn with the outcome of each call.
func (s *Server) deliverAnswers(t *turn) bool {
	waiting, calls, answers := t.waiting, t.calls, t.answers
	t.waiting, t.calls, t.answers = nil, map[string]*pendingCallInfo{}, map[string]answer{}
	for _, id := range waiting {
		call, ans := calls[id], answers[id]
		switch {
		case call.kind == callCustom:
			verb := "returned"
			if ans.isError {
				verb = "failed"
			}
			if !s.say(t, fmt.Sprintf("The custom tool %s %s: %s", call.name, verb, ans.text)) {
				return false
			}
		case ans.allow && call.kind == callTool:
			if s.finishCall(t, id, call) == flowStop {
				return false
			}
		case ans.allow:
			if s.toolResult(t, id, call) == flowStop {
				return false
			}
		default:
			reason := ans.text
			if reason == "" {
				reason = "no reason given"
			}
			if !s.say(t, fmt.Sprintf("The %s tool call was denied: %s", call.name, reason)) {
				return false
			}
		}
	}
	return true
}

// toolsetPolicy returns the permission policy for a built-in tool, and false
// if the agent has no toolset or the tool is disabled.
func toolsetPolicy(snap map[string]any, name string) (string, bool) {
	if !slices.Contains(builtinTools, name) {
		return "", false
	}
	tools, _ := snap["tools"].([]any)
	for _, tool := range tools {
		tm := tool.(map[string]any)
		if tm["type"] != toolsetType {
			continue
		}
		return configPolicy(tm, name)
	}
	return "", false
}

func mcpPolicy(snap map[string]any, server, name string) (string, bool) {
	tools, _ := snap["tools"].([]any)
	for _, tool := range tools {
		tm := tool.(map[string]any)
		if tm["type"] == mcpToolset && tm["mcp_server_name"] == server {
			return configPolicy(tm, name)
		}
	}
	return "", false
}

// configPolicy applies a toolset's per-tool config over its default_config.
func configPolicy(toolset map[string]any, name string) (string, bool) {
	cfg := toolset["default_config"].(map[string]any)
	configs, _ := toolset["configs"].([]any)
	for _, c := range configs {
		if cm := c.(map[string]any); cm["name"] == name {
			cfg = cm
		}
	}
	if !cfg["enabled"].(bool) {
		return "", false
	}
	return cfg["permission_policy"].(map[string]any)["type"].(string), true
}

func hasCustomTool(snap map[string]any, name string) bool {
	tools, _ := snap["tools"].([]any)
	for _, tool := range tools {
		if tm := tool.(map[string]any); tm["type"] == customTool && tm["name"] == name {
			return true
		}
	}
	return false
}
