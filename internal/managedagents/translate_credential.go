// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Secret fields of a credential, as status.credentials[].secretHashes names them.
const (
	SecretAccessToken  = "accessToken"
	SecretRefreshToken = "refreshToken"
	SecretClientSecret = "clientSecret"
	SecretToken        = "token"
	SecretValue        = "value"
)

// CredentialSecrets are one credential's secret values, read from its Secrets by the controller.
// Only the fields of the credential's type are used.
type CredentialSecrets struct {
	AccessToken  string     // MCPOAuth
	ExpiresAt    *time.Time // MCPOAuth, from expiresAtKey; nil when unknown
	RefreshToken string     // MCPOAuth with refresh
	ClientSecret string     // MCPOAuth with a client-secret token endpoint auth
	Token        string     // StaticBearer
	Value        string     // EnvironmentVariable
}

// fields maps each secret field the credential's spec uses to its value.
func (s CredentialSecrets) fields(c *v1alpha1.VaultCredential) map[string]string {
	out := map[string]string{}
	switch {
	case c.MCPOAuth != nil:
		out[SecretAccessToken] = s.AccessToken
		if r := c.MCPOAuth.Refresh; r != nil {
			out[SecretRefreshToken] = s.RefreshToken
			if r.ClientSecretSecretRef != nil {
				out[SecretClientSecret] = s.ClientSecret
			}
		}
	case c.StaticBearer != nil:
		out[SecretToken] = s.Token
	case c.EnvironmentVariable != nil:
		out[SecretValue] = s.Value
	}
	return out
}

// CredentialSecretHashes digests each secret field the credential uses, salted with salt (the Vault's
// UID and the credential's name), so that equal values in two credentials or two Vaults do not show
// as equal digests. The digest is truncated: it only has to tell "changed" from "unchanged".
func CredentialSecretHashes(salt string, c *v1alpha1.VaultCredential, s CredentialSecrets) map[string]string {
	out := map[string]string{}
	for k, v := range s.fields(c) {
		sum := sha256.Sum256([]byte(salt + "\x00" + k + "\x00" + v))
		out[k] = hex.EncodeToString(sum[:12])
	}
	return out
}

