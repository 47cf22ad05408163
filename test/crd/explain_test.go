// SPDX-License-Identifier: Apache-2.0

package crd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestKubectlExplainShowsFieldDocs proves the doc comments reach users: `kubectl explain` on the real
// API server prints them for nested Session fields.
func TestKubectlExplainShowsFieldDocs(t *testing.T) {
	kubeconfig, err := env.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(testenv.AssetsDir(), "kubectl")
	cases := map[string]string{
		"session.spec":                                "follow-up",
		"session.spec.agentRef":                       "Name of the Agent",
		"agent.spec.tools.custom":                     "JSON Schema",
		"environment.spec.networking":                 "Limited",
		"environment.spec.selfHosted.sandboxTemplate": "runner",
		"vault.spec.credentials.mcpOAuth":             "refresh",
		"skill.spec.files.items":                      "SKILL.md",
		"memorystore.spec.seed":                       "source of truth",
		"session.spec.vaultRefs":                      "Ready",
	}
	for field, want := range cases {
		// The API server publishes a new CRD's OpenAPI schema a few seconds after installing it.
		var out []byte
		var err error
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			cmd := exec.Command(kubectl, "explain", field)
			cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
			if out, err = cmd.CombinedOutput(); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("kubectl explain %s: %v\n%s", field, err, out)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl explain %s does not mention %q:\n%s", field, want, out)
		}
	}
}
