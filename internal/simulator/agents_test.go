// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestAgentCreateResolvesDefaults checks the server-filled fields an
// operator must not mistake for drift.
func TestAgentCreateResolvesDefaults(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	p := toolAgentParams()
	p.Skills = []anthropic.BetaManagedAgentsSkillParamsUnion{{OfAnthropic: &anthropic.BetaManagedAgentsAnthropicSkillParams{SkillID: "xlsx"}}}
	p.Metadata = map[string]string{"k8s.uid": "1234"}
	a := h.agent(ctx, p)

	checkResolvedAgent(t, a)
	checkResolvedTools(t, a)
	t.Run("model as a bare string", func(t *testing.T) {
		a, err := h.client.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "bare", Model: model("x")},
			option.WithJSONSet("model", "claude-sonnet-4-6"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Model.ID != "claude-sonnet-4-6" || a.Model.Effort.Type != "high" || a.Model.Speed != "standard" {
			t.Fatalf("model %s", a.Model.RawJSON())
		}
	})
	t.Run("explicit effort and multiagent roster", func(t *testing.T) {
		checkEffortAndRoster(ctx, t, h, a.ID)
	})
}

// checkResolvedAgent checks the defaults filled in outside the tools.
func checkResolvedAgent(t *testing.T, a *anthropic.BetaManagedAgentsAgent) {
	t.Helper()
	if !strings.HasPrefix(a.ID, "agent_") || a.Version != 1 || a.Type != "agent" {
		t.Fatalf("id %q version %d type %q", a.ID, a.Version, a.Type)
	}
	if a.Model.Effort.Type != "high" || a.Model.Speed != "standard" || a.Model.ID != "claude-opus-4-8" {
		t.Fatalf("model %+v", a.Model)
	}
	if a.ExecutionIdentity.Type != "service_account" || a.JSON.Multiagent.Raw() != "null" || a.JSON.ArchivedAt.Raw() != "null" {
		t.Fatalf("execution_identity %q multiagent %s archived_at %s", a.ExecutionIdentity.Type, a.JSON.Multiagent.Raw(), a.JSON.ArchivedAt.Raw())
	}
	if a.Metadata["k8s.uid"] != "1234" || len(a.Skills) != 1 || a.Skills[0].Version == "" {
		t.Fatalf("metadata %v skills %+v", a.Metadata, a.Skills)
	}
}

// checkResolvedTools checks the defaults filled into toolAgentParams' tools.
func checkResolvedTools(t *testing.T, a *anthropic.BetaManagedAgentsAgent) {
	t.Helper()
	toolset := a.Tools[0].AsAgentToolset20260401()
	if !toolset.DefaultConfig.Enabled || toolset.DefaultConfig.PermissionPolicy.Type != "always_allow" || len(toolset.Configs) != 2 {
		t.Fatalf("toolset %s", a.Tools[0].RawJSON())
	}
	bash := toolset.Configs[0]
	if bash.Name != "bash" || bash.Type != "bash" || !bash.Enabled || bash.PermissionPolicy.Type != "always_ask" {
		t.Fatalf("bash config %s", bash.RawJSON())
	}
	if wf := toolset.Configs[1]; wf.Name != "web_fetch" || wf.Enabled || wf.PermissionPolicy.Type != "always_allow" {
		t.Fatalf("web_fetch config %s", wf.RawJSON())
	}
	mcp := a.Tools[1].AsMCPToolset()
	if mcp.MCPServerName != "github" || !mcp.DefaultConfig.Enabled || mcp.DefaultConfig.PermissionPolicy.Type != "always_ask" {
		t.Fatalf("mcp toolset %s", a.Tools[1].RawJSON())
	}
	custom := a.Tools[2].AsCustom()
	if custom.Name != "open_ticket" || custom.InputSchema.Type != "object" || custom.InputSchema.Required[0] != "title" {
		t.Fatalf("custom tool %s", a.Tools[2].RawJSON())
	}
}

