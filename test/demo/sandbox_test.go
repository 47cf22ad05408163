// SPDX-License-Identifier: Apache-2.0

package demo_test

import (
	"strings"
	"testing"
	"time"
)

// fakeKubectl answers the demo's reads of session/hello-sandbox (its sandbox Pod and node, and its
// agent messages) from FAKE_* variables, as the real kubectl answers them from the Session's
// status; anything else fails.
const fakeKubectl = `cat >"$BIN/fake-kubectl" <<'FAKE'
#!/usr/bin/env bash
case "$*" in
*"get session hello-sandbox"*"{.status.sandbox.podName}"*) printf '%s' "$FAKE_POD" ;;
*"get session hello-sandbox"*"{.status.sandbox.nodeName}"*) printf '%s' "$FAKE_NODE" ;;
*"get session hello-sandbox"*'go-template={{range .status.recentEvents}}{{if eq .reason "AgentMessage"}}{{.summary}}'*) printf '%s\n' "$FAKE_ANSWER" ;;
*) echo "fake kubectl: unexpected $*" >&2; exit 1 ;;
esac
FAKE
chmod +x "$BIN/fake-kubectl"
KUBECTL="$BIN/fake-kubectl"
`

// TestSelfHostedSampleOutput runs print_sandbox_result, the last step of the demo's self-hosted
// sample, against a fake kubectl: it names the sandbox Pod and node and prints the agent's answer
// (which quotes the command's output) line by line, and it fails loudly when the Session ran no
// sandbox, instead of printing an empty answer.
func TestSelfHostedSampleOutput(t *testing.T) {
	cases := []struct {
		name         string
		why          string
		env          string
		want, reject []string
	}{
		{
			name: "the command's output",
			why:  "the demo's point is the command's output from the sandbox, indented under the Pod that ran it",
			env: `FAKE_POD=sandbox-sandbox-1a2b3c FAKE_NODE=demo-node FAKE_ANSWER='I ran ` + "`uname -sr`" + `; it printed:
hello from sandbox-sandbox-1a2b3c
Linux 6.8.0'`,
			want: []string{"The command ran in sandbox Pod sandbox-sandbox-1a2b3c on node demo-node; the agent answered:",
				"\n    I ran `uname -sr`; it printed:\n    hello from sandbox-sandbox-1a2b3c\n    Linux 6.8.0\n", "printed the answer"},
		},
		{
			name:   "no sandbox",
			why:    "a Session that finished without a sandbox Pod means the self-hosted path is broken; the demo must say so and stop",
			env:    `FAKE_POD= FAKE_NODE= FAKE_ANSWER='Done.'`,
			want:   []string{"session hello-sandbox finished without a sandbox Pod (status.sandbox is empty)"},
			reject: []string{"the agent answered", "printed the answer"},
		},
	}
	script := demoScript(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scenario := fakeKubectl + "export " + tc.env + "\n( print_sandbox_result ) && echo 'printed the answer'\n"
			out, _ := runScenario(t, script, scenario, 10*time.Second)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: want %q in:\n%s", tc.why, w, out)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(out, r) {
					t.Errorf("%s: did not want %q in:\n%s", tc.why, r, out)
				}
			}
		})
	}
}
