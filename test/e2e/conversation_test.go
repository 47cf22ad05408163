// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

// sessionStatus is the part of a Session that the tests read through kubectl.
type sessionStatus struct {
	Status struct {
		ID               string `json:"id"`
		Phase            string `json:"phase"`
		StopReason       string `json:"stopReason"`
		MessagesSent     int    `json:"messagesSent"`
		LastAgentMessage string `json:"lastAgentMessage"`
		Conditions       []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"conditions"`
	} `json:"status"`
}

// condition returns the status and reason of a condition, or "" when it is not set.
func (s *sessionStatus) condition(name string) (string, string) {
	for _, c := range s.Status.Conditions {
		if c.Type == name {
			return c.Status, c.Reason
		}
	}
	return "", ""
}

// waitTurn waits until a Session's turn is complete.
func waitTurn(t *testing.T, namespace, session string) {
	t.Helper()
	suite.WaitCondition(t, namespace, "session/"+session, "TurnComplete", turnTimeout)
}

// waitGone waits until kubectl no longer finds the object, which needs the manager to finish its
// deletion policy and remove the finalizer.
func waitGone(t *testing.T, namespace, resource string) {
	t.Helper()
	if _, err := suite.KubectlErr("wait", "-n", namespace,
		"--for=delete", resource, "--timeout=60s"); err != nil {
		t.Fatal(err)
	}
}

// conversation is the state the steps of TestConversation share.
type conversation struct {
	ns          string
	apiKey      string
	githubToken string
	sim         *harness.Simulator
	mgr         *harness.Manager
}

// remoteID returns status.id of an Agent, Environment or Session.
func (c *conversation) remoteID(t *testing.T, resource string) string {
	t.Helper()
	id := suite.Kubectl(t, "get", "-n", c.ns, resource, "-o", "jsonpath={.status.id}")
	if id == "" {
		t.Fatalf("%s in %s has no status.id", resource, c.ns)
	}
	return id
}

// TestConversation drives the samples through kubectl like a user: apply, wait for the turn, read
// the columns and the conversation, send a follow-up, then delete everything and check the remote
// twins in the simulator. A Session with a private GitHub repository runs alongside; before the
// deletion the manager's log, every object and every Event are searched for the API key and the
// GitHub token.
func TestConversation(t *testing.T) {
	const operatorNS = "e2e-operator"
	c := &conversation{ns: "e2e-samples", apiKey: "sk-ant-e2e-" + harness.RandomHex(16), githubToken: "ghp_" + harness.RandomHex(18)}
	suite.CreateNamespaces(t, c.ns, operatorNS)
	c.sim = suite.StartSimulator(t, c.apiKey, stepDelay)
	suite.CreateSecret(t, operatorNS, "claude-api-key", "api-key", c.apiKey)
	c.mgr = suite.StartManager(t, suite.AdminKubeconfig,
		"--watch-namespaces="+c.ns,
		"--api-key-secret="+operatorNS+"/claude-api-key",
		"--api-base-url="+c.sim.URL,
		"--allow-insecure-api-url", // the simulator speaks plain http
		"--zap-log-level=debug",    // the noisiest level: a leak would show here first
	)
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"the samples reach TurnComplete", c.samples},
		{"kubectl get shows the printer columns", c.columns},
		{"kubectl describe shows the conversation as Events", c.describe},
		{"a patched follow-up message runs a second turn", c.followUp},
		{"a Session with a private repository reaches TurnComplete", c.privateRepo},
		{"the metrics endpoint serves the controllers' metrics", c.metrics},
		{"neither the API key nor the GitHub token appears in logs, objects or Events", c.noLeaks},
		{"deleting archives or deletes the remote twins per deletionPolicy", c.deletion},
		{"switching to deletionPolicy Retain before deleting leaves the remote twin alone", c.retain},
	} {
		if !t.Run(step.name, step.run) {
			return // the next steps build on this one
		}
	}
}

func (c *conversation) samples(t *testing.T) {
	suite.Kubectl(t, "apply", "-n", c.ns, "-f", filepath.Join(testenv.RepoRoot(), "config", "samples"))
	waitTurn(t, c.ns, "hello")
	var s sessionStatus
	suite.KubectlJSON(t, &s, "get", "-n", c.ns, "session", "hello")
	if status, reason := s.condition("TurnComplete"); status != "True" || reason != "EndTurn" {
		t.Errorf("TurnComplete %s/%s, want True/EndTurn", status, reason)
	}
	if s.Status.Phase != "Succeeded" || s.Status.StopReason != "end_turn" {
		t.Errorf("phase %q stop reason %q, want Succeeded end_turn", s.Status.Phase, s.Status.StopReason)
	}
}

func (c *conversation) columns(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(suite.Kubectl(t, "get", "-n", c.ns, "csession", "hello")), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row:\n%s", strings.Join(lines, "\n"))
	}
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "NAME AGENT PHASE STOP REASON TOKENS COST EVENTS AGE" {
		t.Errorf("columns: %v", got)
	}
	row := strings.Fields(lines[1])
	if len(row) != 8 || row[0] != "hello" || row[1] != "coder" || row[2] != "Succeeded" || row[3] != "end_turn" || row[4] == "0" || row[6] == "0" {
		t.Errorf("row: %v", row)
	}
	all := suite.Kubectl(t, "get", "claude", "-n", c.ns)
	for _, want := range []string{"agent.claude.anthropic.com/coder", "environment.claude.anthropic.com/python-dev", "session.claude.anthropic.com/hello"} {
		if !strings.Contains(all, want) {
			t.Errorf("kubectl get claude does not list %s:\n%s", want, all)
		}
	}
}

func (c *conversation) describe(t *testing.T) {
	out := suite.Kubectl(t, "describe", "-n", c.ns, "csession", "hello")
	events := out[strings.LastIndex(out, "Events:"):]
	for _, want := range []string{"UserMessage", "Introduce yourself", "AgentMessage", "echo: Introduce yourself", "TurnEnded"} {
		if !strings.Contains(events, want) {
			t.Errorf("describe's Events lack %q:\n%s", want, events)
		}
	}
}

func (c *conversation) followUp(t *testing.T) {
	const followUp = "Now list three files."
	suite.Kubectl(t, "patch", "-n", c.ns, "session", "hello", "--type=json",
		"-p", `[{"op":"add","path":"/spec/messages","value":["`+followUp+`"]}]`)
	testenv.WaitFor(t, turnTimeout, "the follow-up's answer", func() (bool, string) {
		var s sessionStatus
		suite.KubectlJSON(t, &s, "get", "-n", c.ns, "session", "hello")
		status, _ := s.condition("TurnComplete")
		return s.Status.MessagesSent == 1 && status == "True" && s.Status.LastAgentMessage == "echo: "+followUp,
			fmt.Sprintf("%+v", s.Status)
	})
	waitTurn(t, c.ns, "hello")
	answers := suite.Kubectl(t, "get", "events", "-n", c.ns, "--field-selector", "involvedObject.name=hello,reason=AgentMessage",
		"-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
	if !strings.Contains(answers, "echo: Introduce yourself") || !strings.Contains(answers, "echo: "+followUp) {
		t.Errorf("want an AgentMessage Event per turn, got:\n%s", answers)
	}
}

func (c *conversation) privateRepo(t *testing.T) {
	suite.CreateSecret(t, c.ns, "github-token", "token", c.githubToken)
	suite.Apply(t, c.ns, `apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata:
  name: private-repo
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  prompt: Summarize the README of the repository.
  deletionPolicy: Delete
  resources:
    - githubRepository:
        url: https://github.com/acme/private-app
        branch: main
        tokenSecretRef: {name: github-token}
`)
	waitTurn(t, c.ns, "private-repo")
	code, remote := c.sim.Get(t, "/v1/sessions/"+c.remoteID(t, "session/private-repo"))
	if resources, _ := remote["resources"].([]any); code != http.StatusOK || len(resources) != 1 ||
		!strings.Contains(fmt.Sprint(resources[0]), "https://github.com/acme/private-app") {
		t.Errorf("the remote session does not mount the repository: %d %v", code, remote["resources"])
	}
}

func (c *conversation) metrics(t *testing.T) {
	code, body, err := harness.HTTPGet(c.mgr.MetricsURL, nil)
	if err != nil || code != http.StatusOK || !strings.Contains(string(body), `controller_runtime_reconcile_total{controller="session"`) {
		t.Errorf("GET %s: %d %v\n%.2000s", c.mgr.MetricsURL, code, err, body)
	}
}

func (c *conversation) noLeaks(t *testing.T) {
	secrets := map[string]string{"API key": c.apiKey, "GitHub token": c.githubToken}
	logs := c.mgr.Proc.Logs()
	harness.AssertAbsent(t, "the manager's log", logs, secrets)
	harness.AssertAbsent(t, "the Agents, Environments and Sessions", suite.Kubectl(t, "get", "agents,environments,sessions", "-A", "-o", "yaml"), secrets)
	harness.AssertAbsent(t, "the core/v1 Events", suite.Kubectl(t, "get", "events", "-A", "-o", "yaml"), secrets)
	harness.AssertAbsent(t, "the events.k8s.io Events", suite.Kubectl(t, "get", "events.events.k8s.io", "-A", "-o", "yaml"), secrets)
	harness.AssertAbsent(t, "kubectl describe", suite.Kubectl(t, "describe", "-n", c.ns, "sessions,agents,environments"), secrets)
	if !strings.Contains(logs, "private-repo") {
		t.Error("the manager's log never mentions the private-repo Session: the scan proves nothing")
	}
}

func (c *conversation) deletion(t *testing.T) {
	sessionID := c.remoteID(t, "session/hello")
	privateID := c.remoteID(t, "session/private-repo")
	agentID := c.remoteID(t, "agent/coder")
	envID := c.remoteID(t, "environment/python-dev")

	suite.Kubectl(t, "delete", "-n", c.ns, "session", "hello", "private-repo", "--wait=false")
	waitGone(t, c.ns, "session/hello")
	waitGone(t, c.ns, "session/private-repo")
	suite.Kubectl(t, "delete", "-n", c.ns, "agent/coder", "environment/python-dev", "--wait=false")
	waitGone(t, c.ns, "agent/coder")
	waitGone(t, c.ns, "environment/python-dev")

	// The samples say deletionPolicy: Archive; private-repo says Delete.
	for _, path := range []string{"/v1/sessions/" + sessionID, "/v1/agents/" + agentID, "/v1/environments/" + envID} {
		code, body := c.sim.Get(t, path)
		if code != http.StatusOK || body["archived_at"] == nil {
			t.Errorf("GET %s: %d, archived_at %v; want it archived", path, code, body["archived_at"])
		}
	}
	if code, _ := c.sim.Get(t, "/v1/sessions/"+privateID); code != http.StatusNotFound {
		t.Errorf("GET the deleted session: %d, want 404", code)
	}
	stats := c.sim.Stats(t).Requests
	for _, endpoint := range []string{"POST /v1/sessions/{id}/archive", "DELETE /v1/sessions/{id}", "POST /v1/agents/{id}/archive", "POST /v1/environments/{id}/archive"} {
		if stats[endpoint] < 1 {
			t.Errorf("the simulator never saw %s: %v", endpoint, stats)
		}
	}
	if stats["POST /v1/sessions"] != 2 {
		t.Errorf("POST /v1/sessions = %d, want one per Session: %v", stats["POST /v1/sessions"], stats)
	}
}

// retain follows docs/operations.md's "remove the Kubernetes objects but keep the remote ones".
func (c *conversation) retain(t *testing.T) {
	suite.Apply(t, c.ns, "apiVersion: claude.anthropic.com/v1alpha1\nkind: Environment\nmetadata:\n  name: kept\nspec:\n  deletionPolicy: Archive\n")
	if _, err := suite.KubectlErr("wait", "-n", c.ns, "--for=condition=Ready",
		"environment/kept", "--timeout=60s"); err != nil {
		t.Fatal(err)
	}
	envID := c.remoteID(t, "environment/kept")
	suite.Kubectl(t, "patch", "-n", c.ns, "environment", "kept", "--type=merge", "-p", `{"spec":{"deletionPolicy":"Retain"}}`)
	suite.Kubectl(t, "delete", "-n", c.ns, "environment", "kept", "--wait=false")
	waitGone(t, c.ns, "environment/kept")
	code, body := c.sim.Get(t, "/v1/environments/"+envID)
	if code != http.StatusOK || body["archived_at"] != nil {
		t.Errorf("GET the retained environment: %d, archived_at %v; want it untouched", code, body["archived_at"])
	}
}
