// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func repoResource(url, token string) anthropic.BetaSessionNewParamsResourceUnion {
	return anthropic.BetaSessionNewParamsResourceUnion{OfGitHubRepository: &anthropic.BetaManagedAgentsGitHubRepositoryResourceParams{
		URL: url, AuthorizationToken: token}}
}

func memoryResource(id string) anthropic.BetaSessionNewParamsResourceUnion {
	return anthropic.BetaSessionNewParamsResourceUnion{OfMemoryStore: &anthropic.BetaManagedAgentsMemoryStoreResourceParam{
		MemoryStoreID: id, Access: anthropic.BetaManagedAgentsMemoryStoreResourceParamAccessReadOnly,
		Instructions: anthropic.String("check before starting")}}
}

// resourceFixture is a session mounting a repository and a memory store.
type resourceFixture struct {
	h                      *harness
	ctx                    context.Context
	sess                   *anthropic.BetaManagedAgentsSession
	storeID, repoID, memID string
}

func (f *resourceFixture) get(id string) (*anthropic.BetaSessionResourceGetResponseUnion, error) {
	return f.h.client.Beta.Sessions.Resources.Get(f.ctx, id, anthropic.BetaSessionResourceGetParams{SessionID: f.sess.ID})
}

func TestSessionResources(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	store := h.memoryStore(ctx, "Team Decisions!")
	sess := h.session(ctx, anthropic.BetaSessionNewParams{Resources: []anthropic.BetaSessionNewParamsResourceUnion{
		repoResource("https://github.com/acme/app", "ghp_first"), memoryResource(store.ID)}})
	wantNoSecret(t, sess.RawJSON(), "ghp_first")
	f := &resourceFixture{h: h, ctx: ctx, sess: sess, storeID: store.ID, repoID: sess.Resources[0].ID, memID: sess.Resources[1].ID}

	t.Run("memory stores are snapshotted and mounted by name", f.memoryStoreSnapshot)
	t.Run("list and get", f.listAndGet)
	t.Run("rotating the repository token reaches the resource once", f.rotateToken)
	t.Run("files come and go", f.filesComeAndGo)
	t.Run("what the API refuses", f.refused)
	t.Run("an archived session's resources are read-only", func(t *testing.T) {
		if _, err := h.client.Beta.Sessions.Archive(ctx, sess.ID, anthropic.BetaSessionArchiveParams{}); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.Beta.Sessions.Resources.Update(ctx, f.repoID, anthropic.BetaSessionResourceUpdateParams{SessionID: sess.ID, AuthorizationToken: "ghp_third"})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
	})
	t.Run("unknown session and resource", func(t *testing.T) {
		_, err := h.client.Beta.Sessions.Resources.List(ctx, "sesn_nope", anthropic.BetaSessionResourceListParams{})
		wantAPIError(t, err, 404, "not_found_error", "sesn_nope")
		_, err = f.get("sesrsc_nope")
		wantAPIError(t, err, 404, "not_found_error", "sesrsc_nope")
	})
}

func (f *resourceFixture) memoryStoreSnapshot(t *testing.T) {
	want := `{"type":"memory_store","id":"` + f.memID + `","memory_store_id":"` + f.storeID + `","name":"Team Decisions!",
		"description":"what the team decided","mount_path":"/mnt/memory/team-decisions","access":"read_only",
		"instructions":"check before starting","created_at":"` + f.sess.Resources[1].CreatedAt.Format(time.RFC3339Nano) +
		`","updated_at":"` + f.sess.Resources[1].UpdatedAt.Format(time.RFC3339Nano) + `"}`
	if got := f.sess.Resources[1].RawJSON(); !sameJSON(got, want) {
		t.Fatalf("memory store resource %s, want %s", got, want)
	}
}

