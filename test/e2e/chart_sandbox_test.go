// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/anthropics/managed-agents-operator/internal/sandbox"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestChartSandboxFlags renders the chart with the sandbox values and checks the manager's
// sandbox flags: the runner comes out of the operator's own image, whose tag is set in one place.
func TestChartSandboxFlags(t *testing.T) {
	cases := []struct {
		name string
		why  string
		args []string
		// want are the manager's sandbox flags.
		want map[string]string
	}{
		{name: "defaults", why: "the runner is the operator's image at the chart's appVersion, pulled as the operator is",
			want: map[string]string{"sandbox-runner-image": "ghcr.io/anthropics/managed-agents-operator:" + chartAppVersion(t),
				"sandbox-runner-image-pull-policy": "IfNotPresent", "sandbox-start-timeout": "5m"}},
		{name: "operator tag and pull policy", why: "image.tag and image.pullPolicy move the runner with the operator, so the two never drift",
			args: []string{"--set", "image.repository=registry.example.com/mao", "--set", "image.tag=v9", "--set", "image.pullPolicy=Always",
				"--set", "sandbox.startTimeout=2m30s"},
			want: map[string]string{"sandbox-runner-image": "registry.example.com/mao:v9", "sandbox-runner-image-pull-policy": "Always",
				"sandbox-start-timeout": "2m30s"}},
		{name: "operator digest", why: "a pinned operator image pins the runner to the same digest",
			args: []string{"--set", "image.tag=v9", "--set", "image.digest=" + digest},
			want: map[string]string{"sandbox-runner-image": "ghcr.io/anthropics/managed-agents-operator@" + digest}},
		{name: "mirror", why: "a mirror of the runner image keeps the operator's tag unless it sets its own, and its own pull policy",
			args: []string{"--set", "image.tag=v9", "--set", "image.digest=" + digest, "--set", "sandbox.runnerImage.repository=mirror.example.com/mao",
				"--set", "sandbox.runnerImage.pullPolicy=Never"},
			want: map[string]string{"sandbox-runner-image": "mirror.example.com/mao:v9", "sandbox-runner-image-pull-policy": "Never"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dep appsv1.Deployment
			objs := helmTemplate(t, tc.args...)
			one(t, objs, "Deployment", &dep)
			args := dep.Spec.Template.Spec.Containers[0].Args
			for flag, want := range tc.want {
				if got, _ := argValue(args, flag); got != want {
					t.Errorf("%s: --%s=%q, want %q", tc.why, flag, got, want)
				}
			}
			if n := len(find(objs, "NetworkPolicy")); n != 0 {
				t.Errorf("the sandbox NetworkPolicy is opt-in; %d rendered", n)
			}
		})
	}
}

