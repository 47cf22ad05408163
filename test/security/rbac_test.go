// SPDX-License-Identifier: Apache-2.0

package security

import (
	"strings"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

// TestWatchNamespacesConfineTheServiceAccount installs the chart with watchNamespaces and proves,
// with the chart's ServiceAccount identity (kubeconfig impersonation), that the operator cannot read
// Secrets or custom resources outside the watched namespace, neither by RBAC's answer (kubectl auth
// can-i) nor by an actual attempt, while a conversation inside works with exactly those rights.
func TestWatchNamespacesConfineTheServiceAccount(t *testing.T) {
	const release, ns, watched, outside = "confined", "confined-system", "confined-team", "confined-outsider"
	suite.CreateNamespaces(t, ns, watched, outside)
	apiKey := "sk-ant-sec-" + harness.RandomHex(16)
	otherKey := "sk-ant-other-team-" + harness.RandomHex(16)
	sim := suite.StartSimulator(t, apiKey, stepDelay)
	suite.CreateSecret(t, ns, "claude-api-key", "api-key", apiKey)
	suite.Helm(t, "install", release, suite.ChartDir, "--namespace", ns, "--timeout", "2m",
		"--set", "image.repository=registry.example.com/managed-agents-operator", "--set", "image.tag=security",
		"--set", "watchNamespaces={"+watched+"}", "--set", "apiKey.existingSecret=claude-api-key",
		"--set", "baseURL="+sim.URL, "--set", "allowInsecureAPIURL=true")
	t.Cleanup(func() {
		_, _ = suite.HelmErr("uninstall", release, "--namespace", ns)
	})
	fullname := release + "-managed-agents-operator"
	sa := "system:serviceaccount:" + ns + ":" + fullname

	// Another team's key and conversation, outside the watched namespace.
	suite.CreateSecret(t, outside, "team-key", "api-key", otherKey)
	suite.Apply(t, outside, agentAndEnvironment)
	suite.Apply(t, outside, sessionManifest("outside", "not yours")+"  apiKeySecretRef: {name: team-key}\n")
	suite.Apply(t, watched, agentAndEnvironment)
	suite.Apply(t, watched, sessionManifest("inside", "hello from the watched namespace"))

	t.Run("kubectl auth can-i answers no outside and yes inside", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want bool
		}{
			{[]string{"get", "secrets", "-n", outside}, false},
			{[]string{"list", "secrets", "-n", outside}, false},
			{[]string{"watch", "secrets", "-n", outside}, false},
			{[]string{"list", "secrets", "--all-namespaces"}, false},
			{[]string{"get", "sessions.claude.anthropic.com", "-n", outside}, false},
			{[]string{"list", "sessions.claude.anthropic.com", "--all-namespaces"}, false},
			{[]string{"list", "agents.claude.anthropic.com", "-n", outside}, false},
			{[]string{"patch", "sessions.claude.anthropic.com", "--subresource=status", "-n", outside}, false},
			{[]string{"create", "events", "-n", outside}, false},
			{[]string{"get", "secrets", "-n", watched}, true},
			{[]string{"list", "sessions.claude.anthropic.com", "-n", watched}, true},
			{[]string{"patch", "sessions.claude.anthropic.com", "--subresource=status", "-n", watched}, true},
			{[]string{"get", "secrets/claude-api-key", "-n", ns}, true}, // the default key
			// A sandbox Pod's work item credentials go in a per-item Secret the operator creates in the
			// watched namespace (owned by the Pod); never outside it, and never an update of a user's Secret.
			{[]string{"create", "secrets", "-n", watched}, true},
			{[]string{"create", "secrets", "-n", outside}, false},
			{[]string{"update", "secrets", "-n", watched}, false},
			{[]string{"create", "pods", "-n", outside}, false},
		} {
			if got := suite.CanI(t, sa, c.args...); got != c.want {
				t.Errorf("can-i %v = %v, want %v", c.args, got, c.want)
			}
		}
	})

	kubeconfig := suite.ImpersonatingKubeconfig(t, sa)
	t.Run("actual reads outside are forbidden, inside they work", func(t *testing.T) {
		for _, args := range [][]string{
			{"get", "secret", "team-key", "-n", outside, "-o", "yaml"},
			{"get", "secrets", "-n", outside},
			{"get", "sessions", "-n", outside},
			{"get", "agents,environments", "-n", outside},
			{"get", "sessions", "--all-namespaces"},
			{"get", "secrets", "--all-namespaces"},
		} {
			out, err := suite.KubectlAs(kubeconfig, args...)
			if err == nil || !strings.Contains(err.Error(), "Forbidden") && !strings.Contains(err.Error(), "forbidden") {
				t.Errorf("kubectl %v as the ServiceAccount: want Forbidden, got %v\n%s", args, err, out)
			}
			if strings.Contains(out, otherKey) || err != nil && strings.Contains(err.Error(), otherKey) {
				t.Errorf("kubectl %v as the ServiceAccount printed the other team's key", args)
			}
		}
		for _, args := range [][]string{
			{"get", "sessions", "-n", watched},
			{"get", "secret", "claude-api-key", "-n", ns},
		} {
			if _, err := suite.KubectlAs(kubeconfig, args...); err != nil {
				t.Errorf("kubectl %v as the ServiceAccount: %v", args, err)
			}
		}
	})

	t.Run("the manager with the chart's identity and flags works inside and leaves the outside alone", func(t *testing.T) {
		mgr := suite.StartManager(t, kubeconfig, harness.LocalManagerArgs(suite.Deployment(t, ns, fullname))...)
		suite.WaitCondition(t, watched, "session/inside", "TurnComplete", 2*time.Minute)
		time.Sleep(3 * time.Second) // give a confused manager time to touch the outside
		for _, r := range []string{"session/outside", "agent/coder", "environment/python-dev"} {
			out := suite.Kubectl(t, "get", "-n", outside, r, "-o", "jsonpath={.metadata.finalizers}|{.status}")
			// An untouched object has no finalizer and only the status that admission defaults: not yet
			// observed (observedGeneration -1, what makes kstatus say InProgress).
			if out != `|{"observedGeneration":-1}` {
				t.Errorf("%s in the unwatched namespace was touched: finalizers|status = %s", r, out)
			}
		}
		if sessions := sim.Stats(t).Sessions; sessions != 1 {
			t.Errorf("the simulator holds %d sessions, want only the watched namespace's one", sessions)
		}
		logs := mgr.Proc.Logs()
		if strings.Contains(strings.ToLower(logs), "forbidden") {
			t.Errorf("the manager was denied something: it reached outside its namespaces:\n%s", testenv.Tail(logs, 40))
		}
		if strings.Contains(logs, otherKey) || strings.Contains(logs, apiKey) {
			t.Error("the manager's log contains an API key")
		}
	})
}