func (f *resourceFixture) listAndGet(t *testing.T) {
	page, err := f.h.client.Beta.Sessions.Resources.List(f.ctx, f.sess.ID, anthropic.BetaSessionResourceListParams{})
	if err != nil || len(page.Data) != 2 || page.Data[0].ID != f.repoID || page.NextPage != "" {
		t.Fatalf("list: %v %v", page, err)
	}
	one, err := f.h.client.Beta.Sessions.Resources.List(f.ctx, f.sess.ID, anthropic.BetaSessionResourceListParams{Limit: anthropic.Int(1)})
	if err != nil || len(one.Data) != 1 || one.NextPage == "" {
		t.Fatalf("first page of one: %v %v", one, err)
	}
	got, err := f.get(f.repoID)
	if err != nil || got.URL != "https://github.com/acme/app" || got.MountPath != "/workspace/app" {
		t.Fatalf("get: %v %v", got, err)
	}
	wantNoSecret(t, got.RawJSON(), "ghp_first")
}

func (f *resourceFixture) rotateToken(t *testing.T) {
	got, err := f.h.client.Beta.Sessions.Resources.Update(f.ctx, f.repoID, anthropic.BetaSessionResourceUpdateParams{
		SessionID: f.sess.ID, AuthorizationToken: "ghp_second"})
	if err != nil {
		t.Fatal(err)
	}
	wantNoSecret(t, got.RawJSON(), "ghp_second")
	res, _ := f.h.sim.SessionResources(f.sess.ID)
	if res[0].Token != "ghp_second" || res[0].TokenUpdates != 1 || res[1].Token != "" {
		t.Fatalf("inspected resources %+v", res)
	}
}

func (f *resourceFixture) filesComeAndGo(t *testing.T) {
	add := func(fileID string) (*anthropic.BetaManagedAgentsFileResource, error) {
		return f.h.client.Beta.Sessions.Resources.Add(f.ctx, f.sess.ID, anthropic.BetaSessionResourceAddParams{
			BetaManagedAgentsFileResourceParams: anthropic.BetaManagedAgentsFileResourceParams{FileID: fileID, MountPath: anthropic.String("/workspace/data.csv")}})
	}
	file, err := add("file_011abc")
	if err != nil || file.Type != "file" || file.MountPath != "/workspace/data.csv" {
		t.Fatalf("add: %v %v", file, err)
	}
	_, err = add("file_011def")
	wantAPIError(t, err, 400, "invalid_request_error", "mount_path")
	del, err := f.h.client.Beta.Sessions.Resources.Delete(f.ctx, file.ID, anthropic.BetaSessionResourceDeleteParams{SessionID: f.sess.ID})
	if err != nil || del.ID != file.ID || del.Type != "session_resource_deleted" {
		t.Fatalf("delete: %v %v", del, err)
	}
	_, err = f.get(file.ID)
	wantAPIError(t, err, 404, "not_found_error", file.ID)
}

func (f *resourceFixture) refused(t *testing.T) {
	res := f.h.client.Beta.Sessions.Resources
	sid := f.sess.ID
	cases := []struct {
		name, why string
		call      func() error
		msg       string
	}{
		{"add a repository", "repositories are attached at creation", func() error {
			_, err := res.Add(f.ctx, sid, anthropic.BetaSessionResourceAddParams{},
				option.WithJSONSet("type", "github_repository"), option.WithJSONSet("url", "https://github.com/acme/other"))
			return err
		}, "only file resources can be added"},
		{"add a memory store", "memory stores attach at creation only", func() error {
			_, err := res.Add(f.ctx, sid, anthropic.BetaSessionResourceAddParams{},
				option.WithJSONSet("type", "memory_store"), option.WithJSONSet("memory_store_id", f.storeID))
			return err
		}, "memory_store resources are attached when the session is created"},
		{"remove the repository", "a repository stays for the session's lifetime", func() error {
			_, err := res.Delete(f.ctx, f.repoID, anthropic.BetaSessionResourceDeleteParams{SessionID: sid})
			return err
		}, "only file resources can be removed"},
		{"remove the memory store", "a memory store stays for the session's lifetime", func() error {
			_, err := res.Delete(f.ctx, f.memID, anthropic.BetaSessionResourceDeleteParams{SessionID: sid})
			return err
		}, "only file resources can be removed"},
		{"token on a memory store", "only repositories rotate tokens", func() error {
			_, err := res.Update(f.ctx, f.memID, anthropic.BetaSessionResourceUpdateParams{SessionID: sid, AuthorizationToken: "x"})
			return err
		}, "only github_repository resources support token rotation"},
		{"empty token", "a token must have content", func() error {
			_, err := res.Update(f.ctx, f.repoID, anthropic.BetaSessionResourceUpdateParams{SessionID: sid})
			return err
		}, "authorization_token: string should have at least 1 character"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), 400, "invalid_request_error", tc.msg)
		})
	}
}

