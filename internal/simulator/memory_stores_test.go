// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestMemoryStoreLifecycle(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	st, err := h.client.Beta.MemoryStores.New(ctx, anthropic.BetaMemoryStoreNewParams{Name: "prefs",
		Metadata: map[string]string{"k8s.uid": "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.ID, "memstore_") || st.Name != "prefs" || st.Description != "" || st.JSON.ArchivedAt.Raw() != "null" {
		t.Fatalf("store %s", st.RawJSON())
	}
	t.Run("update", func(t *testing.T) {
		got, err := h.client.Beta.MemoryStores.Update(ctx, st.ID, anthropic.BetaMemoryStoreUpdateParams{
			Description: anthropic.String("user preferences"), Metadata: map[string]string{"team": "a"}})
		if err != nil || got.Description != "user preferences" || got.Name != "prefs" || len(got.Metadata) != 2 {
			t.Fatalf("update: %v %v", got, err)
		}
	})
	t.Run("archived stores keep their memories readable and deletable", func(t *testing.T) {
		a := h.memoryStore(ctx, "old")
		m, err := h.client.Beta.MemoryStores.Memories.New(ctx, a.ID, anthropic.BetaMemoryStoreMemoryNewParams{Path: "/a.md", Content: anthropic.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.Beta.MemoryStores.Archive(ctx, a.ID, anthropic.BetaMemoryStoreArchiveParams{}); err != nil {
			t.Fatal(err)
		}
		_, err = h.client.Beta.MemoryStores.Memories.New(ctx, a.ID, anthropic.BetaMemoryStoreMemoryNewParams{Path: "/b.md", Content: anthropic.String("y")})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
		_, err = h.client.Beta.MemoryStores.Update(ctx, a.ID, anthropic.BetaMemoryStoreUpdateParams{Name: anthropic.String("n")})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
		if _, err := h.client.Beta.MemoryStores.Memories.Get(ctx, m.ID, anthropic.BetaMemoryStoreMemoryGetParams{MemoryStoreID: a.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.Beta.MemoryStores.Memories.Delete(ctx, m.ID, anthropic.BetaMemoryStoreMemoryDeleteParams{MemoryStoreID: a.ID}); err != nil {
			t.Fatal(err)
		}
		live, err := h.client.Beta.MemoryStores.List(ctx, anthropic.BetaMemoryStoreListParams{})
		if err != nil || len(live.Data) != 1 || live.Data[0].ID != st.ID {
			t.Fatalf("live stores %v %v", live, err)
		}
		del, err := h.client.Beta.MemoryStores.Delete(ctx, a.ID, anthropic.BetaMemoryStoreDeleteParams{})
		if err != nil || del.Type != "memory_store_deleted" {
			t.Fatalf("delete %v %v", del, err)
		}
	})
	t.Run("names", func(t *testing.T) {
		_, err := h.client.Beta.MemoryStores.New(ctx, anthropic.BetaMemoryStoreNewParams{Name: "a\tb"})
		wantAPIError(t, err, 400, "invalid_request_error", "name: must not contain control characters")
		_, err = h.client.Beta.MemoryStores.New(ctx, anthropic.BetaMemoryStoreNewParams{})
		wantAPIError(t, err, 400, "invalid_request_error", "name")
	})
	t.Run("the memory beta header is required", func(t *testing.T) {
		_, err := h.client.Beta.MemoryStores.Get(ctx, st.ID, anthropic.BetaMemoryStoreGetParams{}, option.WithHeader("anthropic-beta", "files-api-2025-04-14"))
		wantAPIError(t, err, 400, "invalid_request_error", "agent-memory-2026-07-22")
	})
}

// memoryFixture is a store holding /style.md and two project notes.
type memoryFixture struct {
	h       *harness
	ctx     context.Context
	storeID string
	style   *anthropic.BetaManagedAgentsMemory
}

func (f *memoryFixture) api() *anthropic.BetaMemoryStoreMemoryService {
	return &f.h.client.Beta.MemoryStores.Memories
}

func TestMemories(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	f := &memoryFixture{h: h, ctx: ctx, storeID: h.memoryStore(ctx, "kb").ID}
	for _, p := range []string{"/style.md", "/projects/a/notes.md", "/projects/b/notes.md"} {
		content := map[string]string{"/style.md": "Use tabs.", "/projects/a/notes.md": "alpha", "/projects/b/notes.md": "beta"}[p]
		m, err := f.api().New(ctx, f.storeID, anthropic.BetaMemoryStoreMemoryNewParams{Path: p, Content: anthropic.String(content)})
		if err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
		if p == "/style.md" {
			f.style = m
		}
	}
	want := `{"type":"memory","id":"` + f.style.ID + `","memory_store_id":"` + f.storeID + `","path":"/style.md","content":null,
		"content_sha256":"` + sha("Use tabs.") + `","content_size_bytes":9,"memory_version_id":"` + f.style.MemoryVersionID +
		`","created_at":"` + f.style.CreatedAt.Format(time.RFC3339Nano) + `","updated_at":"` + f.style.UpdatedAt.Format(time.RFC3339Nano) + `"}`
	if !strings.HasPrefix(f.style.ID, "mem_") || !strings.HasPrefix(f.style.MemoryVersionID, "memver_") || !sameJSON(f.style.RawJSON(), want) {
		t.Fatalf("created (basic view) %s", f.style.RawJSON())
	}
	t.Run("get is full by default", func(t *testing.T) {
		got, err := f.api().Get(ctx, f.style.ID, anthropic.BetaMemoryStoreMemoryGetParams{MemoryStoreID: f.storeID})
		if err != nil || got.Content != "Use tabs." {
			t.Fatalf("get %v %v", got, err)
		}
	})
	t.Run("a taken path is a 409 naming the memory there", func(t *testing.T) {
		_, err := f.api().New(ctx, f.storeID, anthropic.BetaMemoryStoreMemoryNewParams{Path: "/style.md", Content: anthropic.String("x")})
		apiErr := requireAPIError(t, err, 409, "memory_path_conflict_error", "/style.md")
		if !strings.Contains(apiErr.RawJSON(), `"conflicting_memory_id":"`+f.style.ID+`"`) {
			t.Fatalf("conflicting_memory_id missing: %s", apiErr.RawJSON())
		}
	})
	t.Run("update with a precondition", f.updateWithPrecondition)
	t.Run("list by prefix and depth", f.listByPrefixAndDepth)
	t.Run("delete with an expected hash", f.deleteWithHash)
	t.Run("an agent's write shows through the API", func(t *testing.T) {
		if err := h.sim.WriteMemory(f.storeID, "/learned.md", "the build needs Go 1.25"); err != nil {
			t.Fatal(err)
		}
		got, _ := h.sim.Memories(f.storeID)
		if got["/learned.md"] != "the build needs Go 1.25" || len(got) != 3 {
			t.Fatalf("memories %v", got)
		}
	})
	t.Run("invalid paths and content", f.invalid)
}

func (f *memoryFixture) updateWithPrecondition(t *testing.T) {
	update := func(p anthropic.BetaMemoryStoreMemoryUpdateParams) (*anthropic.BetaManagedAgentsMemory, error) {
		p.MemoryStoreID = f.storeID
		return f.api().Update(f.ctx, f.style.ID, p)
	}
	_, err := update(anthropic.BetaMemoryStoreMemoryUpdateParams{Content: anthropic.String("Use spaces."),
		Precondition: anthropic.BetaManagedAgentsPreconditionParam{ContentSha256: anthropic.String(sha("stale"))}})
	wantAPIError(t, err, 409, "memory_precondition_failed_error", "content_sha256")
	got, err := update(anthropic.BetaMemoryStoreMemoryUpdateParams{Content: anthropic.String("Use spaces."), Path: anthropic.String("/style/indent.md"),
		Precondition: anthropic.BetaManagedAgentsPreconditionParam{ContentSha256: anthropic.String(sha("Use tabs."))}})
	if err != nil || got.ID != f.style.ID || got.Path != "/style/indent.md" || got.MemoryVersionID == f.style.MemoryVersionID {
		t.Fatalf("update %v %v", got, err)
	}
	_, err = update(anthropic.BetaMemoryStoreMemoryUpdateParams{Path: anthropic.String("/projects/a/notes.md")})
	wantAPIError(t, err, 409, "memory_path_conflict_error", "/projects/a/notes.md")
}

func (f *memoryFixture) paths(t *testing.T, p anthropic.BetaMemoryStoreMemoryListParams) string {
	var out []string
	it := f.api().ListAutoPaging(f.ctx, f.storeID, p)
	for it.Next() {
		out = append(out, it.Current().Type+" "+it.Current().Path)
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return strings.Join(out, ",")
}

func (f *memoryFixture) listByPrefixAndDepth(t *testing.T) {
	cases := []struct {
		name string
		p    anthropic.BetaMemoryStoreMemoryListParams
		want string
	}{
		{"everything, one per page", anthropic.BetaMemoryStoreMemoryListParams{Limit: anthropic.Int(1)},
			"memory /projects/a/notes.md,memory /projects/b/notes.md,memory /style/indent.md"},
		{"top level rolls up directories", anthropic.BetaMemoryStoreMemoryListParams{Depth: anthropic.Int(1)},
			"memory_prefix /projects/,memory_prefix /style/"},
		{"one level under a prefix", anthropic.BetaMemoryStoreMemoryListParams{PathPrefix: anthropic.String("/projects/"), Depth: anthropic.Int(1)},
			"memory_prefix /projects/a/,memory_prefix /projects/b/"},
	}
	for _, tc := range cases {
		if got := f.paths(t, tc.p); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	full, err := f.api().List(f.ctx, f.storeID, anthropic.BetaMemoryStoreMemoryListParams{View: anthropic.BetaManagedAgentsMemoryViewFull})
	if err != nil || full.Data[0].Content != "alpha" {
		t.Fatalf("full view %v %v", full, err)
	}
}

func (f *memoryFixture) deleteWithHash(t *testing.T) {
	del := func(hash string) (*anthropic.BetaManagedAgentsDeletedMemory, error) {
		return f.api().Delete(f.ctx, f.style.ID, anthropic.BetaMemoryStoreMemoryDeleteParams{MemoryStoreID: f.storeID,
			ExpectedContentSha256: anthropic.String(hash)})
	}
	_, err := del(sha("nope"))
	wantAPIError(t, err, 409, "memory_precondition_failed_error", "")
	got, err := del(sha("Use spaces."))
	if err != nil || got.ID != f.style.ID || got.Type != "memory_deleted" {
		t.Fatalf("delete %v %v", got, err)
	}
}

func (f *memoryFixture) invalid(t *testing.T) {
	cases := []struct {
		name, why, path, content string
		msg                      string
	}{
		{"relative path", "paths start with /", "notes.md", "x", "path: must start with /"},
		{"dot segment", "no . or .. segments", "/a/../b.md", "x", "segments"},
		{"empty segment", "no empty segments", "/a//b.md", "x", "segments"},
		{"too deep", "at most 20 segments", strings.Repeat("/a", 21), "x", "20 segments"},
		{"control character", "paths are printable", "/a\u0007.md", "x", "control"},
		{"not NFC", "paths are NFC", "/cafe\u0301.md", "x", "Normalization Form C"},
		{"too big", "content is at most 100 kB", "/big.md", strings.Repeat("x", 102401), "content: at most 102400 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.api().New(f.ctx, f.storeID, anthropic.BetaMemoryStoreMemoryNewParams{Path: tc.path, Content: anthropic.String(tc.content)})
			wantAPIError(t, err, 400, "invalid_request_error", tc.msg)
		})
	}
}
