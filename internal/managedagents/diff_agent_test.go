// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"slices"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestAgentDriftNilForFreshlyCreatedAgent(t *testing.T) {
	cases := []struct {
		name, why string
		spec      *v1alpha1.AgentSpec
	}{
		{"minimal", "server defaults (effort, speed, identity, empty lists) are not drift", &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}},
		{"full", "every field survives the API's resolution: full toolset configs, skill versions, pinned agents", fullAgentSpec()},
		{"empty toolset", "a toolset without config is matched by identity alone", &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "m"},
			Tools: []v1alpha1.Tool{{AgentToolset: &v1alpha1.AgentToolset{}}}}},
		{"empty multiagent", "the explicit defaults sent for unset levels are what the API echoes", &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "m"},
			Multiagent: &v1alpha1.Multiagent{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewAgentParams(tc.spec, testOwner)
			if err != nil {
				t.Fatal(err)
			}
			if got := AgentDrift(tc.spec, testOwner, decodeAgent(t, echoAgent(t, p))); got != nil {
				t.Errorf("AgentDrift = %v, want nil", got)
			}
		})
	}
}

func TestAgentDriftDetectsOutOfBandChanges(t *testing.T) {
	tools := func(r obj) []any { return r["tools"].([]any) }
	toolset := func(r obj) obj { return tools(r)[0].(obj) }
	builtin := func(r obj, name string) obj {
		for _, c := range toolset(r)["configs"].([]any) {
			if c.(obj)["name"] == name {
				return c.(obj)
			}
		}
		panic(name)
	}
	cases := []struct {
		name, why string
		edit      func(r obj)
		spec      func(s *v1alpha1.AgentSpec)
		want      []string
	}{
		{name: "system edited", why: "the prompt is owned", edit: func(r obj) { r["system"] = "be sloppy" }, want: []string{"system"}},
		{name: "description edited", edit: func(r obj) { r["description"] = "x" }, want: []string{"description"}},
		{name: "renamed", edit: func(r obj) { r["name"] = "other" }, want: []string{"name"}},
		{name: "model changed", why: "the model id is owned", edit: func(r obj) { r["model"].(obj)["id"] = "claude-haiku-4-5" }, want: []string{"model"}},
		{name: "pinned effort changed", edit: func(r obj) { r["model"].(obj)["effort"] = obj{"type": "low"} }, want: []string{"model"}},
		{name: "unset effort differs", why: "the API resolves an unset effort to a per-model default",
			spec: func(s *v1alpha1.AgentSpec) { s.Model.Effort = "" }, edit: func(r obj) { r["model"].(obj)["effort"] = obj{"type": "low"} }},
		{name: "effort as bare string", why: "the same effort in the other JSON form is no drift",
			edit: func(r obj) { r["model"].(obj)["effort"] = "high" }},
		{name: "unset speed is standard", spec: func(s *v1alpha1.AgentSpec) { s.Model.Speed = "" }, edit: func(r obj) { r["model"].(obj)["speed"] = "standard" }},
		{name: "unset speed but fast", spec: func(s *v1alpha1.AgentSpec) { s.Model.Speed = "" },
			edit: func(r obj) { r["model"].(obj)["speed"] = "fast" }, want: []string{"model"}},
		{name: "inference geo added", spec: func(s *v1alpha1.AgentSpec) { s.Model.InferenceGeo = "" }, edit: func(r obj) { r["model"].(obj)["inference_geo"] = "eu" }, want: []string{"model"}},
		{name: "tool added remotely", why: "the set of tools must match", edit: func(r obj) {
			r["tools"] = append(tools(r), obj{"type": "custom", "name": "rogue", "description": "d", "input_schema": obj{"type": "object"}})
		}, want: []string{"tools"}},
		{name: "tool removed remotely", edit: func(r obj) { r["tools"] = tools(r)[:2] }, want: []string{"tools"}},
		{name: "tools reordered", why: "tools are matched by identity, not position", edit: func(r obj) { slices.Reverse(tools(r)) }},
		{name: "permission policy changed", why: "a per-tool policy the spec sets is compared",
			edit: func(r obj) { builtin(r, "bash")["permission_policy"] = obj{"type": "always_allow"} }, want: []string{"tools"}},
		{name: "unmentioned tool changed", why: "entries for tools the spec does not configure are ignored",
			edit: func(r obj) { builtin(r, "grep")["permission_policy"] = obj{"type": "always_ask"} }},
		{name: "toolset default changed", edit: func(r obj) { toolset(r)["default_config"].(obj)["enabled"] = false }, want: []string{"tools"}},
		{name: "config entries listed only when overridden", why: "a remote without an entry falls back to default_config",
			spec: func(s *v1alpha1.AgentSpec) {
				s.Tools[0].AgentToolset.Configs[1] = v1alpha1.BuiltinToolConfig{Name: "write", Enabled: ptr(true)}
			},
			edit: func(r obj) {
				toolset(r)["configs"] = []any{builtin(r, "bash"), builtin(r, "web_fetch"), builtin(r, "web_search")}
			}},
		{name: "allowed domains changed", edit: func(r obj) { builtin(r, "web_fetch")["allowed_domains"] = []any{"evil.example"} }, want: []string{"tools"}},
		{name: "url source changed", edit: func(r obj) {
			builtin(r, "web_fetch")["url_sources"].(obj)["client_tool_results"] = obj{"type": "all"}
		}, want: []string{"tools"}},
		{name: "url source as shorthand", why: "\"all\" and {type:all} are the same", edit: func(r obj) { builtin(r, "web_fetch")["url_sources"].(obj)["user_input"] = "all" }},
		{name: "user location changed", edit: func(r obj) { builtin(r, "web_search")["user_location"].(obj)["city"] = "Lyon" }, want: []string{"tools"}},
		{name: "max content tokens changed", edit: func(r obj) { builtin(r, "web_fetch")["max_content_tokens"] = 1 }, want: []string{"tools"}},
		{name: "mcp tool policy changed", edit: func(r obj) {
			tools(r)[1].(obj)["configs"].([]any)[1].(obj)["permission_policy"] = obj{"type": "auto"}
		}, want: []string{"tools"}},
		{name: "custom schema changed", edit: func(r obj) { tools(r)[2].(obj)["input_schema"].(obj)["required"] = []any{} }, want: []string{"tools"}},
		{name: "mcp server url changed", edit: func(r obj) { r["mcp_servers"].([]any)[0].(obj)["url"] = "https://evil.example/mcp" }, want: []string{"mcp_servers"}},
		{name: "pinned skill version changed", edit: func(r obj) { r["skills"].([]any)[1].(obj)["version"] = "8" }, want: []string{"skills"}},
		{name: "unpinned skill version changed", why: "an unpinned skill follows the latest version",
			edit: func(r obj) { r["skills"].([]any)[0].(obj)["version"] = "20270101" }},
		{name: "skill removed", edit: func(r obj) { r["skills"] = r["skills"].([]any)[:1] }, want: []string{"skills"}},
		{name: "metadata key added", why: "metadata must equal user metadata plus owner keys exactly",
			edit: func(r obj) { r["metadata"].(obj)["extra"] = "1" }, want: []string{"metadata"}},
		{name: "owner key removed", edit: func(r obj) { delete(r["metadata"].(obj), "claude.anthropic.com/uid") }, want: []string{"metadata"}},
		{name: "multiagent cleared", edit: func(r obj) { r["multiagent"] = nil }, want: []string{"multiagent"}},
		{name: "multiagent added remotely", spec: func(s *v1alpha1.AgentSpec) { s.Multiagent = nil }, edit: func(r obj) {
			r["multiagent"] = obj{"type": "multiagent_20261001", "advisor": obj{"type": "disabled"}}
		}, want: []string{"multiagent"}},
		{name: "pinned subagent version changed", edit: func(r obj) {
			r["multiagent"].(obj)["subagents"].(obj)["predefined_agents"].([]any)[0].(obj)["version"] = 3
		}, want: []string{"multiagent"}},
		{name: "execution identity changed", edit: func(r obj) { r["execution_identity"] = obj{"type": "service_account"} }, want: []string{"execution_identity"}},
		{name: "several fields", why: "the result is sorted", edit: func(r obj) {
			r["system"], r["metadata"], r["model"].(obj)["id"] = "x", obj{}, "claude-haiku-4-5"
		}, want: []string{"metadata", "model", "system"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := fullAgentSpec()
			if tc.spec != nil {
				tc.spec(spec)
			}
			p, err := NewAgentParams(spec, testOwner)
			if err != nil {
				t.Fatal(err)
			}
			remote := echoAgent(t, p)
			if tc.edit != nil {
				tc.edit(remote)
			}
			if got := AgentDrift(spec, testOwner, decodeAgent(t, remote)); !slices.Equal(got, tc.want) {
				t.Errorf("AgentDrift = %v, want %v", got, tc.want)
			}
		})
	}
}
