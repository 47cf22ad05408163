// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// fullAgentSpec sets every field of an AgentSpec, as a controller would pass it (resolved).
func fullAgentSpec() *v1alpha1.AgentSpec {
	return &v1alpha1.AgentSpec{
		Name:        "repo-fixer",
		Description: "Fixes failing CI in a repo",
		System:      "You are a careful senior engineer.",
		Model:       v1alpha1.ModelConfig{ID: "claude-opus-4-8", Effort: "high", Speed: "fast", InferenceGeo: "us"},
		Tools: []v1alpha1.Tool{
			{AgentToolset: &v1alpha1.AgentToolset{
				DefaultConfig: &v1alpha1.ToolsetDefaults{Enabled: ptr(true), PermissionPolicy: v1alpha1.PermissionAlwaysAllow},
				Configs: []v1alpha1.BuiltinToolConfig{
					{Name: "bash", PermissionPolicy: v1alpha1.PermissionAlwaysAsk},
					{Name: "write", Enabled: ptr(false)},
					{Name: "web_fetch", PermissionPolicy: v1alpha1.PermissionAuto, AllowedDomains: []string{"docs.example.com"},
						MaxContentTokens: ptr(int64(5000)), URLSources: &v1alpha1.URLSources{
							UserInput:         &v1alpha1.URLSourcePolicy{Mode: "All"},
							ClientToolResults: &v1alpha1.URLSourcePolicy{Mode: "Only", Tools: []string{"open_ticket"}},
							ServerToolResults: &v1alpha1.URLSourcePolicy{Mode: "Except", Tools: []string{"web_search"}},
						}},
					{Name: "web_search", BlockedDomains: []string{"spam.example"},
						UserLocation: &v1alpha1.UserLocation{City: "Paris", Country: "FR", Timezone: "Europe/Paris"}},
				},
			}},
			{MCPToolset: &v1alpha1.MCPToolset{MCPServerName: "github",
				DefaultConfig: &v1alpha1.ToolsetDefaults{PermissionPolicy: v1alpha1.PermissionAlwaysAsk},
				Configs:       []v1alpha1.MCPToolConfig{{Name: "create_pr", Enabled: ptr(false)}, {Name: "list_repos", PermissionPolicy: v1alpha1.PermissionAlwaysAllow}},
			}},
			{Custom: &v1alpha1.CustomTool{Name: "open_ticket", Description: "Open a ticket in the tracker",
				InputSchema: rawJSON(`{"type":"object","properties":{"title":{"type":"string","maxLength":120}},"required":["title"],"additionalProperties":false}`)}},
		},
		MCPServers: []v1alpha1.MCPServer{{Name: "github", URL: "https://api.githubcopilot.com/mcp/"}},
		Skills: []v1alpha1.AgentSkill{
			{Type: v1alpha1.SkillAnthropic, SkillID: "xlsx"},
			{Type: v1alpha1.SkillCustom, SkillID: "skill_01abc", Version: "7"},
		},
		Multiagent: &v1alpha1.Multiagent{
			Advisor:   &v1alpha1.MultiagentAdvisor{Enabled: true, Model: "claude-opus-4-8"},
			Subagents: &v1alpha1.MultiagentDelegation{Enabled: true, InlineAgents: ptr(false), PredefinedAgents: []v1alpha1.AgentTarget{{ID: "agent_01aaa", Version: ptr(int64(2))}, {Name: "helper", ID: "agent_01bbb"}}},
			Workflows: &v1alpha1.MultiagentDelegation{Enabled: false},
		},
		ExecutionIdentity: &v1alpha1.ExecutionIdentity{Type: v1alpha1.ExecutionIdentityAWSRole, RoleARN: "arn:aws:iam::123456789012:role/runner"},
		Metadata:          v1alpha1.Metadata{"team": "platform"},
	}
}

