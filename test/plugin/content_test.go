// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// Secret values of the content fixture; none may ever be printed.
const (
	linearToken = "lin_api_pluginTestToken"
	stripeKey   = "sk_live_pluginTestKey"
	notionToken = "ntn_pluginTestAccessToken"
)

// content is a Vault with two credentials from two Secrets, a Skill from a ConfigMap and a
// MemoryStore seeded from another, in the team namespace.
const content = `
apiVersion: v1
kind: Secret
metadata: {name: linear-mcp, namespace: team-a}
stringData: {token: ` + linearToken + `, oauth: ` + notionToken + `}
---
apiVersion: v1
kind: Secret
metadata: {name: stripe, namespace: team-a}
stringData: {api-key: ` + stripeKey + `}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Vault
metadata:
  name: team-credentials
  namespace: team-a
  # A short resync validates the OAuth credential soon: validation runs when the vault is observed.
  annotations: {claude.anthropic.com/resync-period: 2s}
spec:
  credentials:
    - name: linear
      staticBearer:
        mcpServerURL: https://mcp.linear.app/mcp
        tokenSecretRef: {name: linear-mcp, key: token}
    - name: notion
      mcpOAuth:
        mcpServerURL: https://mcp.notion.com/mcp
        accessTokenSecretRef: {name: linear-mcp, key: oauth}
    - name: stripe
      environmentVariable:
        variableName: STRIPE_API_KEY
        valueSecretRef: {name: stripe, key: api-key}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: notes-skill, namespace: team-a}
data:
  SKILL.md: |
    ---
    name: release-notes
    description: Write release notes from merged pull requests.
    ---
    # Release notes
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Skill
metadata: {name: release-notes, namespace: team-a}
spec:
  files:
    configMapRef: {name: notes-skill}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: memory-seed, namespace: team-a}
data:
  conventions.md: Go code is formatted with gofmt.
  contacts.md: Release questions go to the platform channel.
---
apiVersion: claude.anthropic.com/v1alpha1
kind: MemoryStore
metadata: {name: team-memory, namespace: team-a}
spec:
  seed:
    configMapRef: {name: memory-seed}
`

