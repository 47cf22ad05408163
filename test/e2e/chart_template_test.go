// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// ruleSets are the marker rules split the way the chart binds them (see markerRules).
type ruleSets struct {
	manager, leaderElection, secretReader []rbacv1.PolicyRule
}

// TestChartTemplate renders the chart with each value set of the issue and checks the objects:
// RBAC rules equal to the markers' rules and bound where they belong, the manager's flags, and the
// Deployment's hardening, which no value set may weaken.
func TestChartTemplate(t *testing.T) {
	var rules ruleSets
	rules.manager, rules.leaderElection, rules.secretReader = markerRules(t)
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, rules ruleSets, objs []object, args []string)
	}{
		{"defaults: one ClusterRole with the markers' rules, no Secret, no leader election", nil, checkDefaults},
		{"watchNamespaces: a Role per namespace, a Secret reader in the release namespace, no ClusterRole",
			[]string{"--set", "watchNamespaces={team-a,team-b,team-a}", "--set", "apiKey.existingSecret=claude-api-key"}, checkWatchNamespaces},
		{"watchNamespaces with the release namespace: its Role already covers the API key Secret",
			[]string{"--set", "watchNamespaces={ops}", "--set", "apiKey.existingSecret=claude-api-key"}, checkWatchReleaseNamespace},
		{"two replicas: leader election with its own Role, rolling updates", []string{"--set", "replicaCount=2"}, checkTwoReplicas},
		{"one replica without leader election: Recreate, so two managers never overlap", nil, checkRecreate},
		{"apiKey.value: the chart creates the Secret and points the manager at it",
			[]string{"--set", "apiKey.value=sk-from-values", "--set", "baseURL=https://proxy.example.com"}, checkKeyFromValue},
		{"serviceMonitor: scrapes the metrics Service's port",
			[]string{"--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prometheus"}, checkServiceMonitor},
		{"metrics off: no Service and the endpoint disabled", []string{"--set", "metrics.enabled=false"}, checkMetricsOff},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := helmTemplate(t, tc.args...)
			var dep appsv1.Deployment
			one(t, objs, "Deployment", &dep)
			checkDeployment(t, &dep)
			checkPlacementAndWildcards(t, objs)
			tc.check(t, rules, objs, dep.Spec.Template.Spec.Containers[0].Args)
		})
	}
}

// checkPlacementAndWildcards wants no wildcard in any rule, and every namespaced object except the
// per-namespace RBAC in the release namespace.
func checkPlacementAndWildcards(t *testing.T, objs []object) {
	t.Helper()
	for _, o := range objs {
		switch o.Kind {
		case "ClusterRole", "Role":
			var r rbacv1.ClusterRole
			if err := json.Unmarshal(o.raw, &r); err != nil {
				t.Fatal(err)
			}
			assertNoWildcards(t, o.Kind+" "+o.Metadata.Name, r.Rules)
		case "ClusterRoleBinding", "RoleBinding":
		default:
			if o.Metadata.Namespace != releaseNS {
				t.Errorf("%s %s is in namespace %q, not the release namespace", o.Kind, o.Metadata.Name, o.Metadata.Namespace)
			}
		}
	}
}

func checkDefaults(t *testing.T, rules ruleSets, objs []object, args []string) {
	var role rbacv1.ClusterRole
	one(t, objs, "ClusterRole", &role)
	assertRules(t, "ClusterRole", role.Rules, rules.manager)
	var binding rbacv1.ClusterRoleBinding
	one(t, objs, "ClusterRoleBinding", &binding)
	if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" ||
		binding.Subjects[0].Name != "rel-managed-agents-operator" || binding.Subjects[0].Namespace != releaseNS {
		t.Errorf("ClusterRoleBinding does not bind the ClusterRole to the ServiceAccount: %+v", binding)
	}
	one(t, objs, "ServiceAccount", nil)
	for _, kind := range []string{"Role", "RoleBinding", "Secret", "ServiceMonitor"} {
		if n := len(find(objs, kind)); n != 0 {
			t.Errorf("defaults render %d %s objects", n, kind)
		}
	}
	for _, flag := range []string{"leader-elect", "api-key-secret", "watch-namespaces", "api-base-url"} {
		if _, ok := argValue(args, flag); ok {
			t.Errorf("defaults pass --%s: %v", flag, args)
		}
	}
}

