// SPDX-License-Identifier: Apache-2.0

package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

// TestReferencesNeverCrossNamespaces proves that agentRef and environmentRef resolve in the
// Session's own namespace only: a Session in namespace B that names an Agent and an Environment
// that exist only in namespace A waits with ReferencesResolved=False and never launches. Once B gets
// its own objects of those names, the Session launches with B's agent, not A's.
func TestReferencesNeverCrossNamespaces(t *testing.T) {
	const opNS, nsA, nsB = "refs-system", "refs-a", "refs-b"
	suite.CreateNamespaces(t, opNS, nsA, nsB)
	apiKey := "sk-ant-refs-" + harness.RandomHex(16)
	sim := suite.StartSimulator(t, apiKey, stepDelay)
	suite.CreateSecret(t, opNS, "claude-api-key", "api-key", apiKey)
	suite.StartManager(t, suite.AdminKubeconfig, "--watch-namespaces="+nsA+","+nsB, "--api-key-secret="+opNS+"/claude-api-key",
		"--api-base-url="+sim.URL, "--allow-insecure-api-url")
	suite.Apply(t, nsA, agentAndEnvironment)
	suite.WaitCondition(t, nsA, "agent/coder", "Ready", time.Minute)
	suite.WaitCondition(t, nsA, "environment/python-dev", "Ready", time.Minute)

	suite.Apply(t, nsB, sessionManifest("borrower", "use the other team's agent"))
	testenv.WaitFor(t, time.Minute, "ReferencesResolved=False on the Session in "+nsB, func() (bool, string) {
		status, reason, message := condition(t, nsB, "session/borrower", "ReferencesResolved")
		return status == "False" && reason == "ReferenceNotReady" && strings.Contains(message, nsB+"/coder"), status + " " + reason + " " + message
	})
	// Longer than the 10 s the operator waits before looking at an unready reference again.
	time.Sleep(12 * time.Second)
	status, reason, message := condition(t, nsB, "session/borrower", "ReferencesResolved")
	if status != "False" || reason != "ReferenceNotReady" {
		t.Errorf("ReferencesResolved %s/%s %q after waiting, want False/ReferenceNotReady", status, reason, message)
	}
	t.Logf("RESULT cross-namespace: ReferencesResolved=%s reason %s: %s", status, reason, message)
	if id := suite.Kubectl(t, "get", "-n", nsB, "session/borrower", "-o", "jsonpath={.status.id}"); id != "" {
		t.Fatalf("the Session launched remote session %s with another namespace's Agent", id)
	}
	stats := sim.Stats(t)
	if creates := stats.Requests["POST /v1/sessions"]; stats.Sessions != 0 || creates != 0 {
		t.Fatalf("the simulator saw %d session creates and holds %d sessions; want none", creates, stats.Sessions)
	}

	// B's own objects of the same names: the Session now launches, with B's agent.
	suite.Apply(t, nsB, agentAndEnvironment)
	suite.WaitCondition(t, nsB, "session/borrower", "TurnComplete", 2*time.Minute)
	agentA := suite.Kubectl(t, "get", "-n", nsA, "agent/coder", "-o", "jsonpath={.status.id}")
	agentB := suite.Kubectl(t, "get", "-n", nsB, "agent/coder", "-o", "jsonpath={.status.id}")
	if got := suite.Kubectl(t, "get", "-n", nsB, "session/borrower", "-o", "jsonpath={.status.agentID}"); got != agentB || got == agentA {
		t.Errorf("the Session runs agent %s; want %s (its own namespace's), not %s", got, agentB, agentA)
	}
	id := suite.Kubectl(t, "get", "-n", nsB, "session/borrower", "-o", "jsonpath={.status.id}")
	code, body, err := harness.HTTPGet(sim.URL+"/v1/sessions/"+id, map[string]string{"x-api-key": apiKey, "anthropic-beta": "managed-agents-2026-04-01"})
	if err != nil || code != http.StatusOK || !strings.Contains(string(body), agentB) {
		t.Errorf("GET the remote session: %d %v; want it on agent %s:\n%.500s", code, err, agentB, body)
	}
}

// TestReferenceFieldsCarryNoNamespace proves by the installed CRDs' schemas that no field of any
// spec can name another namespace: references are names in the object's own namespace.
func TestReferenceFieldsCarryNoNamespace(t *testing.T) {
	for _, crd := range []string{"agents", "environments", "sessions"} {
		spec := crdSpecSchema(t, crd)
		walkSchema(spec, "spec", func(path string, s schema) {
			for name := range s.Properties {
				if strings.EqualFold(name, "namespace") || strings.HasSuffix(strings.ToLower(name), "namespace") {
					t.Errorf("%s: %s.%s lets a reference cross namespaces", crd, path, name)
				}
			}
		})
	}
	refs := crdSpecSchema(t, "sessions").Properties
	for ref, want := range map[string]string{"agentRef": "name,version", "environmentRef": "name", "apiKeySecretRef": "key,name"} {
		if got := strings.Join(refs[ref].propertyNames(), ","); got != want {
			t.Errorf("sessions spec.%s has fields %q, want %q", ref, got, want)
		}
	}
}

// schema is the part of an OpenAPI v3 schema the checks walk.
type schema struct {
	Type       string            `json:"type"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
}

func (s schema) propertyNames() []string {
	var names []string
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// crdSpecSchema reads spec's schema of an installed CRD of the group, as the API server serves it.
func crdSpecSchema(t *testing.T, plural string) schema {
	t.Helper()
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	out := suite.Kubectl(t, "get", "crd", plural+".claude.anthropic.com", "-o", "json")
	if err := json.Unmarshal([]byte(out), &crd); err != nil || len(crd.Spec.Versions) != 1 {
		t.Fatalf("reading the %s CRD: %v (%d versions)", plural, err, len(crd.Spec.Versions))
	}
	spec, ok := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	if !ok {
		t.Fatalf("the %s CRD has no spec schema", plural)
	}
	return spec
}

// walkSchema calls fn for s and every schema below it, with a dotted path.
func walkSchema(s schema, path string, fn func(string, schema)) {
	if kubernetesOwnTypes[path] {
		return
	}
	fn(path, s)
	for name, p := range s.Properties {
		walkSchema(p, path+"."+name, fn)
	}
	if s.Items != nil {
		walkSchema(*s.Items, path+"[]", fn)
	}
}

// kubernetesOwnTypes are the subtrees of a spec that embed Kubernetes' own Pod and PVC types: a
// self-hosted Environment's sandbox Pod template and workspace claim. The operator copies them into
// Pods and claims in the Environment's own namespace, where Kubernetes resolves their references
// (Secret volumes, image pull Secrets, data sources) under that namespace's RBAC and admission; the
// operator itself never reads what they name. The checks of this package are about the references
// the operator resolves, so they skip these subtrees.
var kubernetesOwnTypes = map[string]bool{
	"spec.selfHosted.sandboxTemplate":                    true,
	"spec.selfHosted.workspace.volumeClaimTemplate.spec": true,
}

// condition returns the status, reason and message of an object's condition.
func condition(t *testing.T, namespace, resource, condType string) (string, string, string) {
	t.Helper()
	out := suite.Kubectl(t, "get", "-n", namespace, resource, "-o",
		fmt.Sprintf(`jsonpath={range .status.conditions[?(@.type=="%s")]}{.status}{"\t"}{.reason}{"\t"}{.message}{end}`, condType))
	parts := strings.SplitN(out, "\t", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}
