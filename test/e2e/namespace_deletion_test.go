// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/test/harness"
)

// TestNamespaceDeletionReleasesEverything deletes a namespace the way a platform team does, with a
// real kube-controller-manager: the namespace holds the API key Secret, an Agent, an Environment, a
// Session mid-turn and a finished one. The namespace controller may delete the Secret before the
// objects that use it (the test deletes it first, the worst order), so the operator must release
// every remote object with the last key it knew. The namespace is gone within 60 s, and every remote
// object was released as its policy says.
func TestNamespaceDeletionReleasesEverything(t *testing.T) {
	const ns = "e2e-namespace-deletion"
	apiKey := "sk-ant-nsdel-" + harness.RandomHex(16)
	suite.CreateNamespaces(t, ns)
	sim := suite.StartSimulator(t, apiKey, stepDelay)
	suite.CreateSecret(t, ns, "team-key", "api-key", apiKey)
	suite.StartManager(t, suite.AdminKubeconfig, "--watch-namespaces="+ns,
		"--api-base-url="+sim.URL, "--allow-insecure-api-url")
	suite.Apply(t, ns, `apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata: {name: coder}
spec:
  model: {id: claude-opus-4-8}
  apiKeySecretRef: {name: team-key}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: sandbox}
spec:
  apiKeySecretRef: {name: team-key}
  deletionPolicy: Delete
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: finished}
spec:
  agentRef: {name: coder}
  environmentRef: {name: sandbox}
  apiKeySecretRef: {name: team-key}
  prompt: hello
  deletionPolicy: Delete
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: mid-turn}
spec:
  agentRef: {name: coder}
  environmentRef: {name: sandbox}
  apiKeySecretRef: {name: team-key}
  prompt: "[[slow:120s]] a long task"
`)
	waitTurn(t, ns, "finished")
	suite.WaitCondition(t, ns, "session/mid-turn", "Launched", turnTimeout)
	remote := map[string]string{}
	for _, obj := range []string{"agent/coder", "environment/sandbox", "session/finished", "session/mid-turn"} {
		remote[obj] = suite.Kubectl(t, "get", "-n", ns, obj, "-o", "jsonpath={.status.id}")
	}

	// The worst order, which a namespace deletion can take: the key Secret goes first.
	suite.Kubectl(t, "delete", "secret", "-n", ns, "team-key")
	start := time.Now()
	suite.Kubectl(t, "delete", "namespace", ns, "--wait=false")
	if out, err := suite.KubectlErr("wait", "--for=delete", "namespace/"+ns, "--timeout=60s"); err != nil {
		t.Fatalf("the namespace is still there after 60 s: %v\n%s\n%s", err, out,
			suite.Kubectl(t, "get", "claude", "-n", ns, "-o", "yaml"))
	}
	t.Logf("the namespace was gone %s after its deletion", time.Since(start).Round(time.Second))

	for obj, path := range map[string]string{
		"agent/coder": "/v1/agents/" + remote["agent/coder"], "session/mid-turn": "/v1/sessions/" + remote["session/mid-turn"],
	} {
		code, body := sim.Get(t, path)
		if code != http.StatusOK || body["archived_at"] == nil {
			t.Errorf("%s (policy Archive): remote %s answered %d, archived_at %v; want archived", obj, path, code, body["archived_at"])
		}
		if obj == "session/mid-turn" && fmt.Sprint(body["status"]) == "running" {
			t.Errorf("the mid-turn remote session is still running")
		}
	}
	for obj, path := range map[string]string{
		"environment/sandbox": "/v1/environments/" + remote["environment/sandbox"], "session/finished": "/v1/sessions/" + remote["session/finished"],
	} {
		if code, _ := sim.Get(t, path); code != http.StatusNotFound {
			t.Errorf("%s (policy Delete): remote %s answered %d, want 404", obj, path, code)
		}
	}
}