// checkEffortAndRoster creates a coordinator with an explicit effort whose
// roster pins agentID (resolved to version 1) and the coordinator itself.
func checkEffortAndRoster(ctx context.Context, t *testing.T, h *harness, agentID string) {
	t.Helper()
	p := anthropic.BetaAgentNewParams{Name: "coord", Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-opus-4-8",
		Effort: anthropic.BetaManagedAgentsModelConfigParamsEffortUnion{OfBetaManagedAgentsModelConfigsEffortBetaManagedAgentsEffortLevel: anthropic.String("low")}}}
	c, err := h.client.Beta.Agents.New(ctx, p, option.WithJSONSet("multiagent", map[string]any{
		"type": "coordinator", "agents": []any{agentID, map[string]any{"type": "self"}}}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Model.Effort.Type != "low" || c.Multiagent.Type != "coordinator" || len(c.Multiagent.Agents) != 2 ||
		c.Multiagent.Agents[0].ID != agentID || c.Multiagent.Agents[0].Version != 1 {
		t.Fatalf("agent %s", c.RawJSON())
	}
}

// TestAgentCreateValidation: every bad body is a 400 naming the field.
func TestAgentCreateValidation(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	valid := func() anthropic.BetaAgentNewParams {
		return anthropic.BetaAgentNewParams{Name: "n", Model: model("claude-opus-4-8")}
	}
	many := map[string]string{}
	for i := 0; i < 17; i++ {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name string
		p    anthropic.BetaAgentNewParams
		opts []option.RequestOption
		msg  string
	}{
		{"name missing", valid(), []option.RequestOption{option.WithJSONDel("name")}, "name: field required"},
		{"name empty", anthropic.BetaAgentNewParams{Model: model("claude-opus-4-8")}, nil, "name: string should have at least 1"},
		{"name too long", anthropic.BetaAgentNewParams{Name: strings.Repeat("x", 257), Model: model("claude-opus-4-8")}, nil, "name: string should have at most 256"},
		{"model missing", anthropic.BetaAgentNewParams{Name: "n"}, nil, "model: field required"},
		{"model id unknown", anthropic.BetaAgentNewParams{Name: "n", Model: model("gpt-4")}, nil, "model.id"},
		{"model effort invalid", valid(), []option.RequestOption{option.WithJSONSet("model.effort", "extreme")}, "model.effort"},
		{"fast haiku", valid(), []option.RequestOption{option.WithJSONSet("model", map[string]any{"id": "claude-haiku-4-5", "speed": "fast"})}, "model.speed"},
		{"unknown field", valid(), []option.RequestOption{option.WithJSONSet("callable_agents", []any{})}, "callable_agents: extra inputs"},
		{"mcp server not referenced", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.MCPServers = []anthropic.BetaManagedAgentsURLMCPServerParams{{Name: "gh", URL: "https://example.com/mcp"}}
			return p
		}(), nil, "mcp_servers[0]"},
		{"mcp toolset without server", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.Tools = []anthropic.BetaAgentNewParamsToolUnion{{OfMCPToolset: &anthropic.BetaManagedAgentsMCPToolsetParams{MCPServerName: "gh"}}}
			return p
		}(), nil, "tools[0].mcp_server_name"},
		{"custom tool bad name", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.Tools = []anthropic.BetaAgentNewParamsToolUnion{{OfCustom: &anthropic.BetaManagedAgentsCustomToolParams{Name: "bad name", Description: "d"}}}
			return p
		}(), nil, "tools[0].name"},
		{"two agent toolsets", func() anthropic.BetaAgentNewParams {
			p := valid()
			ts := anthropic.BetaAgentNewParamsToolUnion{OfAgentToolset20260401: &anthropic.BetaManagedAgentsAgentToolset20260401Params{}}
			p.Tools = []anthropic.BetaAgentNewParamsToolUnion{ts, ts}
			return p
		}(), nil, "tools[1]"},
		{"unknown tool type", valid(), []option.RequestOption{option.WithJSONSet("tools", []any{map[string]any{"type": "computer"}})}, "tools[0].type"},
		{"unknown built-in tool", valid(), []option.RequestOption{option.WithJSONSet("tools", []any{map[string]any{
			"type": "agent_toolset_20260401", "configs": []any{map[string]any{"name": "teleport"}}}})}, "tools[0].configs[0].name"},
		{"too many metadata pairs", func() anthropic.BetaAgentNewParams { p := valid(); p.Metadata = many; return p }(), nil, "metadata: at most 16"},
		{"metadata key too long", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.Metadata = map[string]string{strings.Repeat("k", 65): "v"}
			return p
		}(), nil, "metadata: key"},
		{"metadata value too long", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.Metadata = map[string]string{"k": strings.Repeat("v", 513)}
			return p
		}(), nil, "metadata.k"},
		{"custom skill id", func() anthropic.BetaAgentNewParams {
			p := valid()
			p.Skills = []anthropic.BetaManagedAgentsSkillParamsUnion{{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: "xlsx"}}}
			return p
		}(), nil, "skills[0].skill_id"},
		{"aws role without arn", valid(), []option.RequestOption{option.WithJSONSet("execution_identity", map[string]any{"type": "aws_role", "role_arn": "nope"})}, "execution_identity.role_arn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Agents.New(ctx, tc.p, tc.opts...)
			wantAPIError(t, err, 400, "invalid_request_error", tc.msg)
		})
	}
	t.Run("unknown roster agent is 404", func(t *testing.T) {
		_, err := h.client.Beta.Agents.New(ctx, valid(), option.WithJSONSet("multiagent",
			map[string]any{"type": "coordinator", "agents": []any{"agent_missing"}}))
		wantAPIError(t, err, 404, "not_found_error", "agent_missing")
	})
	if n := len(h.sim.Stats()); n == 0 {
		t.Fatal("no requests counted")
	}
}

