// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func TestCredentialCreate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	cases := []struct {
		name     string
		auth     anthropic.BetaVaultCredentialNewParamsAuthUnion
		secrets  map[string]string
		wantAuth string // the auth block the API answers with: no secret in it
	}{
		{"static bearer", bearer("https://mcp.linear.app/mcp", "lin_secret"), map[string]string{"token": "lin_secret"},
			`{"type":"static_bearer","mcp_server_url":"https://mcp.linear.app/mcp"}`},
		{"oauth with refresh", func() anthropic.BetaVaultCredentialNewParamsAuthUnion {
			a := oauth("https://mcp.notion.com/mcp", "at_secret", secretRefresh("rt_secret", "cs_secret"))
			a.OfMCPOAuth.ExpiresAt = anthropic.Time(expires)
			a.OfMCPOAuth.Refresh.Scope = anthropic.String("read")
			return a
		}(), map[string]string{"access_token": "at_secret", "refresh.refresh_token": "rt_secret",
			"refresh.token_endpoint_auth.client_secret": "cs_secret"},
			`{"type":"mcp_oauth","mcp_server_url":"https://mcp.notion.com/mcp","expires_at":"` + expires.Format(time.RFC3339) + `",
			  "refresh":{"client_id":"client-1","token_endpoint":"https://auth.example.com/token",
			             "token_endpoint_auth":{"type":"client_secret_basic"},"resource":null,"scope":"read"}}`},
		{"oauth without refresh", oauth("https://mcp.asana.com/sse", "at2", nil), map[string]string{"access_token": "at2"},
			`{"type":"mcp_oauth","mcp_server_url":"https://mcp.asana.com/sse","expires_at":null,"refresh":null}`},
		{"environment variable, limited", envVar("STRIPE_KEY", "sk_live_secret\nwith a newline", "api.stripe.com", "*.stripe.com"),
			map[string]string{"secret_value": "sk_live_secret\nwith a newline"},
			`{"type":"environment_variable","secret_name":"STRIPE_KEY","injection_location":{"header":true,"body":true},
			  "networking":{"type":"limited","allowed_hosts":["api.stripe.com","*.stripe.com"]}}`},
		{"environment variable, header only", func() anthropic.BetaVaultCredentialNewParamsAuthUnion {
			a := envVar("TWILIO_KEY", "tw_secret")
			a.OfEnvironmentVariable.InjectionLocation = anthropic.BetaManagedAgentsInjectionLocationParams{Header: anthropic.Bool(true)}
			return a
		}(), map[string]string{"secret_value": "tw_secret"},
			`{"type":"environment_variable","secret_name":"TWILIO_KEY","injection_location":{"header":true,"body":false},
			  "networking":{"type":"unrestricted"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := h.client.Beta.Vaults.Credentials.New(ctx, v.ID, anthropic.BetaVaultCredentialNewParams{Auth: tc.auth,
				DisplayName: anthropic.String(tc.name)})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.ID, "vcrd_") || c.VaultID != v.ID || c.DisplayName != tc.name || !sameJSON(c.Auth.RawJSON(), tc.wantAuth) {
				t.Fatalf("credential %s", c.RawJSON())
			}
			got, err := h.client.Beta.Vaults.Credentials.Get(ctx, c.ID, anthropic.BetaVaultCredentialGetParams{VaultID: v.ID})
			if err != nil || got.RawJSON() != c.RawJSON() {
				t.Fatalf("get = %v, %v; want %s", got, err, c.RawJSON())
			}
			if info, _ := h.sim.Credential(c.ID); !maps.Equal(info.Secrets, tc.secrets) {
				t.Fatalf("inspected secrets %v, want %v", info.Secrets, tc.secrets)
			}
		})
	}
}

func TestCredentialCreateErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	h.credential(ctx, v.ID, bearer("https://mcp.taken.example/mcp", "t1"))
	h.credential(ctx, v.ID, envVar("TAKEN", "v1"))
	past := time.Now().Add(-time.Hour)
	cases := []struct {
		name, why string
		auth      anthropic.BetaVaultCredentialNewParamsAuthUnion
		opts      []option.RequestOption
		code      int
		msg       string
	}{
		{"empty token", "a token must have content", bearer("https://mcp.example.com", ""), nil, 400, "auth.token: string should have at least 1"},
		{"token with a newline", "a trailing newline from a Secret file cannot go into a header", bearer("https://mcp.example.com", "abc\n"), nil, 400, "auth.token: must not contain whitespace"},
		{"relative server url", "credentials are keyed by an absolute URL", bearer("mcp.example.com", "t"), nil, 400, "auth.mcp_server_url"},
		{"expired access token", "expires_at must be in the future", func() anthropic.BetaVaultCredentialNewParamsAuthUnion {
			a := oauth("https://mcp.example.com", "t", nil)
			a.OfMCPOAuth.ExpiresAt = anthropic.Time(past)
			return a
		}(), nil, 400, "auth.expires_at: must be in the future"},
		{"refresh without client secret", "client_secret_basic needs a secret", oauth("https://mcp.example.com", "t", secretRefresh("rt", "")), nil, 400, "auth.refresh.token_endpoint_auth.client_secret"},
		{"bad env name", "secret_name is an environment variable name", envVar("1BAD", "v"), nil, 400, "auth.secret_name"},
		{"url as allowed host", "allowed_hosts are hosts, not URLs", envVar("K", "v", "https://api.example.com/x"), nil, 400, "auth.networking.allowed_hosts[0]"},
		{"no injection location", "at least one location stays enabled", func() anthropic.BetaVaultCredentialNewParamsAuthUnion {
			a := envVar("K", "v")
			a.OfEnvironmentVariable.InjectionLocation = anthropic.BetaManagedAgentsInjectionLocationParams{Header: anthropic.Bool(false)}
			return a
		}(), nil, 400, "auth.injection_location: at least one"},
		{"null injection location", "omit instead of null", envVar("K", "v"), []option.RequestOption{option.WithJSONSet("auth.injection_location", nil)}, 400, "auth.injection_location"},
		{"server url taken", "mcp_server_url is unique among active credentials", bearer("https://mcp.taken.example/mcp", "t2"), nil, 409, "already uses mcp_server_url"},
		{"oauth on a taken url", "the key is shared by both MCP credential types", oauth("https://mcp.taken.example/mcp", "t2", nil), nil, 409, "already uses"},
		{"secret name taken", "secret_name is unique among active credentials", envVar("TAKEN", "v2"), nil, 409, "already uses secret_name TAKEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Vaults.Credentials.New(ctx, v.ID, anthropic.BetaVaultCredentialNewParams{Auth: tc.auth}, tc.opts...)
			apiErr := requireAPIError(t, err, tc.code, "invalid_request_error", tc.msg)
			if strings.Contains(apiErr.Message, "abc") {
				t.Fatalf("the error echoes a secret: %s", apiErr.Message)
			}
		})
	}
	t.Run("unknown vault", func(t *testing.T) {
		_, err := h.client.Beta.Vaults.Credentials.New(ctx, "vlt_nope", anthropic.BetaVaultCredentialNewParams{Auth: bearer("https://mcp.example.com", "t")})
		wantAPIError(t, err, 404, "not_found_error", "vlt_nope")
	})
}

func TestCredentialLimitAndArchive(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	first := h.credential(ctx, v.ID, bearer("https://mcp0.example.com", "tok0"))
	for i := 1; i < 20; i++ {
		h.credential(ctx, v.ID, envVar("K"+strings.Repeat("X", i), "v"))
	}
	_, err := h.client.Beta.Vaults.Credentials.New(ctx, v.ID, anthropic.BetaVaultCredentialNewParams{Auth: envVar("ONE_MORE", "v")})
	wantAPIError(t, err, 400, "invalid_request_error", "20 credentials")

	archived, err := h.client.Beta.Vaults.Credentials.Archive(ctx, first.ID, anthropic.BetaVaultCredentialArchiveParams{VaultID: v.ID})
	if err != nil || archived.ArchivedAt.IsZero() {
		t.Fatalf("archive: %v %v", archived, err)
	}
	info, _ := h.sim.Credential(first.ID)
	if !info.Archived || len(info.Secrets) != 0 {
		t.Fatalf("archiving must purge the secrets: %+v", info)
	}
	_, err = h.client.Beta.Vaults.Credentials.Update(ctx, first.ID, anthropic.BetaVaultCredentialUpdateParams{VaultID: v.ID,
		Auth: anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: anthropic.String("x")}}})
	wantAPIError(t, err, 400, "invalid_request_error", "archived")
	// The archived credential frees both a slot and its key.
	replacement := h.credential(ctx, v.ID, bearer("https://mcp0.example.com", "tok0b"))

	list := h.client.Beta.Vaults.Credentials.ListAutoPaging(ctx, v.ID, anthropic.BetaVaultCredentialListParams{})
	n := 0
	for list.Next() {
		n++
	}
	if list.Err() != nil || n != 20 {
		t.Fatalf("listed %d active credentials (err %v), want 20", n, list.Err())
	}
	del, err := h.client.Beta.Vaults.Credentials.Delete(ctx, replacement.ID, anthropic.BetaVaultCredentialDeleteParams{VaultID: v.ID})
	if err != nil || del.Type != "vault_credential_deleted" {
		t.Fatalf("delete: %v %v", del, err)
	}
	_, err = h.client.Beta.Vaults.Credentials.Get(ctx, replacement.ID, anthropic.BetaVaultCredentialGetParams{VaultID: v.ID})
	wantAPIError(t, err, 404, "not_found_error", replacement.ID)
}

func TestCredentialUpdate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	v := h.vault(ctx)
	github := h.credential(ctx, v.ID, oauth("https://api.githubcopilot.com/mcp/", "gh_at1", secretRefresh("gh_rt1", "gh_cs1")))
	linear := h.credential(ctx, v.ID, bearer("https://mcp.linear.app/mcp", "lin1"))
	stripe := h.credential(ctx, v.ID, envVar("STRIPE_KEY", "sk1", "api.stripe.com"))
	update := func(id string, auth anthropic.BetaVaultCredentialUpdateParamsAuthUnion, opts ...option.RequestOption) (*anthropic.BetaManagedAgentsCredential, error) {
		return h.client.Beta.Vaults.Credentials.Update(ctx, id, anthropic.BetaVaultCredentialUpdateParams{VaultID: v.ID, Auth: auth}, opts...)
	}

	t.Run("rotating one credential leaves the others alone", func(t *testing.T) {
		c, err := update(linear.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: anthropic.String("lin2")}})
		if err != nil {
			t.Fatal(err)
		}
		wantNoSecret(t, c.RawJSON(), "lin2")
		got, _ := h.sim.Credential(linear.ID)
		other, _ := h.sim.Credential(github.ID)
		if got.Secrets["token"] != "lin2" || got.SecretUpdates != 1 || other.Updates != 0 {
			t.Fatalf("rotated %+v, untouched %+v", got, other)
		}
	})
	t.Run("oauth: access token, refresh token and client secret", func(t *testing.T) {
		_, err := update(github.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfMCPOAuth: &anthropic.BetaManagedAgentsMCPOAuthUpdateParams{
			AccessToken: anthropic.String("gh_at2"),
			Refresh: anthropic.BetaManagedAgentsMCPOAuthRefreshUpdateParams{RefreshToken: anthropic.String("gh_rt2"),
				// The credential keeps client_secret_basic although post is sent.
				TokenEndpointAuth: anthropic.BetaManagedAgentsMCPOAuthRefreshUpdateParamsTokenEndpointAuthUnion{
					OfClientSecretPost: &anthropic.BetaManagedAgentsTokenEndpointAuthPostUpdateParam{ClientSecret: anthropic.String("gh_cs2")}}}}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := h.sim.Credential(github.ID)
		want := map[string]string{"access_token": "gh_at2", "refresh.refresh_token": "gh_rt2", "refresh.token_endpoint_auth.client_secret": "gh_cs2"}
		for k, w := range want {
			if got.Secrets[k] != w {
				t.Fatalf("%s = %q, want %q", k, got.Secrets[k], w)
			}
		}
		c, _ := h.client.Beta.Vaults.Credentials.Get(ctx, github.ID, anthropic.BetaVaultCredentialGetParams{VaultID: v.ID})
		if c.Auth.Refresh.TokenEndpointAuth.Type != "client_secret_basic" {
			t.Fatalf("token endpoint auth type changed: %s", c.RawJSON())
		}
	})
	t.Run("environment variable: injection location merges, networking replaces", func(t *testing.T) {
		c, err := update(stripe.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{OfEnvironmentVariable: &anthropic.BetaManagedAgentsEnvironmentVariableUpdateParams{
			SecretValue:       anthropic.String("sk2"),
			InjectionLocation: anthropic.BetaManagedAgentsInjectionLocationUpdateParams{Body: anthropic.Bool(false)},
			Networking: anthropic.BetaManagedAgentsCredentialNetworkingParamsUnion{
				OfUnrestricted: &anthropic.BetaManagedAgentsUnrestrictedCredentialNetworkingParams{}}}})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Auth.InjectionLocation.Header || c.Auth.InjectionLocation.Body || c.Auth.Networking.Type != "unrestricted" {
			t.Fatalf("updated %s", c.RawJSON())
		}
	})
	t.Run("display name and metadata only are not a rotation", func(t *testing.T) {
		_, err := h.client.Beta.Vaults.Credentials.Update(ctx, stripe.ID, anthropic.BetaVaultCredentialUpdateParams{VaultID: v.ID,
			DisplayName: anthropic.String("Stripe"), Metadata: map[string]string{"team": "pay"}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := h.sim.Credential(stripe.ID)
		if got.SecretUpdates != 1 || got.Updates != 2 {
			t.Fatalf("counters %+v", got)
		}
	})

	errs := []struct {
		name, why string
		id        string
		auth      anthropic.BetaVaultCredentialUpdateParamsAuthUnion
		opts      []option.RequestOption
		msg       string
	}{
		{"type change", "a credential's type is fixed", linear.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{
			OfMCPOAuth: &anthropic.BetaManagedAgentsMCPOAuthUpdateParams{AccessToken: anthropic.String("x")}}, nil, "cannot become mcp_oauth"},
		{"server url", "mcp_server_url is immutable", linear.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{
			OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{}}, []option.RequestOption{option.WithJSONSet("auth.mcp_server_url", "https://other")}, "auth.mcp_server_url: extra inputs"},
		{"secret name", "secret_name is immutable", stripe.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{
			OfEnvironmentVariable: &anthropic.BetaManagedAgentsEnvironmentVariableUpdateParams{}}, []option.RequestOption{option.WithJSONSet("auth.secret_name", "OTHER")}, "auth.secret_name: extra inputs"},
		{"both locations off", "one injection location stays on", stripe.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{
			OfEnvironmentVariable: &anthropic.BetaManagedAgentsEnvironmentVariableUpdateParams{
				InjectionLocation: anthropic.BetaManagedAgentsInjectionLocationUpdateParams{Header: anthropic.Bool(false)}}}, nil, "at least one"},
		{"token with space", "tokens go into headers", linear.ID, anthropic.BetaVaultCredentialUpdateParamsAuthUnion{
			OfStaticBearer: &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: anthropic.String("Bearer abc")}}, nil, "auth.token: must not contain whitespace"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.id, tc.auth, tc.opts...)
			wantAPIError(t, err, 400, "invalid_request_error", tc.msg)
		})
	}
}
