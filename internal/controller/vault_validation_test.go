// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestVaultValidatesAnOAuthCredentialWhenItIsCreatedOrRotated: a new OAuth credential, and one whose
// token was just rotated, is validated in the reconcile that wrote it, not at the next resync (an
// hour by default). Before, status said nothing of its validity until then.
func TestVaultValidatesAnOAuthCredentialWhenItIsCreatedOrRotated(t *testing.T) {
	ns := newNamespace(t)
	secret(t, ns, "notion", map[string]string{"access-token": "at-1"})
	url := "https://mcp.notion.example/" + ns
	vault := newVault(ns, "oauth-now", v1alpha1.VaultCredential{Name: "notion", MCPOAuth: &v1alpha1.MCPOAuthCredential{
		MCPServerURL: url, AccessTokenSecretRef: v1alpha1.SecretKeySelector{Name: "notion", Key: "access-token"}}})
	create(t, vault)
	key := client.ObjectKeyFromObject(vault)
	validity := func(want v1alpha1.CredentialValidity) func(*v1alpha1.Vault) bool {
		return func(v *v1alpha1.Vault) bool {
			return len(v.Status.Credentials) == 1 && v.Status.Credentials[0].Validity == want
		}
	}
	start := time.Now()
	waitVault(t, key, "the new credential validated", validity(v1alpha1.CredentialValid))
	t.Logf("validated %s after the create", time.Since(start).Round(time.Millisecond))

	// The token is rotated to one the MCP server refuses: the verdict follows the rotation at once,
	// although the last validation is less than a minute old.
	if _, err := sim.AddValidationRule(simulator.ValidationRule{MCPServerURL: url, Status: simulator.ValidationInvalid,
		ProbeMethod: "initialize", ProbeStatus: 401}); err != nil {
		t.Fatal(err)
	}
	setSecret(t, ns, "notion", map[string]string{"access-token": "at-2"})
	v := waitVault(t, key, "the rotated credential validated again", validity(v1alpha1.CredentialInvalid))
	if st := v.Status.Credentials[0]; st.LastRotated == nil || st.LastValidated == nil || st.LastValidated.Before(st.LastRotated) {
		t.Errorf("validated %v, rotated %v: want a validation after the rotation", st.LastValidated, st.LastRotated)
	}
}