func TestSessionCreateChecksVaultsAndMemoryStores(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	agent := anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(h.agent(ctx, anthropic.BetaAgentNewParams{}).ID)}
	env := h.env(ctx).ID
	archivedVault := h.vault(ctx)
	if _, err := h.client.Beta.Vaults.Archive(ctx, archivedVault.ID, anthropic.BetaVaultArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	store := h.memoryStore(ctx, "notes")
	twin := h.memoryStore(ctx, "Notes")
	archivedStore := h.memoryStore(ctx, "old")
	if _, err := h.client.Beta.MemoryStores.Archive(ctx, archivedStore.ID, anthropic.BetaMemoryStoreArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, why string
		p         anthropic.BetaSessionNewParams
		code      int
		msg       string
	}{
		{"unknown vault", "sessions use existing vaults", anthropic.BetaSessionNewParams{VaultIDs: []string{"vlt_nope"}}, 404, "vault_ids[0]: vault vlt_nope not found"},
		{"archived vault", "an archived vault serves no new session", anthropic.BetaSessionNewParams{VaultIDs: []string{archivedVault.ID}}, 400, "vault_ids[0]"},
		{"unknown memory store", "sessions mount existing stores", anthropic.BetaSessionNewParams{Resources: []anthropic.BetaSessionNewParamsResourceUnion{memoryResource("memstore_nope")}}, 404, "resources[0].memory_store_id"},
		{"archived memory store", "an archived store attaches to no new session", anthropic.BetaSessionNewParams{Resources: []anthropic.BetaSessionNewParamsResourceUnion{memoryResource(archivedStore.ID)}}, 400, "archived"},
		{"same store twice", "a store mounts once", anthropic.BetaSessionNewParams{Resources: []anthropic.BetaSessionNewParamsResourceUnion{memoryResource(store.ID), memoryResource(store.ID)}}, 400, "attached twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Agent, tc.p.EnvironmentID = agent, env
			_, err := h.client.Beta.Sessions.New(ctx, tc.p)
			typ := "invalid_request_error"
			if tc.code == 404 {
				typ = "not_found_error"
			}
			wantAPIError(t, err, tc.code, typ, tc.msg)
		})
	}
	t.Run("stores whose names slug alike get distinct mounts", func(t *testing.T) {
		s := h.session(ctx, anthropic.BetaSessionNewParams{Agent: agent, EnvironmentID: env,
			Resources: []anthropic.BetaSessionNewParamsResourceUnion{memoryResource(store.ID), memoryResource(twin.ID)}})
		if s.Resources[0].MountPath != "/mnt/memory/notes" || s.Resources[1].MountPath != "/mnt/memory/notes-2" {
			t.Fatalf("mounts %s", s.RawJSON())
		}
		page, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{MemoryStoreID: anthropic.String(twin.ID)})
		if err != nil || len(page.Data) != 1 || page.Data[0].ID != s.ID {
			t.Fatalf("sessions using the store: %v %v", page, err)
		}
	})
}