// TestAgentVersioning walks an agent through updates, checking optimistic
// concurrency and each field's update semantics.
func TestAgentVersioning(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	a := h.agent(ctx, anthropic.BetaAgentNewParams{
		Name: "v", Description: anthropic.String("first"), System: anthropic.String("be brief"),
		Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-opus-4-8",
			Effort: anthropic.BetaManagedAgentsModelConfigParamsEffortUnion{OfBetaManagedAgentsEffortLow: &anthropic.BetaManagedAgentsEffortLowParam{}}},
		Metadata: map[string]string{"keep": "1", "drop": "2"},
		Tools:    toolAgentParams().Tools, MCPServers: toolAgentParams().MCPServers,
	})
	update := func(p anthropic.BetaAgentUpdateParams, opts ...option.RequestOption) (*anthropic.BetaManagedAgentsAgent, error) {
		return h.client.Beta.Agents.Update(ctx, a.ID, p, opts...)
	}

	u, err := update(anthropic.BetaAgentUpdateParams{Version: anthropic.Int(1), System: anthropic.String("be thorough")})
	if err != nil || u.Version != 2 || u.System != "be thorough" || u.Description != "first" {
		t.Fatalf("update 1: %v %+v", err, u)
	}
	_, err = update(anthropic.BetaAgentUpdateParams{Version: anthropic.Int(1), Name: anthropic.String("stale")})
	wantAPIError(t, err, 409, "invalid_request_error", "version 1")

	want := int64(2)
	for _, st := range agentUpdateSteps() {
		want++
		got, err := update(st.p, st.opts...)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.Version != want {
			t.Fatalf("%s: version %d, want %d", st.name, got.Version, want)
		}
		if msg := st.check(got); msg != "" {
			t.Fatalf("%s: %s", st.name, msg)
		}
	}

	t.Run("a no-op update keeps the version", func(t *testing.T) {
		got, err := update(anthropic.BetaAgentUpdateParams{Version: anthropic.Int(want), Name: anthropic.String("v")})
		if err != nil || got.Version != want {
			t.Fatalf("%v version %d", err, got.Version)
		}
	})
	t.Run("name cannot be cleared", func(t *testing.T) {
		_, err := update(anthropic.BetaAgentUpdateParams{}, option.WithJSONSet("name", nil))
		wantAPIError(t, err, 400, "invalid_request_error", "name: cannot be cleared")
	})
	t.Run("old versions stay readable", func(t *testing.T) {
		checkAgentVersionsReadable(ctx, t, h, a.ID, want)
	})
	t.Run("versions list has every version, newest first", func(t *testing.T) {
		checkAgentVersionList(ctx, t, h, a.ID, want)
	})
}

