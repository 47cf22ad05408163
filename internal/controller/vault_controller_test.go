// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func bearerCredential(name, url, secretName string) v1alpha1.VaultCredential {
	return v1alpha1.VaultCredential{Name: name, StaticBearer: &v1alpha1.StaticBearerCredential{
		MCPServerURL: url, TokenSecretRef: v1alpha1.SecretKeySelector{Name: secretName, Key: "token"}}}
}

func envCredential(name, variable, secretName string) v1alpha1.VaultCredential {
	return v1alpha1.VaultCredential{Name: name, EnvironmentVariable: &v1alpha1.EnvironmentVariableCredential{
		VariableName: variable, ValueSecretRef: v1alpha1.SecretKeySelector{Name: secretName, Key: "api-key"},
		AllowedHosts: []string{"api.stripe.com"}}}
}

func newVault(ns, name string, creds ...v1alpha1.VaultCredential) *v1alpha1.Vault {
	return &v1alpha1.Vault{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.VaultSpec{Credentials: creds}}
}

// remoteSecret is the value of one secret field of the credential with this name, as the simulator
// holds it.
func remoteSecret(t *testing.T, vaultID, name, field string) (string, simulator.CredentialInfo) {
	t.Helper()
	creds, err := sim.VaultCredentials(vaultID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if !c.Archived && credentialName(t, c.ID, vaultID) == name {
			return c.Secrets[field], c
		}
	}
	return "", simulator.CredentialInfo{}
}

// credentialName reads the credential's name from its remote metadata.
func credentialName(t *testing.T, id, vaultID string) string {
	t.Helper()
	c, err := sdk().Beta.Vaults.Credentials.Get(context.Background(), id, anthropic.BetaVaultCredentialGetParams{VaultID: vaultID})
	if err != nil {
		return ""
	}
	return c.Metadata[v1alpha1.MetadataKeyCredential]
}

// TestVaultFollowsItsSecrets is the Vault test: a Vault from two Secrets, a rotation that
// reaches only its credential within 5 s, a credential removed from the spec, and no secret value in
// status, Events or metrics.
func TestVaultFollowsItsSecrets(t *testing.T) {
	scanLogsFor(t, "lin-token-1", "lin-token-2", "sk-stripe-1")
	ns := newNamespace(t)
	secret(t, ns, "linear", map[string]string{"token": "lin-token-1"})
	secret(t, ns, "stripe", map[string]string{"api-key": "sk-stripe-1"})
	vault := newVault(ns, "team", bearerCredential("linear", "https://mcp.linear.app/mcp", "linear"), envCredential("stripe", "STRIPE_KEY", "stripe"))
	create(t, vault)
	key := client.ObjectKeyFromObject(vault)
	v := waitVault(t, key, "the Vault Ready with both credentials", func(v *v1alpha1.Vault) bool {
		return isReady(v.Status.Conditions) && len(v.Status.Credentials) == 2 && v.Status.Credentials[1].ID != ""
	})
	for _, st := range v.Status.Credentials {
		if !strings.HasPrefix(st.ID, "vcrd_") || st.LastRotated == nil || len(st.SecretHashes) != 1 || st.Message != "" {
			t.Fatalf("credential status %+v", st)
		}
	}
	if got, _ := remoteSecret(t, v.Status.ID, "linear", "token"); got != "lin-token-1" {
		t.Fatalf("the remote token is %q", got)
	}
	if got, _ := remoteSecret(t, v.Status.ID, "stripe", "secret_value"); got != "sk-stripe-1" {
		t.Fatalf("the remote value is %q", got)
	}

	t.Run("rotating one Secret updates only its credential within 5s", func(t *testing.T) {
		_, before := remoteSecret(t, v.Status.ID, "stripe", "secret_value")
		start := time.Now()
		setSecret(t, ns, "linear", map[string]string{"token": "lin-token-2"})
		for deadline := start.Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if got, _ := remoteSecret(t, v.Status.ID, "linear", "token"); got == "lin-token-2" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the rotated token did not reach the remote credential within 5s")
			}
		}
		t.Logf("rotation reached the API after %v", time.Since(start).Round(time.Millisecond))
		_, linear := remoteSecret(t, v.Status.ID, "linear", "token")
		_, stripe := remoteSecret(t, v.Status.ID, "stripe", "secret_value")
		if linear.SecretUpdates != 1 || stripe.Updates != before.Updates {
			t.Fatalf("linear rotated %d times (want 1); stripe updated %d times (want %d)", linear.SecretUpdates, stripe.Updates, before.Updates)
		}
		waitEvent(t, vault, "CredentialRotated")
	})
	t.Run("removing a credential from the spec deletes it remotely", func(t *testing.T) {
		waitVault(t, key, "in sync", func(v *v1alpha1.Vault) bool { return isReady(v.Status.Conditions) })
		if err := k8s.Get(context.Background(), key, vault); err != nil {
			t.Fatal(err)
		}
		vault.Spec.Credentials = vault.Spec.Credentials[:1]
		if err := k8s.Update(context.Background(), vault); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the stripe credential gone", func() (bool, string) {
			creds, _ := sim.VaultCredentials(v.Status.ID)
			return len(creds) == 1, fmt.Sprintf("%d credentials", len(creds))
		})
		waitVault(t, key, "one credential in status", func(v *v1alpha1.Vault) bool {
			return isReady(v.Status.Conditions) && len(v.Status.Credentials) == 1
		})
	})
	got := waitVault(t, key, "latest", func(*v1alpha1.Vault) bool { return true })
	assertNoSecretsAnywhere(t, vault, got.Status, "lin-token-1", "lin-token-2", "sk-stripe-1")
}

