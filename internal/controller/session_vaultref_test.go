// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestSessionWaitsForItsVaultAndLaunchesWithItsID proves spec.vaultRefs works like agentRef: a
// Session whose Vault is not Ready waits, saying which Vault, and launches with the Vault's remote
// id once it is.
func TestSessionWaitsForItsVaultAndLaunchesWithItsID(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("with-vault", "hello")
	sess.Spec.VaultRefs = []v1alpha1.LocalObjectReference{{Name: "team-vault"}}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "waiting for the Vault", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionPending && s.Status.ID == "" &&
			conditionIs(s.Status.Conditions, v1alpha1.ConditionReferencesResolved, "False", "ReferenceNotReady")
	})
	secret(t, f.ns, "payments-key", map[string]string{"api-key": "sk_test_vaultref"})
	vault := newVault(f.ns, "team-vault", envCredential("payments", "PAYMENTS_API_KEY", "payments-key"))
	create(t, vault)
	vault = waitVault(t, client.ObjectKeyFromObject(vault), "Vault Ready", func(v *v1alpha1.Vault) bool { return isReady(v.Status.Conditions) })
	sess = waitSession(t, key, "launched", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	remote, err := sdk().Beta.Sessions.Get(testContext(t, time.Minute), sess.Status.ID, anthropic.BetaSessionGetParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(remote.VaultIDs) != 1 || remote.VaultIDs[0] != vault.Status.ID {
		t.Errorf("the remote session uses vaults %v, want [%s]", remote.VaultIDs, vault.Status.ID)
	}
}