// agentUpdateStep is one update of TestAgentVersioning; check returns what
// is wrong with the updated agent, or "".
type agentUpdateStep struct {
	name  string
	p     anthropic.BetaAgentUpdateParams
	opts  []option.RequestOption
	check func(*anthropic.BetaManagedAgentsAgent) string
}

// agentUpdateSteps are TestAgentVersioning's updates after the first; each
// makes a new version.
func agentUpdateSteps() []agentUpdateStep {
	return []agentUpdateStep{
		{"metadata is patched: upsert and null delete", anthropic.BetaAgentUpdateParams{Metadata: map[string]string{"new": "3"}},
			[]option.RequestOption{option.WithJSONSet("metadata.drop", nil)},
			func(a *anthropic.BetaManagedAgentsAgent) string {
				if len(a.Metadata) != 2 || a.Metadata["keep"] != "1" || a.Metadata["new"] != "3" {
					return fmt.Sprint(a.Metadata)
				}
				return ""
			}},
		{"empty description clears it", anthropic.BetaAgentUpdateParams{Description: anthropic.String("")}, nil,
			func(a *anthropic.BetaManagedAgentsAgent) string {
				if a.Description != "" || a.System != "be thorough" {
					return a.Description
				}
				return ""
			}},
		{"null system clears it", anthropic.BetaAgentUpdateParams{}, []option.RequestOption{option.WithJSONSet("system", nil)},
			func(a *anthropic.BetaManagedAgentsAgent) string { return a.System }},
		{"model replaced, omitted effort kept", anthropic.BetaAgentUpdateParams{Model: model("claude-sonnet-4-6")}, nil,
			func(a *anthropic.BetaManagedAgentsAgent) string {
				if a.Model.ID != "claude-sonnet-4-6" || a.Model.Effort.Type != "low" {
					return a.Model.RawJSON()
				}
				return ""
			}},
		{"tools and mcp_servers replaced whole", anthropic.BetaAgentUpdateParams{}, []option.RequestOption{
			option.WithJSONSet("tools", []any{map[string]any{"type": "agent_toolset_20260401"}}), option.WithJSONSet("mcp_servers", nil)},
			func(a *anthropic.BetaManagedAgentsAgent) string {
				if len(a.Tools) != 1 || len(a.MCPServers) != 0 {
					return fmt.Sprint(len(a.Tools), len(a.MCPServers))
				}
				return ""
			}},
	}
}

// checkAgentVersionsReadable reads version 1 and the latest (version latest)
// back, and wants 404s for a missing version and a missing agent.
func checkAgentVersionsReadable(ctx context.Context, t *testing.T, h *harness, agentID string, latest int64) {
	t.Helper()
	v1, err := h.client.Beta.Agents.Get(ctx, agentID, anthropic.BetaAgentGetParams{Version: anthropic.Int(1)})
	if err != nil || v1.Version != 1 || v1.System != "be brief" {
		t.Fatalf("%v %+v", err, v1)
	}
	got, err := h.client.Beta.Agents.Get(ctx, agentID, anthropic.BetaAgentGetParams{})
	if err != nil || got.Version != latest {
		t.Fatalf("%v %+v", err, got)
	}
	_, err = h.client.Beta.Agents.Get(ctx, agentID, anthropic.BetaAgentGetParams{Version: anthropic.Int(99)})
	wantAPIError(t, err, 404, "not_found_error", "version 99")
	_, err = h.client.Beta.Agents.Get(ctx, "agent_missing", anthropic.BetaAgentGetParams{})
	wantAPIError(t, err, 404, "not_found_error", "agent_missing")
}

