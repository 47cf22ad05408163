// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// releaseNS is the namespace `helm template` renders into.
const releaseNS = "ops"

// object is one manifest rendered by helm, with its JSON for typed decoding.
type object struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	raw []byte
}

// helmTemplate renders the chart as release "rel" in releaseNS with extra helm flags.
func helmTemplate(t *testing.T, args ...string) []object {
	t.Helper()
	out := suite.Helm(t, append([]string{"template", "rel", suite.ChartDir, "--namespace", releaseNS}, args...)...)
	return decodeManifests(t, out)
}

// decodeManifests splits a multi-document YAML stream into objects.
func decodeManifests(t *testing.T, stream string) []object {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var objs []object
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil {
			t.Fatalf("decoding helm output: %v\n%s", err, stream)
		}
		if doc == nil {
			continue
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		o.raw = raw
		objs = append(objs, o)
	}
}

// find returns the objects of a kind.
func find(objs []object, kind string) []object {
	var out []object
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// one decodes the only object of a kind into into (when not nil), failing when there is not
// exactly one.
func one(t *testing.T, objs []object, kind string, into any) {
	t.Helper()
	found := find(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, got %d", kind, len(found))
	}
	if into != nil {
		if err := json.Unmarshal(found[0].raw, into); err != nil {
			t.Fatal(err)
		}
	}
}

// markerRules reads config/rbac/role.yaml (controller-gen's output from the kubebuilder markers)
// and splits it the way the chart binds it: the manager's rules (everything but leases), the
// leader-election rules (leases and events) and the Secret-reading rules.
func markerRules(t *testing.T) (manager, leaderElection, secretReader []rbacv1.PolicyRule) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatal(err)
	}
	for _, r := range role.Rules {
		switch {
		case slices.Contains(r.Resources, "leases"):
			leaderElection = append(leaderElection, r)
			continue
		case slices.Contains(r.Resources, "events"):
			leaderElection = append(leaderElection, r)
		case slices.Contains(r.Resources, "secrets"):
			// The release namespace only reads the API key Secret there.
			secretReader = append(secretReader, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"},
				Verbs: []string{"get", "list", "watch"}})
		}
		manager = append(manager, r)
	}
	if len(manager) == 0 || len(leaderElection) != 2 || len(secretReader) != 1 {
		t.Fatalf("unexpected role.yaml: %d manager rules, %d leader-election rules, %d secret rules", len(manager), len(leaderElection), len(secretReader))
	}
	return manager, leaderElection, secretReader
}

// sortedRules orders rules so that two lists with the same rules compare equal.
func sortedRules(rules []rbacv1.PolicyRule) []string {
	out := make([]string, 0, len(rules))
	for _, r := range rules {
		out = append(out, fmt.Sprintf("%v|%v|%v|%v", r.APIGroups, r.Resources, r.ResourceNames, r.Verbs))
	}
	slices.Sort(out)
	return out
}

// assertRules fails unless got holds exactly the rules of want.
func assertRules(t *testing.T, what string, got, want []rbacv1.PolicyRule) {
	t.Helper()
	if g, w := sortedRules(got), sortedRules(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s rules differ from the markers' rules:\n got: %v\nwant: %v", what, g, w)
	}
}

// assertNoWildcards fails when any rule grants "*".
func assertNoWildcards(t *testing.T, what string, rules []rbacv1.PolicyRule) {
	t.Helper()
	for _, r := range rules {
		for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames} {
			if slices.Contains(list, "*") {
				t.Errorf("%s grants a wildcard: %+v", what, r)
			}
		}
	}
}

// checkDeployment asserts the hardening every install must have, whatever the values.
func checkDeployment(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	pod := dep.Spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext must run as non-root with seccomp RuntimeDefault: %+v", sc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	checkContainerSecurity(t, pod.Containers[0].SecurityContext)
	checkResources(t, pod.Containers[0].Resources)
	checkProbes(t, pod.Containers[0])
}

// checkContainerSecurity wants a read-only root filesystem, no privilege escalation, non-root,
// every capability dropped and the RuntimeDefault seccomp profile.
func checkContainerSecurity(t *testing.T, sc *corev1.SecurityContext) {
	t.Helper()
	switch {
	case sc == nil:
		t.Error("container has no securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("container root filesystem must be read-only")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("container must not allow privilege escalation")
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Error("container must run as non-root")
	case sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("container must drop ALL capabilities and add none: %+v", sc.Capabilities)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("container seccomp profile must be RuntimeDefault")
	}
}

// checkResources wants CPU and memory requests and limits.
func checkResources(t *testing.T, r corev1.ResourceRequirements) {
	t.Helper()
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[res]; !ok {
			t.Errorf("no %s request", res)
		}
		if _, ok := r.Limits[res]; !ok {
			t.Errorf("no %s limit", res)
		}
	}
}