// ChangedSecrets lists the fields whose digest differs from the last one sent, sorted.
func ChangedSecrets(sent, current map[string]string) []string {
	var out []string
	for k, v := range current {
		if sent[k] != v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// CredentialOwner is the metadata the operator writes on a remote credential: the Vault's UID and the
// credential's name, so that a crash between create and status write never leaves a duplicate.
func CredentialOwner(vaultUID, name string) map[string]string {
	return map[string]string{v1alpha1.MetadataKeyUID: vaultUID, v1alpha1.MetadataKeyCredential: name}
}

func credentialDisplayName(c *v1alpha1.VaultCredential) string {
	if c.DisplayName != "" {
		return c.DisplayName
	}
	return c.Name
}

// NewCredentialParams translates a credential and its secret values into the create request.
func NewCredentialParams(c *v1alpha1.VaultCredential, s CredentialSecrets, owner map[string]string) (anthropic.BetaVaultCredentialNewParams, error) {
	p := anthropic.BetaVaultCredentialNewParams{DisplayName: param.NewOpt(credentialDisplayName(c)), Metadata: maps.Clone(owner)}
	switch {
	case c.MCPOAuth != nil:
		p.Auth.OfMCPOAuth = newOAuthParams(c.MCPOAuth, s)
	case c.StaticBearer != nil:
		p.Auth.OfStaticBearer = &anthropic.BetaManagedAgentsStaticBearerCreateParams{MCPServerURL: c.StaticBearer.MCPServerURL, Token: s.Token}
	case c.EnvironmentVariable != nil:
		e := c.EnvironmentVariable
		p.Auth.OfEnvironmentVariable = &anthropic.BetaManagedAgentsEnvironmentVariableCreateParams{
			SecretName: e.VariableName, SecretValue: s.Value, Networking: credentialNetworking(e.AllowedHosts),
			InjectionLocation: anthropic.BetaManagedAgentsInjectionLocationParams{
				Header: param.NewOpt(injects(e, v1alpha1.InjectHeader)), Body: param.NewOpt(injects(e, v1alpha1.InjectBody))},
		}
	default:
		return p, invalidSpec("credentials[name="+c.Name+"]", "set one of mcpOAuth, staticBearer or environmentVariable")
	}
	return p, nil
}

func newOAuthParams(o *v1alpha1.MCPOAuthCredential, s CredentialSecrets) *anthropic.BetaManagedAgentsMCPOAuthCreateParams {
	p := &anthropic.BetaManagedAgentsMCPOAuthCreateParams{MCPServerURL: o.MCPServerURL, AccessToken: s.AccessToken}
	if s.ExpiresAt != nil {
		p.ExpiresAt = param.NewOpt(*s.ExpiresAt)
	}
	if r := o.Refresh; r != nil {
		p.Refresh = anthropic.BetaManagedAgentsMCPOAuthRefreshParams{ClientID: r.ClientID, TokenEndpoint: r.TokenEndpoint,
			RefreshToken: s.RefreshToken, Resource: optString(r.Resource), Scope: optString(r.Scope)}
		switch r.TokenEndpointAuth {
		case v1alpha1.TokenEndpointAuthClientSecretBasic:
			p.Refresh.TokenEndpointAuth.OfClientSecretBasic = &anthropic.BetaManagedAgentsTokenEndpointAuthBasicParam{ClientSecret: s.ClientSecret}
		case v1alpha1.TokenEndpointAuthClientSecretPost:
			p.Refresh.TokenEndpointAuth.OfClientSecretPost = &anthropic.BetaManagedAgentsTokenEndpointAuthPostParam{ClientSecret: s.ClientSecret}
		default:
			none := anthropic.NewBetaManagedAgentsTokenEndpointAuthNoneParam()
			p.Refresh.TokenEndpointAuth.OfNone = &none
		}
	}
	return p
}

func credentialNetworking(hosts []string) anthropic.BetaManagedAgentsCredentialNetworkingParamsUnion {
	if len(hosts) > 0 {
		return anthropic.BetaManagedAgentsCredentialNetworkingParamsOfLimited(slices.Clone(hosts))
	}
	return anthropic.BetaManagedAgentsCredentialNetworkingParamsUnion{OfUnrestricted: &anthropic.BetaManagedAgentsUnrestrictedCredentialNetworkingParams{}}
}

// injects reports whether the value may be substituted at loc; an unset list means both.
func injects(e *v1alpha1.EnvironmentVariableCredential, loc v1alpha1.InjectionLocation) bool {
	return len(e.InjectInto) == 0 || slices.Contains(e.InjectInto, loc)
}

// UpdateCredentialParams translates a credential into an update of remote that sends the secret
// fields named in changed (see ChangedSecrets) and every non-secret field the API lets an update set.
// Metadata is a patch: the returned options delete the remote keys that are not the operator's.
func UpdateCredentialParams(c *v1alpha1.VaultCredential, s CredentialSecrets, changed []string, owner map[string]string, remote *Credential) (anthropic.BetaVaultCredentialUpdateParams, []option.RequestOption) {
	send := func(field, value string) param.Opt[string] {
		if slices.Contains(changed, field) {
			return param.NewOpt(value)
		}
		return param.Opt[string]{}
	}
	p := anthropic.BetaVaultCredentialUpdateParams{DisplayName: param.NewOpt(credentialDisplayName(c)), Metadata: maps.Clone(owner)}
	switch {
	case c.MCPOAuth != nil:
		o := &anthropic.BetaManagedAgentsMCPOAuthUpdateParams{AccessToken: send(SecretAccessToken, s.AccessToken)}
		if s.ExpiresAt != nil {
			o.ExpiresAt = param.NewOpt(*s.ExpiresAt)
		}
		if r := c.MCPOAuth.Refresh; r != nil {
			// An empty scope clears the stored one.
			o.Refresh = anthropic.BetaManagedAgentsMCPOAuthRefreshUpdateParams{RefreshToken: send(SecretRefreshToken, s.RefreshToken), Scope: param.NewOpt(r.Scope)}
			if slices.Contains(changed, SecretClientSecret) {
				o.Refresh.TokenEndpointAuth.OfClientSecretBasic = &anthropic.BetaManagedAgentsTokenEndpointAuthBasicUpdateParam{ClientSecret: param.NewOpt(s.ClientSecret)}
			}
		}
		p.Auth.OfMCPOAuth = o
	case c.StaticBearer != nil:
		p.Auth.OfStaticBearer = &anthropic.BetaManagedAgentsStaticBearerUpdateParams{Token: send(SecretToken, s.Token)}
	case c.EnvironmentVariable != nil:
		e := c.EnvironmentVariable
		p.Auth.OfEnvironmentVariable = &anthropic.BetaManagedAgentsEnvironmentVariableUpdateParams{
			SecretValue: send(SecretValue, s.Value), Networking: credentialNetworking(e.AllowedHosts),
			InjectionLocation: anthropic.BetaManagedAgentsInjectionLocationUpdateParams{
				Header: param.NewOpt(injects(e, v1alpha1.InjectHeader)), Body: param.NewOpt(injects(e, v1alpha1.InjectBody))},
		}
	}
	return p, metadataDeletes(owner, remote.Metadata)
}