func TestNewAgentParamsWireJSON(t *testing.T) {
	minimal := &v1alpha1.AgentSpec{Name: "min", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}
	serviceAccount := &v1alpha1.AgentSpec{Name: "sa", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"},
		ExecutionIdentity: &v1alpha1.ExecutionIdentity{Type: v1alpha1.ExecutionIdentityServiceAccount},
		Multiagent:        &v1alpha1.Multiagent{}}
	cases := []struct {
		name   string
		why    string
		spec   *v1alpha1.AgentSpec
		owner  map[string]string
		want   map[string]string
		absent []string
	}{{
		name: "minimal", spec: minimal,
		why:    "unset optional fields are omitted so the API applies its own defaults (effort, speed, identity)",
		want:   map[string]string{"name": `"min"`, "model": `{"id":"claude-sonnet-4-6"}`},
		absent: []string{"description", "system", "tools", "mcp_servers", "skills", "multiagent", "execution_identity", "metadata"},
	}, {
		name: "full", spec: fullAgentSpec(), owner: testOwner,
		why: "every CRD field maps to the JSON name and shape of managed-agents-api.md §2 and §8",
		want: map[string]string{
			"name":        `"repo-fixer"`,
			"description": `"Fixes failing CI in a repo"`,
			"system":      `"You are a careful senior engineer."`,
			"model":       `{"id":"claude-opus-4-8","effort":"high","speed":"fast","inference_geo":"us"}`,
			"tools": `[
			 {"type":"agent_toolset_20260401",
			  "default_config":{"enabled":true,"permission_policy":{"type":"always_allow"}},
			  "configs":[
			   {"name":"bash","permission_policy":{"type":"always_ask"}},
			   {"name":"write","enabled":false},
			   {"name":"web_fetch","permission_policy":{"type":"auto"},"allowed_domains":["docs.example.com"],"max_content_tokens":5000,
			    "url_sources":{"user_input":"all",
			     "client_tool_results":{"type":"only","tools":[{"type":"tool_reference","name":"open_ticket"}]},
			     "server_tool_results":{"type":"except","tools":[{"type":"tool_reference","name":"web_search"}]}}},
			   {"name":"web_search","blocked_domains":["spam.example"],
			    "user_location":{"type":"approximate","city":"Paris","country":"FR","timezone":"Europe/Paris"}}]},
			 {"type":"mcp_toolset","mcp_server_name":"github","default_config":{"permission_policy":{"type":"always_ask"}},
			  "configs":[{"name":"create_pr","enabled":false},{"name":"list_repos","permission_policy":{"type":"always_allow"}}]},
			 {"type":"custom","name":"open_ticket","description":"Open a ticket in the tracker",
			  "input_schema":{"type":"object","properties":{"title":{"type":"string","maxLength":120}},"required":["title"],"additionalProperties":false}}]`,
			"mcp_servers": `[{"type":"url","name":"github","url":"https://api.githubcopilot.com/mcp/"}]`,
			"skills":      `[{"type":"anthropic","skill_id":"xlsx"},{"type":"custom","skill_id":"skill_01abc","version":"7"}]`,
			"multiagent": `{"type":"multiagent_20261001",
			 "advisor":{"type":"enabled","model":"claude-opus-4-8"},
			 "subagents":{"type":"enabled","inline_agents":{"type":"disabled"},
			  "predefined_agents":[{"type":"agent","id":"agent_01aaa","version":2},{"type":"agent","id":"agent_01bbb"}]},
			 "workflows":{"type":"disabled"}}`,
			"execution_identity": `{"type":"aws_role","role_arn":"arn:aws:iam::123456789012:role/runner"}`,
			"metadata": `{"team":"platform","claude.anthropic.com/uid":"0f3c-uid",
			 "claude.anthropic.com/namespace":"team-a","claude.anthropic.com/name":"fixer"}`,
		},
	}, {
		name: "defaults made explicit", spec: serviceAccount,
		why: "an empty multiagent still sends every level (advisor disabled, delegation enabled), so a later update replaces a stale level instead of merging it",
		want: map[string]string{
			"multiagent":         `{"type":"multiagent_20261001","advisor":{"type":"disabled"},"subagents":{"type":"enabled"},"workflows":{"type":"enabled"}}`,
			"execution_identity": `{"type":"service_account"}`,
		},
	}, {
		name: "owner only", spec: minimal, owner: map[string]string{"claude.anthropic.com/uid": "u1"},
		why:  "the reserved keys are written even when the user sets no metadata, so the object can be found by UID after a crash",
		want: map[string]string{"metadata": `{"claude.anthropic.com/uid":"u1"}`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewAgentParams(tc.spec, tc.owner)
			if err != nil {
				t.Fatalf("NewAgentParams: %v", err)
			}
			checkFields(t, fields(t, p), tc.want, tc.absent)
		})
	}
}