// checkProbes wants liveness on /healthz and readiness on /readyz, both on the port the manager's
// --health-probe-bind-address binds.
func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	probePort := ""
	for _, p := range c.Ports {
		if p.Name == "health" {
			probePort = fmt.Sprint(p.ContainerPort)
		}
	}
	if !slices.Contains(c.Args, "--health-probe-bind-address=:"+probePort) {
		t.Errorf("the health port %q is not the one the manager binds: %v", probePort, c.Args)
	}
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Port.String() != "health" || p.probe.HTTPGet.Path != p.path {
			t.Errorf("want a probe that GETs %s on the health port, got %+v", p.path, p.probe)
		}
	}
}

// argValue returns the value of --name=value in args, and whether it is there.
func argValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name {
			return "", true
		}
	}
	return "", false
}

// TestChartLint proves that helm lint --strict accepts the chart with the value sets the issue
// names, and that values.schema.json and the templates make helm refuse values that would break
// the install. Rejections are checked with helm template, which is what install runs: helm lint
// deliberately ignores the templates' own fail calls.
func TestChartLint(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string // empty: must lint clean and render
	}{
		{name: "defaults"},
		{name: "watched namespaces", args: []string{"--set", "watchNamespaces={team-a,team-b}"}},
		{name: "existing Secret", args: []string{"--set", "apiKey.existingSecret=claude-api-key"}},
		{name: "key from a value", args: []string{"--set", "apiKey.value=sk-test"}},
		{name: "two replicas", args: []string{"--set", "replicaCount=2"}},
		{name: "ServiceMonitor", args: []string{"--set", "serviceMonitor.enabled=true"}},
		{name: "fractional QPS from --set", args: []string{"--set", "kubeAPI.qps=7.5"}},
		{name: "a faster status interval and a higher API rate", args: []string{"--set", "statusInterval=500ms", "--set", "anthropicAPI.qps=50"}},
		{name: "status only, with a status interval that backs off further", args: []string{"--set", "sessionEventPolicy=none", "--set", "statusIntervalMax=30s"}},
		{name: "an Event policy the manager does not know", args: []string{"--set", "sessionEventPolicy=some"}, wantErr: "sessionEventPolicy"},
		{name: "longer outcome and delete waits", args: []string{"--set", "sessionOutcomeGrace=10m", "--set", "sessionDeleteTimeout=90s"}},
		{name: "an outcome grace that is not a duration", args: []string{"--set", "sessionOutcomeGrace=long"}, wantErr: "sessionOutcomeGrace"},
		{name: "a replica count that is not a number", args: []string{"--set", "replicaCount=two"}, wantErr: "replicaCount"},
		{name: "an unknown log format", args: []string{"--set", "logging.format=xml"}, wantErr: "format"},
		{name: "a resync period that is not a duration", args: []string{"--set", "resyncPeriod=soon"}, wantErr: "resyncPeriod"},
		{name: "a status interval that is not a duration", args: []string{"--set", "statusInterval=fast"}, wantErr: "statusInterval"},
		{name: "a namespace name Kubernetes rejects", args: []string{"--set", "watchNamespaces={Team_A}"}, wantErr: "watchNamespaces"},
		{name: "a misspelt value that would be ignored", args: []string{"--set", "watchNamespace={team-a}"}, wantErr: "watchNamespace"},
		{name: "both an existing Secret and a value", args: []string{"--set", "apiKey.existingSecret=a", "--set", "apiKey.value=b"}, wantErr: "not both"},
		{name: "a ServiceMonitor without metrics", args: []string{"--set", "serviceMonitor.enabled=true", "--set", "metrics.enabled=false"}, wantErr: "needs metrics.enabled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr == "" {
				out, err := suite.HelmErr(append([]string{"lint", "--strict", suite.ChartDir}, tc.args...)...)
				if err != nil || !strings.Contains(out, "0 chart(s) failed") || strings.Contains(out, "[WARNING]") {
					t.Fatalf("helm lint --strict is not clean: %v\n%s", err, out)
				}
				return
			}
			out, err := suite.HelmErr(append([]string{"template", "rel", suite.ChartDir}, tc.args...)...)
			switch {
			case err == nil:
				t.Fatalf("helm accepted values that must be rejected (%s):\n%s", tc.wantErr, out)
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("helm failed without naming %q:\n%v", tc.wantErr, err)
			}
		})
	}
}

// TestChartCRDsMatchGenerated proves that the chart ships the CRDs that controller-gen generated,
// byte for byte (make manifests copies them).
func TestChartCRDsMatchGenerated(t *testing.T) {
	bases := filepath.Join(testenv.RepoRoot(), "config", "crd", "bases")
	files, err := filepath.Glob(filepath.Join(bases, "*.yaml"))
	// One CRD per kind; the exact list is controller-gen's, so only an empty glob is suspect here.
	if err != nil || len(files) == 0 {
		t.Fatalf("want the generated CRDs in %s, got %v (%v)", bases, files, err)
	}
	shipped, err := filepath.Glob(filepath.Join(suite.ChartDir, "crds", "*"))
	if err != nil || len(shipped) != len(files) {
		t.Fatalf("the chart ships %v, want copies of %v: run make manifests", shipped, files)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(suite.ChartDir, "crds", filepath.Base(f)))
		if err != nil || string(got) != string(want) {
			t.Errorf("chart crds/%s differs from %s (err %v): run make manifests", filepath.Base(f), f, err)
		}
	}
}
