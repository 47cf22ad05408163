// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestVaultStatusText(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { m := metav1.NewTime(now.Add(d)); return &m }
	v := &v1alpha1.Vault{
		ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: "ns"},
		Spec: v1alpha1.VaultSpec{Credentials: []v1alpha1.VaultCredential{
			{Name: "oauth", MCPOAuth: &v1alpha1.MCPOAuthCredential{}},
			{Name: "fresh-oauth", MCPOAuth: &v1alpha1.MCPOAuthCredential{}},
			{Name: "bearer", StaticBearer: &v1alpha1.StaticBearerCredential{}},
			{Name: "broken", EnvironmentVariable: &v1alpha1.EnvironmentVariableCredential{}},
		}},
		Status: v1alpha1.VaultStatus{ID: "vlt_1", Credentials: []v1alpha1.CredentialStatus{
			{Name: "oauth", ID: "vcrd_1", Validity: v1alpha1.CredentialInvalid, ValidationMessage: "MCP initialize failed (HTTP 401)",
				LastRotated: at(-2 * time.Hour), ExpiresAt: at(30 * time.Minute)},
			{Name: "fresh-oauth", ID: "vcrd_2"},
			{Name: "bearer", ID: "vcrd_3", LastRotated: at(-time.Minute), SecretHashes: map[string]string{"token": "abcdef0123"}},
			{Name: "broken", Message: "credentials[name=broken].environmentVariable.valueSecretRef: Secret ns/x not found"},
		}, Conditions: []metav1.Condition{
			{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "SecretNotFound", Message: "broken: Secret ns/x not found"},
			{Type: v1alpha1.ConditionCredentialsValid, Status: metav1.ConditionFalse, Message: "invalid: oauth"},
		}},
	}
	text := VaultStatusText(v, Styler{}, now)
	rows := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = strings.Join(f, " ")
		}
	}
	cases := []struct{ row, want, why string }{
		{"Ready:", "Ready: False (SecretNotFound)", "a Vault that is not Ready says why at the top"},
		{"Message:", "Message: broken: Secret ns/x not found", "and with the condition's message"},
		{"oauth", "oauth MCPOAuth vcrd_1 Invalid 120m ago in 30m MCP initialize failed (HTTP 401)", "an invalid OAuth credential shows the failed step"},
		{"fresh-oauth", "fresh-oauth MCPOAuth vcrd_2 Unknown <none> <none> <none>", "an OAuth credential not validated yet is Unknown, not valid"},
		{"bearer", "bearer StaticBearer vcrd_3 - 60s ago <none> <none>", "only OAuth credentials have a validity"},
		{"broken", "broken EnvironmentVariable <none> - <none> <none> credentials[name=broken].environmentVariable.valueSecretRef: Secret ns/x not found", "a credential that failed says why"},
	}
	for _, tc := range cases {
		if got := rows[tc.row]; got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.why, got, tc.want)
		}
	}
	if strings.Contains(text, "abcdef0123") {
		t.Error("a secret digest was printed")
	}
}

func TestKindTables(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	created := metav1.NewTime(now.Add(-3 * time.Hour))
	stores := []v1alpha1.MemoryStore{{
		ObjectMeta: metav1.ObjectMeta{Name: "memory", Namespace: "ns", CreationTimestamp: created},
		Status: v1alpha1.MemoryStoreStatus{ID: "memstore_1", Memories: 12, SizeBytes: 5 * 1024 * 1024 / 2,
			Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: "ConfigMapNotFound", Message: "seed: ConfigMap ns/x not found"}}},
	}}
	var b strings.Builder
	if err := MemoryStoreTable(stores).Print(&b, TableOptions{AllNamespaces: true, Wide: true, Now: now}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"NAMESPACE NAME READY STORE ID MEMORIES SIZE AGE MESSAGE",
		"ns memory False (ConfigMapNotFound) memstore_1 12 2.5MiB 3h seed: ConfigMap ns/x not found",
	}
	for i, w := range want {
		if got := strings.Join(strings.Fields(lines[i]), " "); got != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, got, w)
		}
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0B"}, {1023, "1023B"}, {1024, "1.0KiB"}, {1536, "1.5KiB"}, {3 << 30, "3.0GiB"}} {
		if got := byteSize(tc.n); got != tc.want {
			t.Errorf("byteSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
