// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// These tests send the translations through the SDK to the wire-compatible simulator, so the
// requests must be accepted as they are, and what comes back must be in sync by AgentDrift and
// EnvironmentDrift: the create -> echo -> no drift property against a second, independent
// implementation of the API's resolution rules.

func simClient(t *testing.T) anthropic.Client {
	sim := simulator.New(simulator.Options{StepDelay: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

func TestAgentRoundTripThroughSimulator(t *testing.T) {
	ctx, client := testContext(t), simClient(t)
	helper := &v1alpha1.AgentSpec{Name: "helper", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}
	var ids []string
	for range 2 {
		p, err := NewAgentParams(helper, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := client.Beta.Agents.New(ctx, p)
		if err != nil {
			t.Fatalf("create helper: %v", err)
		}
		ids = append(ids, a.ID)
	}
	spec := fullAgentSpec()
	spec.Multiagent.Subagents.PredefinedAgents[0].ID, spec.Multiagent.Subagents.PredefinedAgents[1].ID = ids[0], ids[1]
	spec.Multiagent.Subagents.PredefinedAgents[0].Version = ptr(int64(1))
	// The custom skill must exist: the simulator resolves it like the API.
	skill := uploadSkill(t, client, "repo-tools")
	spec.Skills[1].SkillID, spec.Skills[1].Version = skill.ID, skill.LatestVersionID

	p, err := NewAgentParams(spec, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	created, err := client.Beta.Agents.New(ctx, p)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if d := AgentDrift(spec, testOwner, created); d != nil {
		t.Fatalf("drift right after create: %v", d)
	}

	// Out of band: someone edits the system prompt and adds a metadata key.
	oob, err := client.Beta.Agents.Update(ctx, created.ID, anthropic.BetaAgentUpdateParams{
		System: anthropic.String("edited"), Metadata: map[string]string{"rogue.key": "1"}})
	if err != nil {
		t.Fatalf("out-of-band update: %v", err)
	}
	if d := AgentDrift(spec, testOwner, oob); len(d) != 2 || d[0] != "metadata" || d[1] != "system" {
		t.Fatalf("drift after out-of-band edit = %v, want [metadata system]", d)
	}

	// The spec shrinks to almost nothing: the update must clear everything it no longer has.
	small := &v1alpha1.AgentSpec{Name: "repo-fixer", Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}, Metadata: v1alpha1.Metadata{"team": "platform"}}
	up, opts, err := UpdateAgentParams(small, testOwner, oob)
	if err != nil {
		t.Fatal(err)
	}
	updated, err := client.Beta.Agents.Update(ctx, created.ID, up, opts...)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if d := AgentDrift(small, testOwner, updated); d != nil {
		t.Errorf("drift right after update: %v (remote %s)", d, updated.RawJSON())
	}
	if want := mergeMetadata(small.Metadata, testOwner); !maps.Equal(updated.Metadata, want) {
		t.Errorf("metadata %v, want %v: the rogue key must be deleted by the patch", updated.Metadata, want)
	}

	// The update carried oob.Version, which is now stale: replaying it must conflict, not overwrite.
	if _, err := client.Beta.Agents.Update(ctx, created.ID, up, opts...); !isStatus(err, http.StatusConflict) {
		t.Errorf("stale update err = %v, want 409", err)
	}
}

func TestEnvironmentRoundTripThroughSimulator(t *testing.T) {
	ctx, client := testContext(t), simClient(t)
	spec := limitedEnvSpec()
	created, err := client.Beta.Environments.New(ctx, NewEnvironmentParams(spec, "team-a-python", testOwner))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if d := EnvironmentDrift(spec, "team-a-python", testOwner, created); d != nil {
		t.Fatalf("drift right after create: %v (remote %s)", d, created.RawJSON())
	}
	empty := &v1alpha1.EnvironmentSpec{}
	p, opts := UpdateEnvironmentParams(empty, "team-a-python", testOwner, created)
	updated, err := client.Beta.Environments.Update(ctx, created.ID, p, opts...)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if d := EnvironmentDrift(empty, "team-a-python", testOwner, updated); d != nil {
		t.Errorf("drift right after update: %v (remote %s)", d, updated.RawJSON())
	}
}

func TestSessionCreateThroughSimulator(t *testing.T) {
	ctx, client := testContext(t), simClient(t)
	ap, _ := NewAgentParams(&v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}, nil)
	agent, err := client.Beta.Agents.New(ctx, ap)
	if err != nil {
		t.Fatal(err)
	}
	env, err := client.Beta.Environments.New(ctx, NewEnvironmentParams(&v1alpha1.EnvironmentSpec{}, "env", nil))
	if err != nil {
		t.Fatal(err)
	}
	spec := &v1alpha1.SessionSpec{Prompt: "hello", Budget: &v1alpha1.Budget{MaxListCostUSD: "2.50"}, Metadata: v1alpha1.Metadata{"k": "v"}}
	p, err := NewSessionParams(spec, SessionInputs{AgentID: agent.ID, AgentVersion: agent.Version, EnvironmentID: env.ID, Title: "ns/s"}, testOwner)
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.Beta.Sessions.New(ctx, p, option.WithMaxRetries(0))
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	if s.Agent.ID != agent.ID || s.Agent.Version != agent.Version || s.Title != "ns/s" || s.Metadata["claude.anthropic.com/uid"] != "0f3c-uid" {
		t.Errorf("session %s", s.RawJSON())
	}
	if got := MinorUnitsToUSD(s.Budget.MaxListCost.Amount); got != "2.50" {
		t.Errorf("budget %q, want 2.50", got)
	}
}

func isStatus(err error, status int) bool {
	var apiErr *anthropic.Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

// uploadSkill creates a one-file custom skill.
func uploadSkill(t *testing.T, client anthropic.Client, name string) *anthropic.BetaSkill {
	t.Helper()
	md := "---\nname: " + name + "\ndescription: test skill\n---\n"
	sk, err := client.Beta.Skills.New(testContext(t), anthropic.BetaSkillNewParams{
		Files: []io.Reader{anthropic.File(strings.NewReader(md), name+"/SKILL.md", "text/markdown")}})
	if err != nil {
		t.Fatalf("create skill: %v", err)
	}
	return sk
}
