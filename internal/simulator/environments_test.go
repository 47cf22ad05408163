// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func limitedConfig(allowPackageManagers bool, pip ...string) anthropic.BetaEnvironmentNewParamsConfigUnion {
	return anthropic.BetaEnvironmentNewParamsConfigUnion{OfCloud: &anthropic.BetaCloudConfigParams{
		Networking: anthropic.BetaCloudConfigParamsNetworkingUnion{OfLimited: &anthropic.BetaLimitedNetworkParams{
			AllowedHosts: []string{"api.example.com"}, AllowPackageManagers: anthropic.Bool(allowPackageManagers)}},
		Packages: anthropic.BetaPackagesParams{Pip: pip},
	}}
}

func TestEnvironmentCreate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	t.Run("defaults", func(t *testing.T) { checkDefaultEnvironment(ctx, t, h) })
	t.Run("limited networking with packages", func(t *testing.T) { checkLimitedEnvironment(ctx, t, h) })
	t.Run("self hosted", func(t *testing.T) {
		e, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "sh",
			Config: anthropic.BetaEnvironmentNewParamsConfigUnion{OfSelfHosted: &anthropic.BetaSelfHostedConfigParams{}}})
		if err != nil || e.Config.Type != "self_hosted" {
			t.Fatalf("%v %+v", err, e)
		}
	})

	cases := []struct {
		name   string
		p      anthropic.BetaEnvironmentNewParams
		opts   []option.RequestOption
		status int
		msg    string
	}{
		{"name missing", anthropic.BetaEnvironmentNewParams{Name: "x"}, []option.RequestOption{option.WithJSONDel("name")}, 400, "name: field required"},
		{"packages under limited networking need package managers", anthropic.BetaEnvironmentNewParams{Name: "bad",
			Config: limitedConfig(false, "requests")}, nil, 400, "allow_package_managers"},
		{"account scope", anthropic.BetaEnvironmentNewParams{Name: "acct", Scope: "account"}, nil, 400, "scope"},
		{"unknown config type", anthropic.BetaEnvironmentNewParams{Name: "k"}, []option.RequestOption{
			option.WithJSONSet("config", map[string]any{"type": "kubernetes"})}, 400, "config.type"},
		{"unknown networking field", anthropic.BetaEnvironmentNewParams{Name: "k"}, []option.RequestOption{
			option.WithJSONSet("config", map[string]any{"type": "cloud", "networking": map[string]any{"type": "limited", "open": true}})}, 400, "config.networking.open"},
		{"duplicate name", anthropic.BetaEnvironmentNewParams{Name: "plain"}, nil, 409, "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Environments.New(ctx, tc.p, tc.opts...)
			wantAPIError(t, err, tc.status, "invalid_request_error", tc.msg)
		})
	}
}

// checkDefaultEnvironment creates an environment from a name alone and
// checks what the server fills in.
func checkDefaultEnvironment(ctx context.Context, t *testing.T, h *harness) {
	t.Helper()
	e, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.ID, "env_") || e.Type != "environment" || e.Scope != "organization" || e.JSON.Description.Raw() != "null" {
		t.Fatalf("env %s", e.RawJSON())
	}
	if _, err := time.Parse(time.RFC3339Nano, e.CreatedAt); err != nil || e.JSON.ArchivedAt.Raw() != "null" {
		t.Fatalf("timestamps %q %q", e.CreatedAt, e.JSON.ArchivedAt.Raw())
	}
	cfg := e.Config
	if cfg.Type != "cloud" || cfg.Networking.Type != "unrestricted" || cfg.Packages.Type != "packages" {
		t.Fatalf("config %s", cfg.RawJSON())
	}
	for _, k := range []string{`"apt":[]`, `"cargo":[]`, `"gem":[]`, `"go":[]`, `"npm":[]`, `"pip":[]`} {
		if !strings.Contains(cfg.Packages.RawJSON(), k) {
			t.Fatalf("packages %s lack %s", cfg.Packages.RawJSON(), k)
		}
	}
}

