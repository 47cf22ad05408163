// SPDX-License-Identifier: Apache-2.0

package security

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/anthropics/managed-agents-operator/test/harness"
)

// rendered is one object of a helm template run.
type rendered struct {
	Kind string `json:"kind"`
	raw  []byte
}

// helmTemplate renders the chart as release "sec" in namespace "ops"; it returns helm's error instead
// of failing, for the cases that must be refused.
func helmTemplate(args ...string) ([]rendered, error) {
	out, err := harness.RunCmd("", suite.HelmBin, append([]string{"template", "sec", suite.ChartDir, "--namespace", "ops"}, args...)...)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []rendered
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if doc == nil {
			continue
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		objs = append(objs, rendered{Kind: doc["kind"].(string), raw: raw})
	}
}

// mustRender renders the chart and decodes the only object of kind into into; it returns how many
// objects of that kind there were.
func mustRender(t *testing.T, kind string, into any, args ...string) int {
	t.Helper()
	objs, err := helmTemplate(args...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range objs {
		if o.Kind == kind {
			n++
			if into != nil {
				if err := json.Unmarshal(o.raw, into); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return n
}

// TestChartNetworkPolicy checks the chart's optional NetworkPolicy: off by default; when on, it
// selects exactly the operator's pods, denies everything but DNS, the Kubernetes API server and the
// Managed Agents API on the way out and the health and metrics ports on the way in; it lints clean
// and the API server accepts it.
func TestChartNetworkPolicy(t *testing.T) {
	if n := mustRender(t, "NetworkPolicy", nil); n != 0 {
		t.Fatalf("the defaults render %d NetworkPolicies; it must be opt-in", n)
	}
	var dep appsv1.Deployment
	mustRender(t, "Deployment", &dep, "--set", "networkPolicy.enabled=true")

	cases := []struct {
		name string
		args []string
		// apiPorts are the egress ports of the Managed Agents API rule; metricsFrom the peers of the
		// metrics rule (nil: no metrics rule).
		apiPorts    []int32
		metrics     bool
		metricsFrom int
		apiCIDRs    []string
	}{
		{name: "defaults", apiPorts: []int32{443}, metrics: true},
		{name: "an http simulator in the cluster", args: []string{"--set", "baseURL=http://simulator.sim.svc:8765", "--set", "allowInsecureAPIURL=true"},
			apiPorts: []int32{8765}, metrics: true},
		{name: "a proxy on https without a port", args: []string{"--set", "baseURL=https://proxy.example.com"}, apiPorts: []int32{443}, metrics: true},
		{name: "narrowed peers", args: []string{"--set", "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring",
			"--set", "networkPolicy.managedAgentsAPI.cidrs={160.79.104.0/23}", "--set", "networkPolicy.apiServer.cidrs={10.0.0.1/32}"},
			apiPorts: []int32{443}, metrics: true, metricsFrom: 1, apiCIDRs: []string{"160.79.104.0/23"}},
		{name: "metrics off", args: []string{"--set", "metrics.enabled=false"}, apiPorts: []int32{443}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--set", "networkPolicy.enabled=true"}, c.args...)
			var np networkingv1.NetworkPolicy
			if n := mustRender(t, "NetworkPolicy", &np, args...); n != 1 {
				t.Fatalf("want one NetworkPolicy, got %d", n)
			}
			if !reflect.DeepEqual(np.Spec.PodSelector.MatchLabels, dep.Spec.Selector.MatchLabels) {
				t.Errorf("podSelector %v does not select the operator's pods %v", np.Spec.PodSelector.MatchLabels, dep.Spec.Selector.MatchLabels)
			}
			if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
				t.Errorf("policyTypes %v, want Ingress and Egress (deny what no rule allows)", np.Spec.PolicyTypes)
			}
			checkIngress(t, np.Spec.Ingress, c.metrics, c.metricsFrom)
			checkEgress(t, np.Spec.Egress, c.apiPorts, c.apiCIDRs)
			if out, err := harness.RunCmd("", suite.HelmBin, append([]string{"lint", "--strict", suite.ChartDir}, args...)...); err != nil ||
				!strings.Contains(out, "0 chart(s) failed") || strings.Contains(out, "[WARNING]") {
				t.Errorf("helm lint --strict is not clean: %v\n%s", err, out)
			}
			np.Namespace = "default"
			raw, _ := json.Marshal(np)
			if out, err := suite.KubectlInput(string(raw), "create", "--dry-run=server", "--validate=strict", "-n", "default", "-f", "-"); err != nil {
				t.Errorf("the API server refuses the NetworkPolicy: %v\n%s", err, out)
			}
		})
	}

	for _, bad := range [][]string{
		{"--set", "networkPolicy.enable=true"},
		{"--set", "networkPolicy.enabled=true", "--set", "networkPolicy.apiServer.cidrs={not-a-cidr}"},
		{"--set", "networkPolicy.enabled=true", "--set", "networkPolicy.managedAgentsAPI.ports={0}"},
	} {
		if _, err := helmTemplate(bad...); err == nil {
			t.Errorf("helm accepted bad networkPolicy values %v", bad)
		}
	}
}

// checkIngress wants the health port open (the kubelet's probes) and the metrics port open to the
// given peers, and nothing else.
func checkIngress(t *testing.T, rules []networkingv1.NetworkPolicyIngressRule, metrics bool, metricsFrom int) {
	t.Helper()
	ports := map[int32]int{}
	for _, r := range rules {
		if len(r.Ports) != 1 || r.Ports[0].Port == nil {
			t.Errorf("ingress rule %+v should open exactly one port", r)
			continue
		}
		port := r.Ports[0].Port.IntVal
		ports[port] = len(r.From)
	}
	want := map[int32]int{8081: 0}
	if metrics {
		want[8080] = metricsFrom
	}
	if !reflect.DeepEqual(ports, want) {
		t.Errorf("ingress ports (with their number of allowed peers) %v, want %v", ports, want)
	}
}

// checkEgress wants exactly three rules: DNS on 53 (UDP and TCP), the API server on 443 and 6443,
// and the Managed Agents API on apiPorts (to apiCIDRs when set).
func checkEgress(t *testing.T, rules []networkingv1.NetworkPolicyEgressRule, apiPorts []int32, apiCIDRs []string) {
	t.Helper()
	if len(rules) != 3 {
		t.Fatalf("want 3 egress rules (DNS, API server, Managed Agents API), got %d: %+v", len(rules), rules)
	}
	type port struct {
		proto corev1.Protocol
		port  int32
	}
	portsOf := func(r networkingv1.NetworkPolicyEgressRule) []port {
		var out []port
		for _, p := range r.Ports {
			out = append(out, port{*p.Protocol, p.Port.IntVal})
		}
		return out
	}
	if got, want := portsOf(rules[0]), []port{{corev1.ProtocolUDP, 53}, {corev1.ProtocolTCP, 53}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DNS rule ports %v, want %v", got, want)
	}
	if got, want := portsOf(rules[1]), []port{{corev1.ProtocolTCP, 443}, {corev1.ProtocolTCP, 6443}}; !reflect.DeepEqual(got, want) {
		t.Errorf("API server rule ports %v, want %v", got, want)
	}
	var want []port
	for _, p := range apiPorts {
		want = append(want, port{corev1.ProtocolTCP, p})
	}
	if got := portsOf(rules[2]); !reflect.DeepEqual(got, want) {
		t.Errorf("Managed Agents API rule ports %v, want %v", got, want)
	}
	var cidrs []string
	for _, peer := range rules[2].To {
		if peer.IPBlock != nil {
			cidrs = append(cidrs, peer.IPBlock.CIDR)
		}
	}
	if !slices.Equal(cidrs, apiCIDRs) {
		t.Errorf("Managed Agents API rule goes to %v, want %v", cidrs, apiCIDRs)
	}
}

// TestChartRefusesPlainHTTPUnlessAllowed: the chart refuses an http:// baseURL unless
// allowInsecureAPIURL is set, and then passes --allow-insecure-api-url; https needs no flag.
func TestChartRefusesPlainHTTPUnlessAllowed(t *testing.T) {
	if _, err := helmTemplate("--set", "baseURL=http://simulator.sim.svc:8765"); err == nil || !strings.Contains(err.Error(), "allowInsecureAPIURL") {
		t.Errorf("helm accepted an http baseURL without allowInsecureAPIURL, or did not say why: %v", err)
	}
	for _, c := range []struct {
		args []string
		flag bool
	}{
		{[]string{"--set", "baseURL=http://simulator.sim.svc:8765", "--set", "allowInsecureAPIURL=true"}, true},
		{[]string{"--set", "baseURL=https://proxy.example.com", "--set", "allowInsecureAPIURL=true"}, false},
		{[]string{"--set", "baseURL=https://proxy.example.com"}, false},
		{nil, false},
	} {
		var dep appsv1.Deployment
		mustRender(t, "Deployment", &dep, c.args...)
		if got := slices.Contains(dep.Spec.Template.Spec.Containers[0].Args, "--allow-insecure-api-url"); got != c.flag {
			t.Errorf("values %v: --allow-insecure-api-url passed %v, want %v", c.args, got, c.flag)
		}
	}
}
