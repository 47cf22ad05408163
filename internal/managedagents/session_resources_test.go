// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestNewSessionParamsResolvesVaultAndMemoryStoreRefs(t *testing.T) {
	spec := &v1alpha1.SessionSpec{
		VaultIDs:  []string{"vlt_a"},
		VaultRefs: []v1alpha1.LocalObjectReference{{Name: "team"}},
		Resources: []v1alpha1.SessionResource{
			{File: &v1alpha1.FileResource{FileID: "file_1"}},
			{MemoryStore: &v1alpha1.MemoryStoreResource{MemoryStoreRef: &v1alpha1.LocalObjectReference{Name: "memory"}, Access: "ReadOnly"}},
		},
	}
	in := SessionInputs{AgentID: "agent_1", EnvironmentID: "env_1", VaultIDs: []string{"vlt_b"}, MemoryStoreIDs: map[int]string{1: "memstore_9"}}
	p, err := NewSessionParams(spec, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, fields(t, p), map[string]string{"vault_ids": `["vlt_a","vlt_b"]`, "resources": `[{"type":"file","file_id":"file_1"},
		{"type":"memory_store","memory_store_id":"memstore_9","access":"read_only"}]`}, nil)

	cases := []struct {
		name, why string
		in        SessionInputs
		field     string
	}{
		{"vault not resolved", "a session must not start without the vaults it names", SessionInputs{MemoryStoreIDs: in.MemoryStoreIDs}, "spec.vaultRefs"},
		{"memory store not resolved", "an empty memory_store_id would reach the API", SessionInputs{VaultIDs: in.VaultIDs}, "spec.resources[1].memoryStore.memoryStoreRef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSessionParams(spec, tc.in, nil); err == nil || !strings.HasPrefix(err.Error(), tc.field) {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
}

func TestPlanSessionFiles(t *testing.T) {
	mounted := func(id, typ, fileID, mount string) SessionResource {
		return SessionResource{ID: id, Type: typ, FileID: fileID, MountPath: mount}
	}
	remote := []SessionResource{
		mounted("r_repo", "github_repository", "", "/workspace/app"),
		mounted("r_keep", "file", "file_keep", "/mnt/session/uploads/file_keep"),
		mounted("r_gone", "file", "file_gone", "/data/gone.csv"),
		mounted("r_moved", "file", "file_moved", "/data/old.csv"),
	}
	spec := &v1alpha1.SessionSpec{Resources: []v1alpha1.SessionResource{
		{File: &v1alpha1.FileResource{FileID: "file_keep"}}, // default mount path matches
		{File: &v1alpha1.FileResource{FileID: "file_moved", MountPath: "/data/new.csv"}},
		{File: &v1alpha1.FileResource{FileID: "file_new"}},
	}}
	plan := PlanSessionFiles(spec, remote)
	var added []string
	for _, a := range plan.Add {
		added = append(added, a.FileID+"@"+a.MountPath.Or(""))
	}
	if !slices.Equal(added, []string{"file_moved@/data/new.csv", "file_new@"}) || !slices.Equal(plan.Remove, []string{"r_gone", "r_moved"}) {
		t.Fatalf("plan: add %v, remove %v", added, plan.Remove)
	}
	if p := PlanSessionFiles(&v1alpha1.SessionSpec{}, remote[:1]); p.Add != nil || p.Remove != nil {
		t.Fatalf("repositories are never planned: %+v", p)
	}
}

func TestSessionResourcesThroughSimulator(t *testing.T) {
	ctx := testContext(t)
	api, sim := simAPI(t)
	agent, err := api.CreateAgent(ctx, anthropic.BetaAgentNewParams{Name: "a", Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-opus-4-8"}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := api.CreateEnvironment(ctx, anthropic.BetaEnvironmentNewParams{Name: "e"})
	if err != nil {
		t.Fatal(err)
	}
	spec := &v1alpha1.SessionSpec{Resources: []v1alpha1.SessionResource{
		{GitHubRepository: &v1alpha1.GitHubRepositoryResource{URL: "https://github.com/acme/app"}},
		{File: &v1alpha1.FileResource{FileID: "file_1"}},
	}}
	p, err := NewSessionParams(spec, SessionInputs{AgentID: agent.ID, EnvironmentID: env.ID, GitHubTokens: map[int]string{0: "ghp_1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := api.CreateSession(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := api.ListSessionResources(ctx, sess.ID)
	if err != nil || len(remote) != 2 {
		t.Fatalf("resources %v %v", remote, err)
	}
	repoID := RepositoryResourceIDs(spec, remote)[0]
	if err := api.RotateRepositoryToken(ctx, sess.ID, repoID, "ghp_2"); err != nil {
		t.Fatal(err)
	}
	if res, _ := sim.SessionResources(sess.ID); res[0].Token != "ghp_2" || res[0].TokenUpdates != 1 {
		t.Fatalf("token after rotation: %+v", res[0])
	}

	spec.Resources[1] = v1alpha1.SessionResource{File: &v1alpha1.FileResource{FileID: "file_2", MountPath: "/data/two.csv"}}
	plan := PlanSessionFiles(spec, remote)
	for _, f := range plan.Add {
		if _, err := api.AddSessionFile(ctx, sess.ID, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range plan.Remove {
		if err := api.DeleteSessionResource(ctx, sess.ID, id); err != nil {
			t.Fatal(err)
		}
	}
	remote, _ = api.ListSessionResources(ctx, sess.ID)
	if p := PlanSessionFiles(spec, remote); len(remote) != 2 || p.Add != nil || p.Remove != nil {
		t.Fatalf("after applying the plan: %d resources, plan %+v", len(remote), p)
	}
	if err := api.DeleteSessionResource(ctx, sess.ID, repoID); KindOf(err) != KindTerminal {
		t.Fatalf("removing a repository is refused by the API: %v", err)
	}
}
