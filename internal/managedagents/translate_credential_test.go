// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"errors"
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func secretRef(name, key string) v1alpha1.SecretKeySelector {
	return v1alpha1.SecretKeySelector{Name: name, Key: key}
}

// oauthCredential is an MCPOAuth credential with a confidential refresh client.
func oauthCredential() *v1alpha1.VaultCredential {
	return &v1alpha1.VaultCredential{Name: "notion", DisplayName: "Notion", MCPOAuth: &v1alpha1.MCPOAuthCredential{
		MCPServerURL: "https://mcp.notion.com/mcp", AccessTokenSecretRef: secretRef("notion", "access-token"), ExpiresAtKey: "expires-at",
		Refresh: &v1alpha1.MCPOAuthRefresh{ClientID: "agents", TokenEndpoint: "https://api.notion.com/v1/oauth/token",
			RefreshTokenSecretRef: secretRef("notion", "refresh-token"), TokenEndpointAuth: v1alpha1.TokenEndpointAuthClientSecretPost,
			ClientSecretSecretRef: ptr(secretRef("notion", "client-secret")), Scope: "read"}}}
}

func bearerCredential() *v1alpha1.VaultCredential {
	return &v1alpha1.VaultCredential{Name: "linear", StaticBearer: &v1alpha1.StaticBearerCredential{
		MCPServerURL: "https://mcp.linear.app/mcp", TokenSecretRef: secretRef("linear", "token")}}
}

func envCredential() *v1alpha1.VaultCredential {
	return &v1alpha1.VaultCredential{Name: "stripe", EnvironmentVariable: &v1alpha1.EnvironmentVariableCredential{
		VariableName: "STRIPE_API_KEY", ValueSecretRef: secretRef("stripe", "api-key"), AllowedHosts: []string{"api.stripe.com"},
		InjectInto: []v1alpha1.InjectionLocation{v1alpha1.InjectHeader}}}
}

// testSecrets is a DataSource holding the Secrets the test credentials read.
func testSecrets(expires time.Time) DataSource {
	data := map[string]map[string][]byte{
		"notion": {"access-token": []byte("at-1"), "refresh-token": []byte("rt-1"), "client-secret": []byte("cs-1"),
			"expires-at": []byte(expires.Format(time.RFC3339) + "\n")},
		"linear": {"token": []byte("lin-1")},
		"stripe": {"api-key": []byte("sk-1")},
	}
	return func(name string) (map[string][]byte, bool) { d, ok := data[name]; return d, ok }
}