func TestNewAgentParamsInvalidSpec(t *testing.T) {
	withSchema := func(schema string) *v1alpha1.AgentSpec {
		s := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}
		s.Tools = []v1alpha1.Tool{{MCPToolset: &v1alpha1.MCPToolset{MCPServerName: "x"}},
			{Custom: &v1alpha1.CustomTool{Name: "t", Description: "d", InputSchema: rawJSON(schema)}}}
		return s
	}
	userInputOnly := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "m"}, Tools: []v1alpha1.Tool{{AgentToolset: &v1alpha1.AgentToolset{
		Configs: []v1alpha1.BuiltinToolConfig{{Name: "web_fetch", URLSources: &v1alpha1.URLSources{UserInput: &v1alpha1.URLSourcePolicy{Mode: "Only", Tools: []string{"x"}}}}}}}}}
	unresolved := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "m"}, Multiagent: &v1alpha1.Multiagent{
		Workflows: &v1alpha1.MultiagentDelegation{Enabled: true, PredefinedAgents: []v1alpha1.AgentTarget{{Name: "helper"}}}}}
	cases := []struct {
		name, why string
		spec      *v1alpha1.AgentSpec
		field     string
	}{
		{"schema type string", "CEL cannot see inside inputSchema, so the operator must reject a non-object schema itself", withSchema(`{"type":"string"}`), "tools[1].custom.inputSchema"},
		{"schema without type", "the API requires type object; a missing type is not silently added", withSchema(`{"properties":{}}`), "tools[1].custom.inputSchema"},
		{"schema is an array", "the schema must be a JSON object", withSchema(`[1,2]`), "tools[1].custom.inputSchema"},
		{"schema is not JSON", "malformed JSON fails before any API call", withSchema(`{`), "tools[1].custom.inputSchema"},
		{"required not a list", "required must be property names", withSchema(`{"type":"object","required":"title"}`), "tools[1].custom.inputSchema.required"},
		{"properties not an object", "properties must be an object", withSchema(`{"type":"object","properties":[]}`), "tools[1].custom.inputSchema.properties"},
		{"user input Only", "the API accepts only all/none for user_input", userInputOnly, "tools[0].agentToolset.configs[0].urlSources.userInput.mode"},
		{"unresolved agent name", "an Agent name without a remote id must not reach the API as an empty id", unresolved, "multiagent.workflows.predefinedAgents[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAgentParams(tc.spec, nil)
			var ise *InvalidSpecError
			if !errors.As(err, &ise) {
				t.Fatalf("err = %v, want *InvalidSpecError", err)
			}
			if ise.Field != tc.field || !strings.HasPrefix(err.Error(), "spec."+tc.field+": ") {
				t.Errorf("field %q, error %q; want field %q", ise.Field, err, tc.field)
			}
			// Update translates the same way and must fail the same way.
			if _, _, err := UpdateAgentParams(tc.spec, nil, &Agent{}); !errors.As(err, &ise) {
				t.Errorf("UpdateAgentParams err = %v, want *InvalidSpecError", err)
			}
		})
	}
}

func TestCustomToolSchemaKeepsNumbersExactly(t *testing.T) {
	// Why: the schema round-trips through Go values; a float64 would turn 12345678901234567890
	// into 12345678901234567000 and the remote schema would drift forever.
	spec := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "m"}, Tools: []v1alpha1.Tool{{Custom: &v1alpha1.CustomTool{
		Name: "t", Description: "d", InputSchema: rawJSON(`{"type":"object","properties":{"n":{"type":"integer","maximum":12345678901234567890}}}`)}}}}
	p, err := NewAgentParams(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"maximum":12345678901234567890`) {
		t.Errorf("number not preserved: %s", b)
	}
}