func checkWatchNamespaces(t *testing.T, rules ruleSets, objs []object, args []string) {
	if n := len(find(objs, "ClusterRole")) + len(find(objs, "ClusterRoleBinding")); n != 0 {
		t.Errorf("watchNamespaces still renders %d cluster-wide RBAC objects", n)
	}
	roles := map[string][]rbacv1.PolicyRule{}
	for _, o := range find(objs, "Role") {
		var r rbacv1.Role
		if err := json.Unmarshal(o.raw, &r); err != nil {
			t.Fatal(err)
		}
		roles[r.Namespace+"/"+r.Name] = r.Rules
	}
	teamA, teamB, reader := "team-a/rel-managed-agents-operator-manager", "team-b/rel-managed-agents-operator-manager", "ops/rel-managed-agents-operator-secret-reader"
	if got, want := slices.Sorted(maps.Keys(roles)), []string{reader, teamA, teamB}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Roles: got %v, want %v (one per watched namespace, duplicates removed)", got, want)
	}
	assertRules(t, "team-a Role", roles[teamA], rules.manager)
	assertRules(t, "team-b Role", roles[teamB], rules.manager)
	assertRules(t, "Secret reader Role", roles[reader], rules.secretReader)
	if n := len(find(objs, "RoleBinding")); n != 3 {
		t.Errorf("want 3 RoleBindings, got %d", n)
	}
	if v, _ := argValue(args, "watch-namespaces"); v != "team-a,team-b" {
		t.Errorf("--watch-namespaces=%q, want team-a,team-b", v)
	}
	if v, _ := argValue(args, "api-key-secret"); v != "ops/claude-api-key" {
		t.Errorf("--api-key-secret=%q, want the existing Secret ops/claude-api-key", v)
	}
	if n := len(find(objs, "Secret")); n != 0 {
		t.Errorf("an existing Secret must not be rendered, got %d Secrets", n)
	}
}

func checkWatchReleaseNamespace(t *testing.T, _ ruleSets, objs []object, _ []string) {
	var role rbacv1.Role
	one(t, objs, "Role", &role)
	if role.Namespace != releaseNS || role.Name != "rel-managed-agents-operator-manager" {
		t.Errorf("unexpected Role %s/%s", role.Namespace, role.Name)
	}
}

func checkTwoReplicas(t *testing.T, rules ruleSets, objs []object, args []string) {
	if _, ok := argValue(args, "leader-elect"); !ok {
		t.Errorf("replicaCount 2 without --leader-elect: %v", args)
	}
	var role rbacv1.Role
	one(t, objs, "Role", &role)
	if role.Namespace != releaseNS || !strings.HasSuffix(role.Name, "-leader-election") {
		t.Errorf("leader-election Role %s/%s", role.Namespace, role.Name)
	}
	assertRules(t, "leader-election Role", role.Rules, rules.leaderElection)
	var dep appsv1.Deployment
	one(t, objs, "Deployment", &dep)
	if *dep.Spec.Replicas != 2 || dep.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %s", *dep.Spec.Replicas, dep.Spec.Strategy.Type)
	}
}

func checkRecreate(t *testing.T, _ ruleSets, objs []object, _ []string) {
	var dep appsv1.Deployment
	one(t, objs, "Deployment", &dep)
	if dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy %s, want Recreate", dep.Spec.Strategy.Type)
	}
}

func checkKeyFromValue(t *testing.T, _ ruleSets, objs []object, args []string) {
	var secret corev1.Secret
	one(t, objs, "Secret", &secret)
	if string(secret.Data["api-key"]) != "sk-from-values" {
		t.Errorf("Secret data: %v", secret.Data)
	}
	if v, _ := argValue(args, "api-key-secret"); v != releaseNS+"/"+secret.Name {
		t.Errorf("--api-key-secret=%q, want %s/%s", v, releaseNS, secret.Name)
	}
	if v, _ := argValue(args, "api-base-url"); v != "https://proxy.example.com" {
		t.Errorf("--api-base-url=%q", v)
	}
	if strings.Contains(strings.Join(args, " "), "sk-from-values") {
		t.Error("the API key is on the manager's command line")
	}
}

func checkServiceMonitor(t *testing.T, _ ruleSets, objs []object, _ []string) {
	var svc corev1.Service
	one(t, objs, "Service", &svc)
	var sm struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			Endpoints []struct {
				Port string `json:"port"`
				Path string `json:"path"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	one(t, objs, "ServiceMonitor", &sm)
	if sm.Metadata.Labels["release"] != "prometheus" {
		t.Errorf("ServiceMonitor labels %v", sm.Metadata.Labels)
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, which the Service lacks", k, v)
		}
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != svc.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, Service ports %+v", sm.Spec.Endpoints, svc.Spec.Ports)
	}
}

func checkMetricsOff(t *testing.T, _ ruleSets, objs []object, args []string) {
	if n := len(find(objs, "Service")); n != 0 {
		t.Errorf("%d Services with metrics off", n)
	}
	if v, _ := argValue(args, "metrics-bind-address"); v != "0" {
		t.Errorf("--metrics-bind-address=%q, want 0", v)
	}
}