func TestNewCredentialParamsWireJSON(t *testing.T) {
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	owner := CredentialOwner("vault-uid", "x")
	cases := []struct {
		name, why string
		cred      *v1alpha1.VaultCredential
		want      map[string]string
	}{
		{"oauth with a confidential refresh client", "every field of the mcp_oauth create body, with the expiry read from the Secret",
			oauthCredential(), map[string]string{"display_name": `"Notion"`, "auth": `{"type":"mcp_oauth","mcp_server_url":"https://mcp.notion.com/mcp",
				"access_token":"at-1","expires_at":"2030-01-02T03:04:05Z","refresh":{"client_id":"agents","refresh_token":"rt-1",
				"token_endpoint":"https://api.notion.com/v1/oauth/token","scope":"read",
				"token_endpoint_auth":{"type":"client_secret_post","client_secret":"cs-1"}}}`}},
		{"static bearer named after the credential", "an unset display name defaults to the credential's name",
			bearerCredential(), map[string]string{"display_name": `"linear"`,
				"auth": `{"type":"static_bearer","mcp_server_url":"https://mcp.linear.app/mcp","token":"lin-1"}`}},
		{"header-only environment variable", "injectInto [Header] turns the body off explicitly, allowedHosts limits networking",
			envCredential(), map[string]string{"auth": `{"type":"environment_variable","secret_name":"STRIPE_API_KEY","secret_value":"sk-1",
				"networking":{"type":"limited","allowed_hosts":["api.stripe.com"]},"injection_location":{"header":true,"body":false}}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ReadCredentialSecrets(tc.cred, testSecrets(expires))
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewCredentialParams(tc.cred, s, owner)
			if err != nil {
				t.Fatal(err)
			}
			tc.want["metadata"] = `{"claude.anthropic.com/uid":"vault-uid","claude.anthropic.com/credential":"x"}`
			checkFields(t, fields(t, p), tc.want, nil)
		})
	}
}

func TestUpdateCredentialParamsSendsOnlyChangedSecrets(t *testing.T) {
	cred := oauthCredential()
	s, err := ReadCredentialSecrets(cred, testSecrets(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	remote := &Credential{Metadata: map[string]string{"rogue": "1", v1alpha1.MetadataKeyUID: "u"}}
	p, deletes := UpdateCredentialParams(cred, s, []string{SecretAccessToken}, CredentialOwner("u", "notion"), remote)
	got := fields(t, p)
	// The refresh token may have been rotated by the API itself: an unchanged Secret must not overwrite it.
	checkFields(t, got, map[string]string{"auth": `{"type":"mcp_oauth","access_token":"at-1","expires_at":"2030-01-01T00:00:00Z","refresh":{"scope":"read"}}`}, nil)
	if len(deletes) != 1 {
		t.Fatalf("want one metadata delete (rogue), got %d", len(deletes))
	}
	p, _ = UpdateCredentialParams(cred, s, []string{SecretClientSecret, SecretRefreshToken}, nil, remote)
	checkFields(t, fields(t, p), map[string]string{"auth": `{"type":"mcp_oauth","expires_at":"2030-01-01T00:00:00Z",
		"refresh":{"refresh_token":"rt-1","scope":"read","token_endpoint_auth":{"type":"client_secret_basic","client_secret":"cs-1"}}}`}, nil)
}

func TestCredentialSecretHashes(t *testing.T) {
	cred := oauthCredential()
	s := CredentialSecrets{AccessToken: "a", RefreshToken: "r", ClientSecret: "c"}
	h := CredentialSecretHashes("uid/notion", cred, s)
	if len(h) != 3 || h[SecretAccessToken] == "" {
		t.Fatalf("hashes %v", h)
	}
	for k, v := range h {
		if len(v) != 24 || v == s.AccessToken {
			t.Fatalf("%s: %q is not a 96-bit hex digest", k, v)
		}
	}
	if other := CredentialSecretHashes("uid/other", cred, s); other[SecretAccessToken] == h[SecretAccessToken] {
		t.Fatal("the salt must change the digest: equal values in two credentials must not show as equal")
	}
	s.AccessToken = "a2"
	if got := ChangedSecrets(h, CredentialSecretHashes("uid/notion", cred, s)); len(got) != 1 || got[0] != SecretAccessToken {
		t.Fatalf("changed %v, want [accessToken]", got)
	}
	if got := ChangedSecrets(nil, h); len(got) != 3 {
		t.Fatalf("a credential never sent sends every field, got %v", got)
	}
}

func TestReadCredentialSecretsNamesWhatIsMissing(t *testing.T) {
	expires := time.Now()
	cases := []struct {
		name, why string
		cred      *v1alpha1.VaultCredential
		secrets   DataSource
		want      string
	}{
		{"missing Secret", "the Secret may not exist yet", bearerCredential(),
			func(string) (map[string][]byte, bool) { return nil, false },
			"spec.credentials[name=linear].staticBearer.tokenSecretRef: Secret linear not found"},
		{"missing key", "the key may be misspelled", envCredential(),
			func(string) (map[string][]byte, bool) { return map[string][]byte{"apikey": []byte("sk-secret")}, true },
			"spec.credentials[name=stripe].environmentVariable.valueSecretRef: Secret stripe has no key api-key"},
		{"missing client secret", "each reference is read", oauthCredential(), func(name string) (map[string][]byte, bool) {
			d, _ := testSecrets(expires)(name)
			delete(d, "client-secret")
			return d, true
		}, "mcpOAuth.refresh.clientSecretSecretRef: Secret notion has no key client-secret"},
		{"expiry that is not a time", "token refreshers write RFC 3339", oauthCredential(), func(string) (map[string][]byte, bool) {
			return map[string][]byte{"access-token": []byte("at"), "expires-at": []byte("tomorrow-secret")}, true
		}, "spec.credentials[name=notion].mcpOAuth.expiresAtKey: Secret notion key expires-at does not hold an RFC 3339 time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCredentialSecrets(tc.cred, tc.secrets)
			if err == nil || err.Error() != tc.want && !strings.HasSuffix(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sk-secret") || strings.Contains(err.Error(), "tomorrow-secret") {
				t.Fatalf("the error carries a value: %v", err)
			}
			var missing *MissingReferenceError
			var invalid *InvalidSpecError
			if !errors.As(err, &missing) && !errors.As(err, &invalid) {
				t.Fatalf("error type %T", err)
			}
		})
	}
}
