// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestContentSamplesBecomeReady proves the Vault, Skill and MemoryStore samples work end to end against
// the simulator, with the Secrets the Vault sample tells users to create.
func TestContentSamplesBecomeReady(t *testing.T) {
	ns := newNamespace(t)
	secret(t, ns, "linear-mcp", map[string]string{"token": "lin-sample"})
	secret(t, ns, "notion-oauth", map[string]string{"access-token": "at-sample", "refresh-token": "rt-sample", "client-secret": "cs-sample"})
	secret(t, ns, "stripe", map[string]string{"api-key": "sk-sample"})

	vault := &v1alpha1.Vault{}
	skill := &v1alpha1.Skill{}
	store := &v1alpha1.MemoryStore{}
	for file, obj := range map[string]client.Object{"claude_v1alpha1_vault.yaml": vault, "claude_v1alpha1_skill.yaml": skill, "claude_v1alpha1_memorystore.yaml": store} {
		for _, doc := range sampleDocs(t, file) {
			into := obj
			if strings.Contains(doc, "kind: ConfigMap") {
				into = &corev1.ConfigMap{}
			}
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			into.SetNamespace(ns)
			create(t, into)
		}
	}
	v := waitVault(t, client.ObjectKeyFromObject(vault), "the sample Vault Ready", func(v *v1alpha1.Vault) bool {
		return isReady(v.Status.Conditions) && len(v.Status.Credentials) == 3
	})
	if got, _ := remoteSecret(t, v.Status.ID, "notion", "refresh.token_endpoint_auth.client_secret"); got != "cs-sample" {
		t.Fatalf("the notion client secret is %q remotely", got)
	}
	waitSkill(t, client.ObjectKeyFromObject(skill), "the sample Skill Ready", func(s *v1alpha1.Skill) bool { return isReady(s.Status.Conditions) })
	waitMemoryStore(t, client.ObjectKeyFromObject(store), "the sample MemoryStore seeded", func(m *v1alpha1.MemoryStore) bool {
		return isReady(m.Status.Conditions) && m.Status.Memories == 2
	})
}

// sampleDocs splits a sample file into its YAML documents.
func sampleDocs(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, doc := range strings.Split(string(data), "\n---") {
		if strings.TrimSpace(doc) != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}
