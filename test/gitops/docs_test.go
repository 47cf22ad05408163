// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestDocsMatchScripts: the argocd-cm snippet that docs/gitops.md tells users to apply is valid
// YAML (its anchors resolved as kubectl resolves them), is a ConfigMap named argocd-cm, and holds
// under each kind's key exactly the file of docs/argocd that the tests run; and every kind the
// CRDs define has a check. The files are the one source; the page must follow them.
func TestDocsMatchScripts(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cm := docsConfigMap(t, filepath.Join(root, "docs", "gitops.md"))
	if cm.Name != "argocd-cm" || cm.Kind != "ConfigMap" {
		t.Fatalf("the snippet is a %s named %q, want the ConfigMap argocd-cm", cm.Kind, cm.Name)
	}
	script, err := ScriptFor(Kinds[0])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, kind := range Kinds {
		key := ConfigMapKey(kind)
		want[key] = true
		if got, ok := cm.Data[key]; !ok {
			t.Errorf("docs/gitops.md has no key %s", key)
		} else if got != script {
			t.Errorf("docs/gitops.md key %s differs from %s; paste the file again, indented by four spaces", key, ScriptFile)
		}
	}
	for key := range cm.Data {
		if !want[key] {
			t.Errorf("docs/gitops.md has key %s, which is not a kind of Kinds", key)
		}
	}
	for _, kind := range crdKinds(t, filepath.Join(root, "config", "crd", "bases")) {
		if !want[ConfigMapKey(kind)] {
			t.Errorf("kind %s has no Argo CD health check: add it to Kinds and to docs/gitops.md (and to docs/argocd/health.lua if it needs its own rules)", kind)
		}
	}
}

// docsConfigMap parses the yaml block of the page that holds the argocd-cm ConfigMap.
func docsConfigMap(t *testing.T, path string) corev1.ConfigMap {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(page), "```yaml\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		if !strings.Contains(body, "name: argocd-cm") {
			continue
		}
		var cm corev1.ConfigMap
		if err := yaml.UnmarshalStrict([]byte(body), &cm); err != nil {
			t.Fatalf("the argocd-cm snippet of %s: %v", path, err)
		}
		return cm
	}
	t.Fatalf("%s has no yaml block with the argocd-cm ConfigMap", path)
	return corev1.ConfigMap{}
}

// crdKinds lists the kinds of the generated CRDs.
func crdKinds(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in %s (%v)", dir, err)
	}
	var kinds []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		kinds = append(kinds, crd.Spec.Names.Kind)
	}
	sort.Strings(kinds)
	return kinds
}