// createContent creates the content fixture and waits until the Vault, Skill and MemoryStore are Ready.
func createContent(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	objs := []client.Object{&corev1.Secret{}, &corev1.Secret{}, &v1alpha1.Vault{}, &corev1.ConfigMap{}, &v1alpha1.Skill{},
		&corev1.ConfigMap{}, &v1alpha1.MemoryStore{}}
	for i, doc := range strings.Split(strings.TrimSpace(content), "\n---\n") {
		if err := yaml.UnmarshalStrict([]byte(doc), objs[i]); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(ctx, objs[i]); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), objs[i]) })
	}
	for _, obj := range []client.Object{objs[2], objs[4], objs[6]} {
		if err := waitReady(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	vault := objs[2].(*v1alpha1.Vault)
	for !meta.IsStatusConditionTrue(vault.Status.Conditions, v1alpha1.ConditionCredentialsValid) {
		select {
		case <-ctx.Done():
			t.Fatalf("the OAuth credential was never validated: %v", vault.Status.Conditions)
		case <-time.After(200 * time.Millisecond):
		}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(vault), vault); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVaultStatusAndGetKinds proves that `vault status` shows each credential's type, remote id,
// validity and last rotation (as text and JSON, never a secret value), and that `get` lists
// Vaults, Skills and MemoryStores with their own columns, while `get SESSION` still means a Session.
func TestVaultStatusAndGetKinds(t *testing.T) {
	createContent(t)
	printed := append(checkVaultStatus(t), checkGetKinds(t)...)
	for _, out := range printed {
		for _, secret := range []string{linearToken, stripeKey, notionToken} {
			if strings.Contains(out.stdout+out.stderr, secret) {
				t.Fatalf("a secret value was printed:\n%s", out)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"vault", "status", "nope"}, "vault nope not found in namespace team-a: list vaults with `kubectl claude get vaults`"},
		{[]string{"get", "skills", "nope"}, "skill nope not found in namespace team-a"},
		{[]string{"get", "no-such-session"}, "session no-such-session not found in namespace team-a"},
	} {
		if r := kubectlClaude(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, "error: "+tc.want) {
			t.Errorf("kubectl claude %v: want a failure saying %q:\n%s", tc.args, tc.want, r)
		}
	}
}

// checkVaultStatus runs `vault status` as text and JSON and returns what it printed.
func checkVaultStatus(t *testing.T) []result {
	t.Helper()
	text := mustRun(t, "vault", "status", "team-credentials")
	t.Logf("vault status printed:\n%s", text.stdout)
	assertContains(t, text.stdout, "Ready:", "True", "NAME", "TYPE", "REMOTE ID", "VALIDITY", "LAST ROTATED",
		"linear", "StaticBearer", "stripe", "EnvironmentVariable", "notion", "MCPOAuth", "Valid", "vcrd_", "ago")
	var view plugin.VaultView
	if err := json.Unmarshal([]byte(mustRun(t, "vault", "status", "team-credentials", "-o", "json").stdout), &view); err != nil {
		t.Fatal(err)
	}
	if view.Ready != "True" || !strings.HasPrefix(view.RemoteID, "vlt_") || len(view.Credentials) != 3 || view.Credentials[1].Validity != v1alpha1.CredentialValid {
		t.Fatalf("vault status -o json: %+v", view)
	}
	for _, c := range view.Credentials {
		if !strings.HasPrefix(c.RemoteID, "vcrd_") || c.LastRotated == nil || c.Type == "" {
			t.Errorf("credential %s: remote id %q, type %q, last rotated %v", c.Name, c.RemoteID, c.Type, c.LastRotated)
		}
	}
	return []result{text}
}

// checkGetKinds runs `get` for each new kind and returns what it printed.
func checkGetKinds(t *testing.T) []result {
	t.Helper()
	vaults := mustRun(t, "get", "vaults")
	t.Logf("get vaults printed:\n%s", vaults.stdout)
	assertHeader(t, vaults.stdout, "NAME READY REMOTE ID CREDENTIALS INVALID LAST SYNC AGE")
	assertContains(t, vaults.stdout, "team-credentials", "True", "3/3")
	skills := mustRun(t, "get", "skills")
	assertHeader(t, skills.stdout, "NAME READY SKILL ID LATEST VERSION LAST SYNC AGE")
	assertContains(t, skills.stdout, "release-notes", "True")
	memory := mustRun(t, "get", "cmemory", "-o", "wide")
	assertHeader(t, memory.stdout, "NAME READY STORE ID MEMORIES SIZE AGE MESSAGE")
	assertContains(t, memory.stdout, "team-memory", "memstore_", " 2 ")
	all := mustRun(t, "get", "vault", "-A")
	if !strings.HasPrefix(all.stdout, "NAMESPACE") || !strings.Contains(all.stdout, teamNS) {
		t.Errorf("get vaults -A adds the namespace column:\n%s", all.stdout)
	}

	var list v1alpha1.VaultList
	if err := yaml.Unmarshal([]byte(mustRun(t, "get", "vaults", "team-credentials", "-o", "yaml").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "VaultList" || len(list.Items) != 1 || list.Items[0].Kind != "Vault" || list.Items[0].Name != "team-credentials" {
		t.Errorf("get vaults -o yaml prints a VaultList: kind %q, %d items", list.Kind, len(list.Items))
	}
	return []result{vaults, skills, memory, all}
}

// assertHeader checks a table's header row, with the columns separated by any spaces.
func assertHeader(t *testing.T, table, want string) {
	t.Helper()
	header := strings.Fields(strings.SplitN(table, "\n", 2)[0])
	if got := strings.Join(header, " "); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
}
