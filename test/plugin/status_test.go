// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// TestStatusAndGet proves that `status` shows phase, usage and cost (as text and JSON) and that
// `get` lists sessions with kubectl's columns plus tokens, in one or every namespace, or as YAML.
func TestStatusAndGet(t *testing.T) {
	name := startSession(t, "count the tokens")
	waitPhase(t, name, v1alpha1.SessionSucceeded)

	text := mustRun(t, "status", name)
	t.Logf("status printed:\n%s", text.stdout)
	assertContains(t, text.stdout, "Phase:        Succeeded", "Stop reason:  end_turn", "Usage:", "list cost", "Pending actions: none")

	var view plugin.StatusView
	if err := json.Unmarshal([]byte(mustRun(t, "status", name, "-o", "json").stdout), &view); err != nil {
		t.Fatal(err)
	}
	if view.Phase != v1alpha1.SessionSucceeded || !view.TurnComplete || view.Usage == nil || view.Usage.OutputTokens == 0 {
		t.Errorf("status -o json carries phase, turn and usage: %+v", view)
	}

	get := mustRun(t, "get")
	t.Logf("get printed:\n%s", get.stdout)
	header := strings.Fields(strings.SplitN(get.stdout, "\n", 2)[0])
	if want := "NAME AGENT PHASE STOP REASON COST TOKENS (IN/OUT) EVENTS AGE"; strings.Join(header, " ") != want {
		t.Errorf("get has kubectl's columns plus tokens: %v", header)
	}
	assertContains(t, get.stdout, name+" ")

	all := mustRun(t, "get", "-A")
	if !strings.HasPrefix(all.stdout, "NAMESPACE") || !strings.Contains(all.stdout, teamNS) {
		t.Errorf("get -A adds the namespace column:\n%s", all.stdout)
	}

	var list v1alpha1.SessionList
	if err := yaml.Unmarshal([]byte(mustRun(t, "get", name, "-o", "yaml").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if list.Kind != "SessionList" || len(list.Items) != 1 || list.Items[0].Name != name {
		t.Errorf("get -o yaml prints a SessionList: %+v", list)
	}
}

// TestErrorsSayWhatToDo proves that mistakes fail with a non-zero exit and a message that says
// what to do about them.
func TestErrorsSayWhatToDo(t *testing.T) {
	finished := startSession(t, "done soon")
	waitPhase(t, finished, v1alpha1.SessionSucceeded)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown session", []string{"status", "nope"}, "session nope not found in namespace team-a: list sessions with `kubectl claude get`"},
		{"logs of an unknown session", []string{"logs", "nope"}, "session nope not found in namespace team-a"},
		{"sending to an unknown session", []string{"send", "nope", "hi"}, "session nope not found in namespace team-a"},
		{"an unknown agent", []string{"run", "--agent", "ghost", "--env", envName, "--prompt", "hi"}, "agent ghost not found in namespace team-a: create it or pass --agent NAME"},
		{"an unknown environment", []string{"run", "--agent", agentName, "--env", "ghost", "--prompt", "hi"}, "environment ghost not found in namespace team-a: create it or pass --env NAME"},
		{"no pending action", []string{"deny", finished}, "session " + finished + " has no pending action (phase Succeeded)"},
		{"no pending custom tool call", []string{"tool-result", finished, "sevt_x", "--text", "t"}, "session " + finished + " has no pending action"},
		{"a tool result without text", []string{"tool-result", finished, "sevt_x"}, "pass the result with --text TEXT or -f FILE"},
		{"an unsupported output format", []string{"status", finished, "-o", "xml"}, `unsupported output format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := kubectlClaude(t, "", tc.args...)
			if r.code == 0 || !strings.Contains(r.stderr, "error: "+tc.want) {
				t.Errorf("want a failure saying %q:\n%s", tc.want, r)
			}
		})
	}
}