// TestVaultMissingSecretOrKey: a credential whose Secret or key is missing gives a condition that
// names it, costs no API call while nothing changes, and does not stop the other credentials.
func TestVaultMissingSecretOrKey(t *testing.T) {
	ns := newNamespace(t)
	secret(t, ns, "linear", map[string]string{"token": "lin-token"})
	secret(t, ns, "stripe", map[string]string{"apikey": "sk-misspelled"})
	vault := newVault(ns, "partial", bearerCredential("linear", "https://mcp.linear.app/mcp", "linear"),
		envCredential("stripe", "STRIPE_KEY", "stripe"), bearerCredential("github", "https://api.githubcopilot.com/mcp/", "github"))
	create(t, vault)
	key := client.ObjectKeyFromObject(vault)
	v := waitVault(t, key, "Ready=False naming both missing references", func(v *v1alpha1.Vault) bool {
		return readyReason(v.Status.Conditions) == "SecretNotFound" && len(v.Status.Credentials) == 3
	})
	msg := readyCondition(v.Status.Conditions)
	for _, want := range []string{"Secret stripe has no key api-key", "Secret github not found"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("Ready %q does not name %q", msg, want)
		}
	}
	if got, _ := remoteSecret(t, v.Status.ID, "linear", "token"); got != "lin-token" {
		t.Fatal("the credential with its Secret in place was not created")
	}
	if !strings.Contains(v.Status.Credentials[2].Message, "Secret github not found") || v.Status.Credentials[2].ID != "" {
		t.Fatalf("github credential status %+v", v.Status.Credentials[2])
	}
	// No hot loop: nothing changes, so nothing is called.
	before := sim.Stats()
	time.Sleep(3 * time.Second)
	if delta := writes(sim.Stats()) - writes(before); delta != 0 {
		t.Fatalf("%d API writes in 3s while waiting for a Secret", delta)
	}
	secret(t, ns, "github", map[string]string{"token": "ghp-token"})
	setSecret(t, ns, "stripe", map[string]string{"api-key": "sk-right"})
	waitVault(t, key, "Ready once the Secrets are there", func(v *v1alpha1.Vault) bool {
		return isReady(v.Status.Conditions) && v.Status.Credentials[2].ID != "" && v.Status.Credentials[1].Message == ""
	})
}

