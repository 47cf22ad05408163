// SPDX-License-Identifier: Apache-2.0

package security

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

// TestNoSecretInLogsStatusEventsOrMetrics runs conversations that use an API key, a private GitHub
// repository's token and a wrong key (so that error paths run too), with the manager at debug
// verbosity, then searches the manager's log, every object, every Event (both APIs), kubectl
// describe and the /metrics output for any of the three values.
func TestNoSecretInLogsStatusEventsOrMetrics(t *testing.T) {
	const opNS, ns = "leaks-system", "leaks"
	suite.CreateNamespaces(t, opNS, ns)
	secrets := map[string]string{
		"API key":      "sk-ant-leak-" + harness.RandomHex(16),
		"GitHub token": "ghp_" + harness.RandomHex(18),
		"wrong key":    "sk-ant-wrong-" + harness.RandomHex(16),
	}
	sim := suite.StartSimulator(t, secrets["API key"], stepDelay)
	suite.CreateSecret(t, opNS, "claude-api-key", "api-key", secrets["API key"])
	mgr := suite.StartManager(t, suite.AdminKubeconfig, "--watch-namespaces="+ns, "--api-key-secret="+opNS+"/claude-api-key",
		"--api-base-url="+sim.URL, "--allow-insecure-api-url", "--zap-log-level=debug")
	suite.CreateSecret(t, ns, "github-token", "token", secrets["GitHub token"])
	suite.CreateSecret(t, ns, "wrong-key", "api-key", secrets["wrong key"])
	suite.Apply(t, ns, agentAndEnvironment)
	suite.Apply(t, ns, sessionManifest("private-repo", "Summarize the README.")+`  messages: ["Now list the files."]
  resources:
    - githubRepository:
        url: https://github.com/acme/private-app
        branch: main
        tokenSecretRef: {name: github-token}
`)
	suite.Apply(t, ns, sessionManifest("wrong-key", "this key is refused")+"  apiKeySecretRef: {name: wrong-key}\n")
	suite.Apply(t, ns, `apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata:
  name: wrong-key
spec:
  model: {id: claude-opus-4-8}
  apiKeySecretRef: {name: wrong-key}
`)
	testenv.WaitFor(t, 2*time.Minute, "both turns of private-repo", func() (bool, string) {
		out := suite.Kubectl(t, "get", "-n", ns, "session/private-repo", "-o", "jsonpath={.status.phase} {.status.messagesSent}")
		return out == "Succeeded 1", out
	})
	// An Agent shows the refusal in Ready; a Session in Synced (the last call to the API).
	for r, condType := range map[string]string{"session/wrong-key": "Synced", "agent/wrong-key": "Ready"} {
		testenv.WaitFor(t, time.Minute, r+" to be refused", func() (bool, string) {
			status, reason, message := condition(t, ns, r, condType)
			return status == "False" && reason == "Unauthorized", status + " " + reason + " " + message
		})
	}

	code, metrics, err := harness.HTTPGet(mgr.MetricsURL, nil)
	if err != nil || code != http.StatusOK || !strings.Contains(string(metrics), "claude_") {
		t.Fatalf("GET %s: %d %v", mgr.MetricsURL, code, err)
	}
	logs := mgr.Proc.Logs()
	sources := map[string]string{
		"the manager's log":                     logs,
		"the /metrics output":                   string(metrics),
		"the Agents, Environments and Sessions": suite.Kubectl(t, "get", "agents,environments,sessions", "-A", "-o", "yaml"),
		"the core/v1 Events":                    suite.Kubectl(t, "get", "events", "-A", "-o", "yaml"),
		"the events.k8s.io Events":              suite.Kubectl(t, "get", "events.events.k8s.io", "-A", "-o", "yaml"),
		"kubectl describe":                      suite.Kubectl(t, "describe", "-n", ns, "sessions,agents,environments"),
	}
	total := 0
	for where, text := range sources {
		total += len(text)
		harness.AssertAbsent(t, where, text, secrets)
		// A key-shaped string that is none of ours would be a leak of something else.
		for _, m := range regexp.MustCompile(`sk-ant-[A-Za-z0-9_-]{8,}|ghp_[A-Za-z0-9]{20,}`).FindAllString(text, -1) {
			t.Errorf("%s contains a credential-shaped string %.12s…", where, m)
		}
	}
	// The scan proves something only if the sources talk about what used the secrets.
	for _, want := range []string{"private-repo", "wrong-key", "Unauthorized", "authentication_error"} {
		if !strings.Contains(logs+sources["the core/v1 Events"]+sources["the Agents, Environments and Sessions"], want) {
			t.Errorf("no source mentions %q: the scan proves nothing", want)
		}
	}
	t.Logf("RESULT leaks: scanned %d sources (%d bytes: log, metrics, objects, Events, describe) for %d secret values: none found",
		len(sources), total, len(secrets))
}