// checkLimitedEnvironment creates an environment with limited networking,
// packages, a description and metadata, and checks they are all kept.
func checkLimitedEnvironment(ctx context.Context, t *testing.T, h *harness) {
	t.Helper()
	e, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "py",
		Description: anthropic.String("python"), Metadata: map[string]string{"owner": "team-a"},
		Config: limitedConfig(true, "pandas==2.2.3")})
	if err != nil {
		t.Fatal(err)
	}
	n := e.Config.Networking
	if n.Type != "limited" || !n.AllowPackageManagers || n.AllowMCPServers || n.AllowedHosts[0] != "api.example.com" ||
		e.Config.Packages.Pip[0] != "pandas==2.2.3" || e.Description != "python" || e.Metadata["owner"] != "team-a" {
		t.Fatalf("env %s", e.RawJSON())
	}
}

func TestEnvironmentUpdateArchiveDelete(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	e, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "dev",
		Metadata: map[string]string{"a": "1", "b": "2"}, Config: limitedConfig(true, "pandas")})
	if err != nil {
		t.Fatal(err)
	}
	upd := func(p anthropic.BetaEnvironmentUpdateParams, opts ...option.RequestOption) (*anthropic.BetaEnvironment, error) {
		return h.client.Beta.Environments.Update(ctx, e.ID, p, opts...)
	}

	t.Run("omitted config fields keep their values", func(t *testing.T) { checkConfigMerge(t, upd, e) })
	t.Run("get returns the stored environment", func(t *testing.T) {
		got, err := h.client.Beta.Environments.Get(ctx, e.ID, anthropic.BetaEnvironmentGetParams{})
		if err != nil || got.ID != e.ID || !got.Config.Networking.AllowMCPServers || got.Metadata["a"] != "1" {
			t.Fatalf("%v %s", err, got.RawJSON())
		}
	})
	t.Run("metadata empty string deletes, description null clears", func(t *testing.T) { checkMetadataAndDescriptionPatch(t, upd) })
	t.Run("config type cannot change", func(t *testing.T) {
		_, err := upd(anthropic.BetaEnvironmentUpdateParams{Config: anthropic.BetaEnvironmentUpdateParamsConfigUnion{
			OfSelfHosted: &anthropic.BetaSelfHostedConfigParams{}}})
		apiErr := requireAPIError(t, err, 400, "invalid_request_error", "config type")
		if apiErr.ErrorCode() != "invalid_config_type_change" {
			t.Fatalf("error_code %q", apiErr.ErrorCode())
		}
	})
	t.Run("renaming onto a taken name is 409", func(t *testing.T) {
		if _, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "taken"}); err != nil {
			t.Fatal(err)
		}
		_, err := upd(anthropic.BetaEnvironmentUpdateParams{Name: anthropic.String("taken")})
		wantAPIError(t, err, 409, "invalid_request_error", "taken")
	})
	t.Run("archived is read-only and frees the name", func(t *testing.T) { checkArchivedEnvironment(ctx, t, h, upd, e.ID) })
	t.Run("list hides archived unless asked", func(t *testing.T) { checkEnvironmentListing(ctx, t, h, e.ID) })
	t.Run("delete", func(t *testing.T) {
		del, err := h.client.Beta.Environments.Delete(ctx, e.ID, anthropic.BetaEnvironmentDeleteParams{})
		if err != nil || del.ID != e.ID || del.Type != "environment_deleted" {
			t.Fatalf("%v %+v", err, del)
		}
		_, err = h.client.Beta.Environments.Get(ctx, e.ID, anthropic.BetaEnvironmentGetParams{})
		wantAPIError(t, err, 404, "not_found_error", e.ID)
		_, err = h.client.Beta.Environments.Delete(ctx, e.ID, anthropic.BetaEnvironmentDeleteParams{})
		wantAPIError(t, err, 404, "not_found_error", "")
	})
}