// TestVaultRejectedValue: a value the API rejects shows the API's message (which names the field,
// never the value) in the condition, and the other credentials are still created.
func TestVaultRejectedValue(t *testing.T) {
	ns := newNamespace(t)
	secret(t, ns, "linear", map[string]string{"token": "lin token with spaces"})
	secret(t, ns, "stripe", map[string]string{"api-key": "sk-ok"})
	vault := newVault(ns, "rejected", bearerCredential("linear", "https://mcp.linear.app/mcp", "linear"), envCredential("stripe", "STRIPE_KEY", "stripe"))
	create(t, vault)
	key := client.ObjectKeyFromObject(vault)
	v := waitVault(t, key, "Ready=False with the API's message", func(v *v1alpha1.Vault) bool {
		return readyReason(v.Status.Conditions) == "CredentialRejected"
	})
	if msg := readyCondition(v.Status.Conditions); !strings.Contains(msg, "credential linear") || !strings.Contains(msg, "auth.token: must not contain whitespace or control characters") {
		t.Fatalf("Ready %q", msg)
	}
	if got, _ := remoteSecret(t, v.Status.ID, "stripe", "secret_value"); got != "sk-ok" {
		t.Fatal("the valid credential was not created")
	}
	waitEvent(t, vault, "CredentialRejected")
	assertNoSecretsAnywhere(t, vault, v.Status, "lin token with spaces", "sk-ok")
	setSecret(t, ns, "linear", map[string]string{"token": "lin-token"})
	waitVault(t, key, "Ready once the value is fixed", func(v *v1alpha1.Vault) bool { return isReady(v.Status.Conditions) })
}

// TestVaultValidatesOAuthCredentials: each resync validates OAuth credentials and status shows the
// verdict and the failed step; CredentialsValid turns False with a Warning.
func TestVaultValidatesOAuthCredentials(t *testing.T) {
	ns := newNamespace(t)
	secret(t, ns, "notion", map[string]string{"access-token": "at-1", "refresh-token": "rt-1"})
	url := "https://mcp.notion.example/" + ns
	if _, err := sim.AddValidationRule(simulator.ValidationRule{MCPServerURL: url, Status: simulator.ValidationInvalid,
		ProbeMethod: "initialize", ProbeStatus: 401, Refresh: "failed"}); err != nil {
		t.Fatal(err)
	}
	vault := newVault(ns, "oauth", v1alpha1.VaultCredential{Name: "notion", MCPOAuth: &v1alpha1.MCPOAuthCredential{
		MCPServerURL: url, AccessTokenSecretRef: v1alpha1.SecretKeySelector{Name: "notion", Key: "access-token"},
		Refresh: &v1alpha1.MCPOAuthRefresh{ClientID: "agents", TokenEndpoint: "https://auth.example/token",
			RefreshTokenSecretRef: v1alpha1.SecretKeySelector{Name: "notion", Key: "refresh-token"}}}})
	vault.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, vault)
	v := waitVault(t, client.ObjectKeyFromObject(vault), "the credential validated as invalid", func(v *v1alpha1.Vault) bool {
		return len(v.Status.Credentials) == 1 && v.Status.Credentials[0].Validity == v1alpha1.CredentialInvalid
	})
	st := v.Status.Credentials[0]
	if st.ValidationMessage != "MCP initialize failed (HTTP 401); refresh failed" || st.LastValidated == nil || !isReady(v.Status.Conditions) {
		t.Fatalf("credential status %+v, %s", st, readyCondition(v.Status.Conditions))
	}
	if !conditionIs(v.Status.Conditions, v1alpha1.ConditionCredentialsValid, metav1.ConditionFalse, "CredentialInvalid") {
		t.Fatalf("conditions %+v", v.Status.Conditions)
	}
	waitEvent(t, vault, "CredentialInvalid")
}

// TestVaultDeletionPolicies: Delete removes the remote vault, Archive archives it.
func TestVaultDeletionPolicies(t *testing.T) {
	ns := newNamespace(t)
	for _, policy := range []v1alpha1.VaultDeletionPolicy{v1alpha1.VaultDeletionDelete, v1alpha1.VaultDeletionArchive} {
		t.Run(string(policy), func(t *testing.T) {
			vault := newVault(ns, strings.ToLower(string(policy)))
			vault.Spec.DeletionPolicy = policy
			create(t, vault)
			key := client.ObjectKeyFromObject(vault)
			id := waitVault(t, key, "Ready", func(v *v1alpha1.Vault) bool { return isReady(v.Status.Conditions) }).Status.ID
			if err := k8s.Delete(context.Background(), vault); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the remote vault released", func() (bool, string) {
				remote, err := sdk().Beta.Vaults.Get(context.Background(), id, anthropic.BetaVaultGetParams{})
				if policy == v1alpha1.VaultDeletionDelete {
					return err != nil && strings.Contains(err.Error(), "404"), fmt.Sprint(err)
				}
				return err == nil && !remote.ArchivedAt.IsZero(), fmt.Sprint(err)
			})
		})
	}
}