// checkAgentVersionList pages through the versions and wants all of them,
// latest down to 1.
func checkAgentVersionList(ctx context.Context, t *testing.T, h *harness, agentID string, latest int64) {
	t.Helper()
	var got []int64
	pager := h.client.Beta.Agents.Versions.ListAutoPaging(ctx, agentID, anthropic.BetaAgentVersionListParams{Limit: anthropic.Int(2)})
	for pager.Next() {
		got = append(got, pager.Current().Version)
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != int(latest) || got[0] != latest || got[len(got)-1] != 1 {
		t.Fatalf("versions %v", got)
	}
}

// TestAgentArchive: archiving is permanent and makes the agent read-only.
func TestAgentArchive(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	a := h.agent(ctx, anthropic.BetaAgentNewParams{})
	archived, err := h.client.Beta.Agents.Archive(ctx, a.ID, anthropic.BetaAgentArchiveParams{})
	if err != nil || archived.ArchivedAt.IsZero() {
		t.Fatalf("%v %+v", err, archived)
	}
	again, err := h.client.Beta.Agents.Archive(ctx, a.ID, anthropic.BetaAgentArchiveParams{})
	if err != nil || !again.ArchivedAt.Equal(archived.ArchivedAt) {
		t.Fatalf("archive is not idempotent: %v", err)
	}
	_, err = h.client.Beta.Agents.Update(ctx, a.ID, anthropic.BetaAgentUpdateParams{Name: anthropic.String("x")})
	wantAPIError(t, err, 400, "invalid_request_error", "archived")
	_, err = h.client.Beta.Agents.Archive(ctx, "agent_missing", anthropic.BetaAgentArchiveParams{})
	wantAPIError(t, err, 404, "not_found_error", "")

	list, err := h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{})
	if err != nil || len(list.Data) != 0 {
		t.Fatalf("archived agent listed by default: %v %d", err, len(list.Data))
	}
	list, err = h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{IncludeArchived: anthropic.Bool(true)})
	if err != nil || len(list.Data) != 1 {
		t.Fatalf("include_archived: %v %d", err, len(list.Data))
	}
}

// TestAgentListPagination: pages are bounded and ListAutoPaging sees each agent once.
func TestAgentListPagination(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	const n = 45
	created := map[string]bool{}
	for i := 0; i < n; i++ {
		created[h.agent(ctx, anthropic.BetaAgentNewParams{}).ID] = true
	}
	first, err := h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{})
	if err != nil || len(first.Data) != 20 || first.NextPage == "" {
		t.Fatalf("first page: %v %d %q", err, len(first.Data), first.NextPage)
	}
	pager := h.client.Beta.Agents.ListAutoPaging(ctx, anthropic.BetaAgentListParams{Limit: anthropic.Int(7)})
	var ids []string
	for pager.Next() {
		ids = append(ids, pager.Current().ID)
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] || !created[id] {
			t.Fatalf("duplicate or unknown agent %s", id)
		}
		seen[id] = true
		if i > 0 && ids[i-1] < id {
			t.Fatalf("not newest first at %d", i)
		}
	}
	if len(ids) != n {
		t.Fatalf("listed %d agents, want %d", len(ids), n)
	}
	_, err = h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{Limit: anthropic.Int(101)})
	wantAPIError(t, err, 400, "invalid_request_error", "limit")
	_, err = h.client.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{Page: anthropic.String("garbage")})
	wantAPIError(t, err, 400, "invalid_request_error", "page")
}

// TestAgentResponseIsWireCompatible decodes a response into the SDK's type
// and checks every documented key is present.
func TestAgentResponseIsWireCompatible(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	a := h.agent(testCtx(t), anthropic.BetaAgentNewParams{})
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(a.RawJSON()), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "type", "name", "description", "system", "model", "tools", "mcp_servers", "skills",
		"multiagent", "execution_identity", "metadata", "version", "created_at", "updated_at", "archived_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
}
