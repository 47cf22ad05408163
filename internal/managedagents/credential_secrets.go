// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"strings"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// ReadCredentialSecrets reads the secret values of one credential from its Secrets. A missing Secret
// or key is a *MissingReferenceError naming the reference; an expiresAtKey value that is not an RFC 3339
// time is an *InvalidSpecError naming the key (never its value).
func ReadCredentialSecrets(c *v1alpha1.VaultCredential, secrets DataSource) (CredentialSecrets, error) {
	var s CredentialSecrets
	field := "credentials[name=" + c.Name + "]"
	read := func(sub string, ref v1alpha1.SecretKeySelector, dst *string) error {
		v, err := lookupKey(secrets, "Secret", field+"."+sub, ref.Name, ref.Key)
		*dst = string(v)
		return err
	}
	var err error
	switch {
	case c.MCPOAuth != nil:
		err = readOAuthSecrets(c.MCPOAuth, field+".mcpOAuth", secrets, read, &s)
	case c.StaticBearer != nil:
		err = read("staticBearer.tokenSecretRef", c.StaticBearer.TokenSecretRef, &s.Token)
	case c.EnvironmentVariable != nil:
		err = read("environmentVariable.valueSecretRef", c.EnvironmentVariable.ValueSecretRef, &s.Value)
	}
	return s, err
}

func readOAuthSecrets(o *v1alpha1.MCPOAuthCredential, field string, secrets DataSource,
	read func(string, v1alpha1.SecretKeySelector, *string) error, s *CredentialSecrets) error {
	if err := read("mcpOAuth.accessTokenSecretRef", o.AccessTokenSecretRef, &s.AccessToken); err != nil {
		return err
	}
	if o.ExpiresAtKey != "" {
		raw, err := lookupKey(secrets, "Secret", field+".expiresAtKey", o.AccessTokenSecretRef.Name, o.ExpiresAtKey)
		if err != nil {
			return err
		}
		t, perr := time.Parse(time.RFC3339, strings.TrimSpace(string(raw)))
		if perr != nil {
			return invalidSpec(field+".expiresAtKey", "Secret %s key %s does not hold an RFC 3339 time", o.AccessTokenSecretRef.Name, o.ExpiresAtKey)
		}
		s.ExpiresAt = &t
	}
	r := o.Refresh
	if r == nil {
		return nil
	}
	if err := read("mcpOAuth.refresh.refreshTokenSecretRef", r.RefreshTokenSecretRef, &s.RefreshToken); err != nil {
		return err
	}
	if r.ClientSecretSecretRef != nil {
		return read("mcpOAuth.refresh.clientSecretSecretRef", *r.ClientSecretSecretRef, &s.ClientSecret)
	}
	return nil
}
