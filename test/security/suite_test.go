// SPDX-License-Identifier: Apache-2.0

// Package security proves the operator's least-privilege and no-leak promises against a real API
// server, with the manager and the simulator as processes and kubectl and helm as the real tools:
// the chart's ServiceAccount cannot reach outside the watched namespaces, references never cross a
// namespace, no API key or GitHub token shows up in logs, status, Events or metrics, tokens are only
// ever passed by Secret reference, the chart's optional NetworkPolicy is sound, and the manager
// refuses a plain-http API URL unless told otherwise.
//
// The suite fails, and never skips, when a binary is missing: `make tools` builds them.
package security

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/test/harness"
)

// stepDelay paces the simulator's events within a turn; short, since no test here watches a turn run.
const stepDelay = 5 * time.Millisecond

// suite is the control plane and binaries every test of the package shares.
var suite harness.Suite

func TestMain(m *testing.M) {
	os.Exit(suite.Run(m, "security"))
}

// sessionManifest is a Session of the sample Agent "coder" in the sample Environment "python-dev".
func sessionManifest(name, prompt string) string {
	return fmt.Sprintf(`apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata:
  name: %s
spec:
  agentRef: {name: coder}
  environmentRef: {name: python-dev}
  prompt: %q
`, name, prompt)
}

// agentAndEnvironment are an Agent "coder" and an Environment "python-dev".
const agentAndEnvironment = `apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata:
  name: coder
spec:
  model: {id: claude-opus-4-8}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata:
  name: python-dev
`
