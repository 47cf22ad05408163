// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"maps"
	"slices"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// credentialWireType maps a credential's type to the API's auth type.
var credentialWireType = map[string]string{
	v1alpha1.CredentialTypeMCPOAuth:            "mcp_oauth",
	v1alpha1.CredentialTypeStaticBearer:        "static_bearer",
	v1alpha1.CredentialTypeEnvironmentVariable: "environment_variable",
}

// tokenEndpointAuthWire maps the CRD's token endpoint auth to the API's.
var tokenEndpointAuthWire = map[v1alpha1.TokenEndpointAuth]string{
	"":                             "none",
	v1alpha1.TokenEndpointAuthNone: "none",
	v1alpha1.TokenEndpointAuthClientSecretBasic: "client_secret_basic",
	v1alpha1.TokenEndpointAuthClientSecretPost:  "client_secret_post",
}

// CredentialDrift compares a credential's non-secret fields with the remote credential. Secret values
// cannot be compared (the API never returns them); CredentialSecretHashes tracks those.
//
// replace names what the API cannot change on an existing credential (its type, mcp_server_url,
// secret_name, and the refresh client: client_id, token_endpoint, resource, token endpoint auth
// type, refresh on or off): the credential has to be deleted and created again. update names what
// UpdateCredentialParams fixes. Both are sorted, and nil when in sync.
func CredentialDrift(c *v1alpha1.VaultCredential, owner map[string]string, remote *Credential) (update, replace []string) {
	var u, r drift
	a := remote.Auth
	r.check("auth.type", credentialWireType[c.Type()] == a.Type)
	u.check("display_name", credentialDisplayName(c) == remote.DisplayName)
	u.check("metadata", maps.Equal(owner, remote.Metadata))
	switch {
	case c.MCPOAuth != nil:
		r.check("auth.mcp_server_url", c.MCPOAuth.MCPServerURL == a.MCPServerURL)
		refreshDrift(c.MCPOAuth.Refresh, remote, &u, &r)
	case c.StaticBearer != nil:
		r.check("auth.mcp_server_url", c.StaticBearer.MCPServerURL == a.MCPServerURL)
	case c.EnvironmentVariable != nil:
		e := c.EnvironmentVariable
		r.check("auth.secret_name", e.VariableName == a.SecretName)
		u.check("auth.networking", credentialNetworkingInSync(e.AllowedHosts, remote))
		u.check("auth.injection_location", injects(e, v1alpha1.InjectHeader) == a.InjectionLocation.Header &&
			injects(e, v1alpha1.InjectBody) == a.InjectionLocation.Body)
	}
	return u.result(), r.result()
}

func refreshDrift(want *v1alpha1.MCPOAuthRefresh, remote *Credential, u, r *drift) {
	has := remote.Auth.JSON.Refresh.Valid()
	r.check("auth.refresh", (want != nil) == has)
	if want == nil || !has {
		return
	}
	got := remote.Auth.Refresh
	r.check("auth.refresh.client_id", want.ClientID == got.ClientID)
	r.check("auth.refresh.token_endpoint", want.TokenEndpoint == got.TokenEndpoint)
	r.check("auth.refresh.resource", want.Resource == got.Resource)
	r.check("auth.refresh.token_endpoint_auth", tokenEndpointAuthWire[want.TokenEndpointAuth] == got.TokenEndpointAuth.Type)
	u.check("auth.refresh.scope", want.Scope == got.Scope)
}

func credentialNetworkingInSync(hosts []string, remote *Credential) bool {
	n := remote.Auth.Networking
	if len(hosts) == 0 {
		return n.Type == "unrestricted"
	}
	return n.Type == "limited" && slices.Equal(slices.Sorted(slices.Values(hosts)), slices.Sorted(slices.Values(n.AllowedHosts)))
}
