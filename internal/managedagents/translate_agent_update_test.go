// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"encoding/json"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// remoteAgent decodes an API response body into the SDK's agent type.
func remoteAgent(t testing.TB, body string) *anthropic.BetaManagedAgentsAgent {
	t.Helper()
	var a anthropic.BetaManagedAgentsAgent
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("decode agent: %v", err)
	}
	return &a
}

const remoteWithExtras = `{"id":"agent_1","type":"agent","version":7,"name":"old","description":"old","system":"old",
 "model":{"id":"claude-opus-4-8","effort":{"type":"max"},"inference_geo":"us","speed":"fast"},
 "tools":[{"type":"custom","name":"gone","description":"d","input_schema":{"type":"object"}}],
 "mcp_servers":[],"skills":[{"type":"anthropic","skill_id":"pdf","version":"1"}],
 "multiagent":{"type":"multiagent_20261001","advisor":{"type":"disabled"},"subagents":{"type":"disabled"},"workflows":{"type":"disabled"}},
 "execution_identity":{"type":"aws_role","role_arn":"arn:aws:iam::123456789012:role/old"},
 "metadata":{"team":"old","team.name":"x","claude.anthropic.com/uid":"0f3c-uid","claude.anthropic.com/stale":"1"},
 "created_at":"2026-05-01T10:00:00Z","updated_at":"2026-05-01T10:00:00Z","archived_at":null}`

const remotePlain = `{"id":"agent_1","type":"agent","version":3,"name":"a","description":"","system":"",
 "model":{"id":"claude-sonnet-4-6","effort":{"type":"high"},"inference_geo":null,"speed":"standard"},
 "tools":[],"mcp_servers":[],"skills":[],"multiagent":null,"execution_identity":{"type":"service_account"},
 "metadata":{},"created_at":"2026-05-01T10:00:00Z","updated_at":"2026-05-01T10:00:00Z","archived_at":null}`

func TestUpdateAgentParamsWireJSON(t *testing.T) {
	minimal := &v1alpha1.AgentSpec{Name: "min", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}, Metadata: v1alpha1.Metadata{"team": "new"}}
	cases := []struct {
		name, why string
		spec      *v1alpha1.AgentSpec
		remote    string
		want      map[string]string
		absent    []string
		deletes   int
	}{{
		name: "clears what the spec no longer has", spec: minimal, remote: remoteWithExtras,
		why: "tools/skills/mcp_servers are full replacements ([] clears), description/system clear with \"\", " +
			"multiagent clears with null and execution_identity returns to the default; version guards concurrency",
		want: map[string]string{
			"version": `7`, "name": `"min"`, "description": `""`, "system": `""`,
			"model": `{"id":"claude-sonnet-4-6","speed":"standard"}`,
			"tools": `[]`, "skills": `[]`, "mcp_servers": `[]`,
			"multiagent": `null`, "execution_identity": `{"type":"service_account"}`,
			"metadata": `{"team":"new"}`,
		},
		deletes: 3, // team.name, claude.anthropic.com/uid and claude.anthropic.com/stale (owner is nil here)
	}, {
		name: "leaves defaults alone", spec: minimal, remote: remotePlain,
		why:    "no null multiagent or identity reset is sent when the remote already has the default",
		want:   map[string]string{"version": `3`},
		absent: []string{"multiagent", "execution_identity"},
	}, {
		name: "full spec", spec: fullAgentSpec(), remote: remotePlain,
		why: "the update carries the same translation as the create",
		want: map[string]string{
			"model":              `{"id":"claude-opus-4-8","effort":"high","speed":"fast","inference_geo":"us"}`,
			"execution_identity": `{"type":"aws_role","role_arn":"arn:aws:iam::123456789012:role/runner"}`,
			"skills":             `[{"type":"anthropic","skill_id":"xlsx"},{"type":"custom","skill_id":"skill_01abc","version":"7"}]`,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, opts, err := UpdateAgentParams(tc.spec, nil, remoteAgent(t, tc.remote))
			if err != nil {
				t.Fatalf("UpdateAgentParams: %v", err)
			}
			checkFields(t, fields(t, p), tc.want, tc.absent)
			if len(opts) != tc.deletes {
				t.Errorf("got %d metadata delete options, want %d", len(opts), tc.deletes)
			}
		})
	}
}

// TestUpdateAgentMetadataPatchOnTheWire sends the update through the SDK to a capturing server:
// the null deletes exist only as request options, so only the real request body proves them.
func TestUpdateAgentMetadataPatchOnTheWire(t *testing.T) {
	c := newCapture(t, remotePlain)
	spec := &v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}, Metadata: v1alpha1.Metadata{"team": "new"}}
	owner := map[string]string{"claude.anthropic.com/uid": "0f3c-uid"}
	p, opts, err := UpdateAgentParams(spec, owner, remoteAgent(t, remoteWithExtras))
	if err != nil {
		t.Fatal(err)
	}
	client := c.client()
	if _, err := client.Beta.Agents.Update(testContext(t), "agent_1", p, opts...); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if c.path != "/v1/agents/agent_1" {
		t.Errorf("path %q", c.path)
	}
	checkFields(t, c.lastBody(t), map[string]string{
		// Upserts for desired keys; null for remote keys no longer desired. The dotted keys prove
		// that the sjson path is escaped (unescaped, they would become nested objects).
		"metadata": `{"team":"new","claude.anthropic.com/uid":"0f3c-uid","team.name":null,"claude.anthropic.com/stale":null}`,
		"version":  `7`,
	}, nil)
}
