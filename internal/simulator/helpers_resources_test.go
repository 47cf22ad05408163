// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

func (h *harness) vault(ctx context.Context) *anthropic.BetaManagedAgentsVault {
	h.t.Helper()
	v, err := h.client.Beta.Vaults.New(ctx, anthropic.BetaVaultNewParams{DisplayName: uniqueName("vault")})
	if err != nil {
		h.t.Fatalf("create vault: %v", err)
	}
	return v
}

func (h *harness) credential(ctx context.Context, vaultID string, auth anthropic.BetaVaultCredentialNewParamsAuthUnion) *anthropic.BetaManagedAgentsCredential {
	h.t.Helper()
	c, err := h.client.Beta.Vaults.Credentials.New(ctx, vaultID, anthropic.BetaVaultCredentialNewParams{Auth: auth})
	if err != nil {
		h.t.Fatalf("create credential: %v", err)
	}
	return c
}

func bearer(url, token string) anthropic.BetaVaultCredentialNewParamsAuthUnion {
	return anthropic.BetaVaultCredentialNewParamsAuthUnion{OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerCreateParams{
		MCPServerURL: url, Token: token}}
}

func oauth(url, access string, refresh *anthropic.BetaManagedAgentsMCPOAuthRefreshParams) anthropic.BetaVaultCredentialNewParamsAuthUnion {
	p := &anthropic.BetaManagedAgentsMCPOAuthCreateParams{MCPServerURL: url, AccessToken: access}
	if refresh != nil {
		p.Refresh = *refresh
	}
	return anthropic.BetaVaultCredentialNewParamsAuthUnion{OfMCPOAuth: p}
}

func envVar(name, value string, hosts ...string) anthropic.BetaVaultCredentialNewParamsAuthUnion {
	p := &anthropic.BetaManagedAgentsEnvironmentVariableCreateParams{SecretName: name, SecretValue: value,
		Networking: anthropic.BetaManagedAgentsCredentialNetworkingParamsUnion{
			OfUnrestricted: &anthropic.BetaManagedAgentsUnrestrictedCredentialNetworkingParams{}}}
	if len(hosts) > 0 {
		p.Networking = anthropic.BetaManagedAgentsCredentialNetworkingParamsOfLimited(hosts)
	}
	return anthropic.BetaVaultCredentialNewParamsAuthUnion{OfEnvironmentVariable: p}
}

func secretRefresh(refreshToken, clientSecret string) *anthropic.BetaManagedAgentsMCPOAuthRefreshParams {
	return &anthropic.BetaManagedAgentsMCPOAuthRefreshParams{ClientID: "client-1", RefreshToken: refreshToken,
		TokenEndpoint: "https://auth.example.com/token",
		TokenEndpointAuth: anthropic.BetaManagedAgentsMCPOAuthRefreshParamsTokenEndpointAuthUnion{
			OfClientSecretBasic: &anthropic.BetaManagedAgentsTokenEndpointAuthBasicParam{ClientSecret: clientSecret}}}
}

func (h *harness) memoryStore(ctx context.Context, name string) *anthropic.BetaManagedAgentsMemoryStore {
	h.t.Helper()
	st, err := h.client.Beta.MemoryStores.New(ctx, anthropic.BetaMemoryStoreNewParams{Name: name,
		Description: anthropic.String("what the team decided")})
	if err != nil {
		h.t.Fatalf("create memory store: %v", err)
	}
	return st
}

// upload turns path -> content into the SDK's file readers, in path order.
func upload(files map[string]string) []io.Reader {
	out := make([]io.Reader, 0, len(files))
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, anthropic.File(strings.NewReader(files[p]), p, "text/markdown"))
	}
	return out
}

func skillMD(name, description string) string {
	return "---\nname: " + name + "\ndescription: " + description + "\n---\n\n# " + name + "\n\nDo the thing.\n"
}

func (h *harness) skill(ctx context.Context, files map[string]string, opts ...option.RequestOption) *anthropic.BetaSkill {
	h.t.Helper()
	sk, err := h.client.Beta.Skills.New(ctx, anthropic.BetaSkillNewParams{Files: upload(files)}, opts...)
	if err != nil {
		h.t.Fatalf("create skill: %v", err)
	}
	return sk
}

func wantNoSecret(t *testing.T, raw string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(raw, s) {
			t.Fatalf("a response carries the secret %q: %s", s, raw)
		}
	}
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