// TestChartSandboxNetworkPolicy checks the optional NetworkPolicy of sandbox Pods: one per namespace
// that runs them, selecting exactly the Pods the dispatcher labels, no ingress, and egress only to
// DNS, the Managed Agents API and what the values list; the API server accepts it.
func TestChartSandboxNetworkPolicy(t *testing.T) {
	on := []string{"--set", "sandbox.networkPolicy.enabled=true"}
	cases := []struct {
		name       string
		why        string
		args       []string
		namespaces []string
		// egress is each rule as "ports -> peers", in order.
		egress []string
	}{
		{name: "watched namespaces", why: "by default the policy goes where the operator watches",
			args: []string{"--set", "watchNamespaces={team-a,team-b}"}, namespaces: []string{"team-a", "team-b"},
			egress: []string{"UDP/53,TCP/53 -> any", "TCP/443 -> any"}},
		{name: "listed namespaces and egress", why: "a cluster-wide operator names the sandbox namespaces; listed CIDRs and ports open, a CIDR without ports opens every port",
			args: []string{"--set", "sandbox.networkPolicy.namespaces={agents,agents}", "--set", "baseURL=https://proxy.example.com:8443",
				"--set", "sandbox.networkPolicy.managedAgentsAPI.cidrs={10.9.0.1/32}",
				"--set", "sandbox.networkPolicy.allowedEgress[0].cidrs={10.20.0.0/16}", "--set", "sandbox.networkPolicy.allowedEgress[0].ports={443,22}",
				"--set", "sandbox.networkPolicy.allowedEgress[1].cidrs={192.168.1.5/32}"},
			namespaces: []string{"agents"},
			egress:     []string{"UDP/53,TCP/53 -> any", "TCP/8443 -> 10.9.0.1/32", "TCP/443,TCP/22 -> 10.20.0.0/16", " -> 192.168.1.5/32"}},
		{name: "simulator over http", why: "the API rule follows baseURL's port",
			args:       []string{"--set", "watchNamespaces={team-a}", "--set", "baseURL=http://simulator.sim.svc:8765", "--set", "allowInsecureAPIURL=true"},
			namespaces: []string{"team-a"}, egress: []string{"UDP/53,TCP/53 -> any", "TCP/8765 -> any"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var namespaces []string
			for _, o := range find(helmTemplate(t, append(on, tc.args...)...), "NetworkPolicy") {
				var np networkingv1.NetworkPolicy
				if err := json.Unmarshal(o.raw, &np); err != nil {
					t.Fatal(err)
				}
				namespaces = append(namespaces, np.Namespace)
				checkSandboxPolicy(t, &np, tc.why, tc.egress)
			}
			if !slices.Equal(namespaces, tc.namespaces) {
				t.Errorf("%s: NetworkPolicies in %v, want %v", tc.why, namespaces, tc.namespaces)
			}
			out, err := suite.HelmErr(append([]string{"lint", "--strict", suite.ChartDir}, append(on, tc.args...)...)...)
			if err != nil || !strings.Contains(out, "0 chart(s) failed") || strings.Contains(out, "[WARNING]") {
				t.Errorf("helm lint --strict is not clean: %v\n%s", err, out)
			}
		})
	}
	for _, bad := range []struct{ args []string }{
		{[]string{"--set", "sandbox.networkPolicy.allowedEgress[0].ports={22}"}},
		{[]string{"--set", "sandbox.networkPolicy.allowedEgress[0].cidrs={nowhere}"}},
		{[]string{"--set", "sandbox.networkPolicy.namespaces={Agents}"}},
		{[]string{"--set", "sandbox.startTimeout=soon"}},
		{[]string{"--set", "sandbox.runnerImage.pullPolicy=Sometimes"}},
	} {
		if out, err := suite.HelmErr(append([]string{"template", "rel", suite.ChartDir, "--set", "watchNamespaces={a}"}, append(on, bad.args...)...)...); err == nil {
			t.Errorf("helm accepted bad sandbox values %v:\n%s", bad.args, out)
		}
	}
	_, err := suite.HelmErr(append([]string{"template", "rel", suite.ChartDir}, on...)...)
	if err == nil || !strings.Contains(err.Error(), "set sandbox.networkPolicy.namespaces (or watchNamespaces)") {
		t.Errorf("a cluster-wide operator's sandbox policy without namespaces must say what to set: %v", err)
	}
}

// checkSandboxPolicy wants the dispatcher's labels selected, no ingress at all, the egress rules
// given, and the API server to accept the policy.
func checkSandboxPolicy(t *testing.T, np *networkingv1.NetworkPolicy, why string, egress []string) {
	t.Helper()
	want := map[string]string{sandbox.LabelComponent: sandbox.ComponentSandbox, sandbox.LabelManagedBy: sandbox.ManagedBy}
	if !reflect.DeepEqual(np.Spec.PodSelector.MatchLabels, want) {
		t.Errorf("podSelector %v, want the sandbox Pods' labels %v", np.Spec.PodSelector.MatchLabels, want)
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) || len(np.Spec.Ingress) != 0 {
		t.Errorf("want Ingress and Egress denied but for the rules, and no ingress rule: %v, %d ingress rules", np.Spec.PolicyTypes, len(np.Spec.Ingress))
	}
	var got []string
	for _, r := range np.Spec.Egress {
		got = append(got, egressRule(r))
	}
	if !slices.Equal(got, egress) {
		t.Errorf("%s: egress\n got %q\nwant %q", why, got, egress)
	}
	server := np.DeepCopy()
	server.Namespace = "default"
	raw, _ := json.Marshal(server)
	if out, err := suite.KubectlInput(string(raw), "create", "--dry-run=server", "--validate=strict", "-n", "default", "-f", "-"); err != nil {
		t.Errorf("the API server refuses the sandbox NetworkPolicy: %v\n%s", err, out)
	}
}

// egressRule renders a rule as "PROTO/PORT,... -> CIDR,..." ("any" without peers).
func egressRule(r networkingv1.NetworkPolicyEgressRule) string {
	var ports, peers []string
	for _, p := range r.Ports {
		ports = append(ports, string(*p.Protocol)+"/"+p.Port.String())
	}
	for _, p := range r.To {
		if p.IPBlock != nil {
			peers = append(peers, p.IPBlock.CIDR)
		}
	}
	if len(peers) == 0 {
		peers = []string{"any"}
	}
	return strings.Join(ports, ",") + " -> " + strings.Join(peers, ",")
}

// chartAppVersion is Chart.yaml's appVersion.
func chartAppVersion(t *testing.T) string {
	t.Helper()
	var dep appsv1.Deployment
	one(t, helmTemplate(t), "Deployment", &dep)
	image := dep.Spec.Template.Spec.Containers[0].Image
	return image[strings.LastIndex(image, ":")+1:]
}
