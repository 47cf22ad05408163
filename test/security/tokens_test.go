// SPDX-License-Identifier: Apache-2.0

package security

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/managed-agents-operator/test/harness"
)

// credentialName matches field names that would hold a credential.
var credentialName = regexp.MustCompile(`(?i)token|password|passwd|secret|apikey|api_key|credential|privatekey`)

// TestCredentialsOnlyBySecretReference proves by the installed CRDs' schemas that no spec field can
// carry a credential's value: every field named like a token, key or password is a Secret reference
// (an object with a name and a key), never a string. GitHub repositories take tokenSecretRef only.
func TestCredentialsOnlyBySecretReference(t *testing.T) {
	found := 0
	for _, crd := range []string{"agents", "environments", "sessions"} {
		walkSchema(crdSpecSchema(t, crd), "spec", func(path string, s schema) {
			for name, p := range s.Properties {
				if !credentialName.MatchString(name) || isTokenCount(name, p) {
					continue
				}
				found++
				if got := p.propertyNames(); p.Type != "object" || !slices.Equal(got, []string{"key", "name"}) {
					t.Errorf("%s: %s.%s is a %s with fields %v; a credential must be a Secret reference {name, key}", crd, path, name, p.Type, got)
				}
			}
		})
	}
	if found < 4 { // apiKeySecretRef on three kinds, tokenSecretRef on GitHub repositories
		t.Errorf("found %d credential fields; the walk is not looking where the credentials are", found)
	}
	repo := crdSpecSchema(t, "sessions").Properties["resources"].Items.Properties["githubRepository"]
	if got := repo.propertyNames(); !slices.Contains(got, "tokenSecretRef") || slices.ContainsFunc(got, func(n string) bool {
		return n != "tokenSecretRef" && credentialName.MatchString(n)
	}) {
		t.Errorf("githubRepository has fields %v; want tokenSecretRef as its only credential", got)
	}
}

// isTokenCount tells a count of model tokens (web_fetch's maxContentTokens) from a credential.
func isTokenCount(name string, s schema) bool {
	return strings.HasSuffix(strings.ToLower(name), "tokens") && s.Type == "integer"
}

// TestTokenValueFieldsAreRejected tries to pass a GitHub token by value, under the names a user might
// guess: the API server refuses each (strict field validation) and nothing is stored.
func TestTokenValueFieldsAreRejected(t *testing.T) {
	const ns = "tokens"
	suite.CreateNamespaces(t, ns)
	token := "ghp_" + harness.RandomHex(18)
	for _, field := range []string{"token", "authorizationToken", "authorization_token", "githubToken"} {
		manifest := sessionManifest("by-value", "hello") + `  resources:
    - githubRepository:
        url: https://github.com/acme/private-app
        ` + field + `: ` + token + "\n"
		out, err := suite.KubectlInput(manifest, "create", "--validate=strict", "-n", ns, "-f", "-")
		if err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("a GitHub token in %q was not refused as an unknown field: %v\n%s", field, err, out)
		}
	}
	if out := suite.Kubectl(t, "get", "sessions", "-n", ns, "-o", "yaml"); strings.Contains(out, token) {
		t.Error("a Session stored the token")
	}
}