// envUpdate updates the environment under test.
type envUpdate func(p anthropic.BetaEnvironmentUpdateParams, opts ...option.RequestOption) (*anthropic.BetaEnvironment, error)

// checkConfigMerge updates one networking field of e and wants the other
// config fields kept.
func checkConfigMerge(t *testing.T, upd envUpdate, e *anthropic.BetaEnvironment) {
	t.Helper()
	got, err := upd(anthropic.BetaEnvironmentUpdateParams{Config: anthropic.BetaEnvironmentUpdateParamsConfigUnion{
		OfCloud: &anthropic.BetaCloudConfigParams{Networking: anthropic.BetaCloudConfigParamsNetworkingUnion{
			OfLimited: &anthropic.BetaLimitedNetworkParams{AllowMCPServers: anthropic.Bool(true)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := got.Config.Networking
	if !n.AllowMCPServers || !n.AllowPackageManagers || len(n.AllowedHosts) != 1 || got.Config.Packages.Pip[0] != "pandas" {
		t.Fatalf("config %s", got.Config.RawJSON())
	}
	if got.UpdatedAt == e.UpdatedAt && !strings.Contains(got.UpdatedAt, "T") {
		t.Fatalf("updated_at %q", got.UpdatedAt)
	}
}

// checkMetadataAndDescriptionPatch renames the environment to dev2, patches
// its metadata and sets, then clears, its description.
func checkMetadataAndDescriptionPatch(t *testing.T, upd envUpdate) {
	t.Helper()
	got, err := upd(anthropic.BetaEnvironmentUpdateParams{Metadata: map[string]string{"a": "", "c": "3"},
		Description: anthropic.String("d"), Name: anthropic.String("dev2")})
	if err != nil || len(got.Metadata) != 2 || got.Metadata["c"] != "3" || got.Description != "d" || got.Name != "dev2" {
		t.Fatalf("%v %s", err, got.RawJSON())
	}
	got, err = upd(anthropic.BetaEnvironmentUpdateParams{}, option.WithJSONSet("description", nil))
	if err != nil || got.JSON.Description.Raw() != "null" {
		t.Fatalf("%v %s", err, got.RawJSON())
	}
}

// checkArchivedEnvironment archives envID (named dev2), then wants updates
// refused and the name free for a new environment.
func checkArchivedEnvironment(ctx context.Context, t *testing.T, h *harness, upd envUpdate, envID string) {
	t.Helper()
	got, err := h.client.Beta.Environments.Archive(ctx, envID, anthropic.BetaEnvironmentArchiveParams{})
	if err != nil || got.ArchivedAt == "" {
		t.Fatalf("%v %+v", err, got)
	}
	_, err = upd(anthropic.BetaEnvironmentUpdateParams{Name: anthropic.String("again")})
	apiErr := requireAPIError(t, err, 400, "invalid_request_error", "archived")
	if apiErr.ErrorCode() != "environment_archived" {
		t.Fatalf("error_code %q", apiErr.ErrorCode())
	}
	if _, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "dev2"}); err != nil {
		t.Fatalf("name of an archived environment should be free: %v", err)
	}
}

// checkEnvironmentListing wants the archived envID listed only with
// include_archived, next to the two live environments.
func checkEnvironmentListing(ctx context.Context, t *testing.T, h *harness, archivedID string) {
	t.Helper()
	ids := func(p anthropic.BetaEnvironmentListParams) map[string]bool {
		out := map[string]bool{}
		pager := h.client.Beta.Environments.ListAutoPaging(ctx, p)
		for pager.Next() {
			out[pager.Current().ID] = true
		}
		if err := pager.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if ids(anthropic.BetaEnvironmentListParams{Limit: anthropic.Int(1)})[archivedID] {
		t.Fatal("archived environment listed")
	}
	all := ids(anthropic.BetaEnvironmentListParams{Limit: anthropic.Int(1), IncludeArchived: anthropic.Bool(true)})
	if !all[archivedID] || len(all) != 3 {
		t.Fatalf("include_archived listed %v", all)
	}
}
