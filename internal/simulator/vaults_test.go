// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func TestVaultLifecycle(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)

	v, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: "team-a",
		Metadata: map[string]string{"k8s.uid": "u1", "owner": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.ID, "vlt_") || v.DisplayName != "team-a" || v.Metadata["k8s.uid"] != "u1" ||
		v.JSON.ArchivedAt.Raw() != "null" || v.CreatedAt.IsZero() {
		t.Fatalf("created vault %s", v.RawJSON())
	}

	t.Run("update renames and patches metadata", func(t *testing.T) {
		got, err := h.client.Beta.Vaults.Update(ctx, v.ID, anthropic.BetaVaultUpdateParams{DisplayName: anthropic.String("team-b")},
			option.WithJSONSet("metadata", map[string]any{"owner": nil, "env": "prod"}))
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "team-b" || got.Metadata["env"] != "prod" || got.Metadata["k8s.uid"] != "u1" || len(got.Metadata) != 2 {
			t.Fatalf("updated vault %s", got.RawJSON())
		}
	})
	t.Run("list hides archived vaults unless asked", func(t *testing.T) { testVaultList(t, h, v.ID) })
	t.Run("an archived vault is read-only", func(t *testing.T) {
		a := h.vault(ctx)
		if _, err := h.client.Beta.Vaults.Archive(ctx, a.ID, anthropic.BetaVaultArchiveParams{}); err != nil {
			t.Fatal(err)
		}
		_, err := h.client.Beta.Vaults.Update(ctx, a.ID, anthropic.BetaVaultUpdateParams{DisplayName: anthropic.String("x")})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
		_, err = h.client.Beta.Vaults.Credentials.New(ctx, a.ID, anthropic.BetaVaultCredentialNewParams{Auth: bearer("https://mcp.example.com", "t")})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
	})
	t.Run("delete removes the vault", func(t *testing.T) {
		d := h.vault(ctx)
		res, err := h.client.Beta.Vaults.Delete(ctx, d.ID, anthropic.BetaVaultDeleteParams{})
		if err != nil || res.ID != d.ID || res.Type != "vault_deleted" {
			t.Fatalf("delete: %v %v", res, err)
		}
		_, err = h.client.Beta.Vaults.Get(ctx, d.ID, anthropic.BetaVaultGetParams{})
		wantAPIError(t, err, 404, "not_found_error", d.ID)
	})
}

func TestVaultErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	cases := []struct {
		name string
		why  string
		call func() error
		code int
		msg  string
	}{
		{"no display name", "display_name is required", func() error {
			_, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{})
			return err
		}, 400, "display_name"},
		{"long display name", "display names are 1-255 characters", func() error {
			_, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: strings.Repeat("x", 256)})
			return err
		}, 400, "display_name"},
		{"unknown field", "request models are strict", func() error {
			_, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: "x"}, option.WithJSONSet("owner", "me"))
			return err
		}, 400, "owner: extra inputs"},
		{"clear display name", "a vault keeps a name", func() error {
			_, err := h.client.Beta.Vaults.Update(ctx, v.ID, anthropic.BetaVaultUpdateParams{}, option.WithJSONSet("display_name", nil))
			return err
		}, 400, "display_name: cannot be cleared"},
		{"unknown vault", "ids that do not exist are 404", func() error {
			_, err := h.client.Beta.Vaults.Get(ctx, "vlt_nope", anthropic.BetaVaultGetParams{})
			return err
		}, 404, "vlt_nope"},
		{"too much metadata", "metadata has the API's bag limits", func() error {
			md := map[string]string{}
			for i := range 17 {
				md[strings.Repeat("k", i+1)] = "v"
			}
			_, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: "x", Metadata: md})
			return err
		}, 400, "metadata"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			typ := "invalid_request_error"
			if tc.code == 404 {
				typ = "not_found_error"
			}
			wantAPIError(t, tc.call(), tc.code, typ, tc.msg)
		})
	}
}

func testVaultList(t *testing.T, h *harness, live string) {
	ctx := testCtx(t)
	archived := h.vault(ctx)
	if _, err := h.client.Beta.Vaults.Archive(ctx, archived.ID, anthropic.BetaVaultArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	ids := func(p anthropic.BetaVaultListParams) []string {
		var out []string
		it := h.client.Beta.Vaults.ListAutoPaging(ctx, p)
		for it.Next() {
			out = append(out, it.Current().ID)
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return out
	}
	if got := ids(anthropic.BetaVaultListParams{Limit: anthropic.Int(1)}); len(got) != 1 || got[0] != live {
		t.Fatalf("live vaults %v", got)
	}
	if got := ids(anthropic.BetaVaultListParams{IncludeArchived: anthropic.Bool(true)}); len(got) != 2 || got[0] != archived.ID {
		t.Fatalf("all vaults, newest first: %v", got)
	}
}
