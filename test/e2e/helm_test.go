// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/harness"
)

// helmInstall installs the chart with a placeholder image (there is no kubelet: the Deployment's
// pods never run) and returns the objects of the release and helm's output, which ends with NOTES.txt.
func helmInstall(t *testing.T, release, namespace string, args ...string) ([]object, string) {
	t.Helper()
	out := suite.Helm(t, append([]string{"install", release, suite.ChartDir, "--namespace", namespace, "--timeout", "2m",
		"--set", "image.repository=registry.example.com/managed-agents-operator", "--set", "image.tag=e2e",
		"--set", "allowInsecureAPIURL=true"}, args...)...) // the simulator speaks plain http
	t.Cleanup(func() { _, _ = suite.HelmErr("uninstall", release, "--namespace", namespace) })
	return decodeManifests(t, suite.Helm(t, "get", "manifest", release, "--namespace", namespace)), out
}

// liveRules reads the rules of a Role or ClusterRole as the API server stores them.
func liveRules(t *testing.T, kind, namespace, name string) []rbacv1.PolicyRule {
	t.Helper()
	var role rbacv1.ClusterRole // a Role has the same rules field
	args := []string{"get", kind, name}
	if namespace != "" {
		args = append(args, "-n", namespace)
	}
	suite.KubectlJSON(t, &role, args...)
	return role.Rules
}

// liveManagerArgs returns the installed Deployment's manager flags for a local manager process,
// after checking the Deployment's hardening.
func liveManagerArgs(t *testing.T, namespace, name string) []string {
	t.Helper()
	dep := suite.Deployment(t, namespace, name)
	checkDeployment(t, dep)
	return harness.LocalManagerArgs(dep)
}

// runSamplesAs runs the samples in namespace with a manager that has exactly the RBAC of the
// chart's ServiceAccount (kubeconfig impersonation) and the flags of the chart's Deployment. The
// Session must reach TurnComplete and everything must be deletable again, with no RBAC denial in
// the manager's log.
func runSamplesAs(t *testing.T, serviceAccount, namespace string, args []string, secrets map[string]string) {
	t.Helper()
	kubeconfig := suite.ImpersonatingKubeconfig(t, serviceAccount)
	whoami, err := harness.RunCmd("", suite.KubectlBin, "--kubeconfig", kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	if err != nil || whoami != serviceAccount {
		t.Fatalf("the impersonating kubeconfig acts as %q (%v), want %s", whoami, err, serviceAccount)
	}
	mgr := suite.StartManager(t, kubeconfig, args...)
	suite.Kubectl(t, "apply", "-n", namespace, "-f", filepath.Join(testenv.RepoRoot(), "config", "samples"))
	waitTurn(t, namespace, "hello")
	suite.Kubectl(t, "delete", "-n", namespace, "session/hello", "agent/coder", "environment/python-dev", "--wait=false")
	for _, r := range []string{"session/hello", "agent/coder", "environment/python-dev"} {
		waitGone(t, namespace, r)
	}
	logs := mgr.Proc.Logs()
	for _, denial := range []string{"forbidden", "Forbidden"} {
		if strings.Contains(logs, denial) {
			t.Errorf("the manager was denied something with the chart's RBAC:\n%s", logs)
			break
		}
	}
	harness.AssertAbsent(t, "the manager's log", logs, secrets)
}

// TestHelmInstallClusterWide installs the chart with its defaults and an API key value, checks the
// objects in the cluster, and runs the manager as the chart's ServiceAccount to prove that the
// generated ClusterRole is enough for a whole conversation and no more than the markers say.
func TestHelmInstallClusterWide(t *testing.T) {
	const release, ns, workNS = "mao", "mao-system", "team-wide"
	suite.CreateNamespaces(t, ns, workNS)
	apiKey := "sk-ant-e2e-" + harness.RandomHex(16)
	sim := suite.StartSimulator(t, apiKey, stepDelay)
	manifests, notes := helmInstall(t, release, ns, "--set-string", "apiKey.value="+apiKey,
		"--set", "baseURL="+sim.URL, "--set", "logging.level=debug")
	fullname := release + "-managed-agents-operator"
	sa := "system:serviceaccount:" + ns + ":" + fullname
	managerRules, _, _ := markerRules(t)

	t.Run("the release holds the expected objects and no CRDs", func(t *testing.T) {
		kinds := map[string]int{}
		for _, o := range manifests {
			kinds[o.Kind]++
		}
		want := map[string]int{"ServiceAccount": 1, "Secret": 1, "ClusterRole": 1, "ClusterRoleBinding": 1, "Service": 1, "Deployment": 1}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Errorf("release objects %v, want %v (CRDs belong in crds/, which helm never deletes)", kinds, want)
		}
		if !strings.Contains(notes, "--for=condition=TurnComplete") {
			t.Errorf("NOTES.txt does not say how to wait for a Session:\n%s", notes)
		}
	})

	t.Run("the live ClusterRole has exactly the markers' rules, bound to the ServiceAccount", func(t *testing.T) {
		suite.Kubectl(t, "get", "serviceaccount", fullname, "-n", ns)
		assertRules(t, "ClusterRole", liveRules(t, "clusterrole", "", fullname+"-manager"), managerRules)
		var binding rbacv1.ClusterRoleBinding
		suite.KubectlJSON(t, &binding, "get", "clusterrolebinding", fullname+"-manager")
		if len(binding.Subjects) != 1 || binding.Subjects[0].Name != fullname || binding.Subjects[0].Namespace != ns {
			t.Errorf("ClusterRoleBinding subjects %+v", binding.Subjects)
		}
		var secret corev1.Secret
		suite.KubectlJSON(t, &secret, "get", "secret", fullname+"-api-key", "-n", ns)
		if string(secret.Data["api-key"]) != apiKey {
			t.Error("the chart's Secret does not hold the API key from apiKey.value")
		}
	})

	t.Run("the ServiceAccount may do what the operator needs and nothing else", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want bool
		}{
			{[]string{"list", "sessions.claude.anthropic.com", "--all-namespaces"}, true},
			{[]string{"patch", "sessions.claude.anthropic.com", "--subresource=status", "-n", workNS}, true},
			{[]string{"update", "agents.claude.anthropic.com", "--subresource=finalizers", "-n", workNS}, true},
			{[]string{"create", "events", "-n", workNS}, true},
			{[]string{"get", "secrets", "-n", workNS}, true},
			// Self-hosted sandboxes: one Pod per work item and its per-item Secret, created and deleted by
			// the operator; it never updates a user's Secret or ConfigMap.
			{[]string{"create", "secrets", "-n", workNS}, true},
			{[]string{"update", "secrets", "-n", workNS}, false},
			{[]string{"update", "configmaps", "-n", workNS}, false},
			{[]string{"get", "pods", "-n", workNS}, true},
			// kubectl reads "pods/exec" as the Pod named exec; the subresource needs --subresource.
			{[]string{"create", "pods", "--subresource=exec", "-n", workNS}, false},
			{[]string{"create", "pods", "--subresource=attach", "-n", workNS}, false},
			{[]string{"create", "leases.coordination.k8s.io", "-n", ns}, false}, // no leader election with one replica
			{[]string{"delete", "customresourcedefinitions.apiextensions.k8s.io"}, false},
		} {
			if got := suite.CanI(t, sa, c.args...); got != c.want {
				t.Errorf("can-i %v = %v, want %v", c.args, got, c.want)
			}
		}
	})

	t.Run("the manager runs a conversation with the chart's RBAC and flags", func(t *testing.T) {
		args := liveManagerArgs(t, ns, fullname)
		if v, _ := argValue(args, "api-key-secret"); v != ns+"/"+fullname+"-api-key" {
			t.Fatalf("--api-key-secret=%q", v)
		}
		runSamplesAs(t, sa, workNS, args, map[string]string{"API key": apiKey})
	})

	t.Run("uninstall removes the release but keeps the CRDs and the custom resources", func(t *testing.T) {
		suite.Apply(t, workNS, "apiVersion: claude.anthropic.com/v1alpha1\nkind: Environment\nmetadata:\n  name: survivor\nspec:\n  deletionPolicy: Retain\n")
		suite.Helm(t, "uninstall", release, "--namespace", ns)
		if _, err := suite.KubectlErr("get", "serviceaccount", fullname, "-n", ns); err == nil {
			t.Error("the ServiceAccount survived helm uninstall")
		}
		if _, err := suite.KubectlErr("get", "clusterrole", fullname+"-manager"); err == nil {
			t.Error("the ClusterRole survived helm uninstall")
		}
		suite.Kubectl(t, "get", "crd", "agents.claude.anthropic.com", "environments.claude.anthropic.com", "sessions.claude.anthropic.com")
		suite.Kubectl(t, "get", "environment", "survivor", "-n", workNS)
		suite.Kubectl(t, "delete", "environment", "survivor", "-n", workNS)
	})
}

// TestHelmInstallWatchNamespaces installs the chart limited to two namespaces with an existing Secret
// and two replicas, and proves that the namespaced Roles are enough for a conversation in a watched
// namespace and grant nothing outside them.
func TestHelmInstallWatchNamespaces(t *testing.T) {
	const release, ns = "scoped", "scoped-system"
	suite.CreateNamespaces(t, ns, "team-a", "team-b", "team-c")
	apiKey := "sk-ant-e2e-" + harness.RandomHex(16)
	sim := suite.StartSimulator(t, apiKey, stepDelay)
	suite.CreateSecret(t, ns, "claude-api-key", "api-key", apiKey)
	manifests, _ := helmInstall(t, release, ns, "--set", "watchNamespaces={team-a,team-b}",
		"--set", "apiKey.existingSecret=claude-api-key", "--set", "replicaCount=2", "--set", "baseURL="+sim.URL)
	fullname := release + "-managed-agents-operator"
	sa := "system:serviceaccount:" + ns + ":" + fullname
	managerRules, leaderRules, secretRules := markerRules(t)

	t.Run("Roles in the watched namespaces, a Secret reader and a leader-election Role in the release namespace", func(t *testing.T) {
		if n := len(find(manifests, "ClusterRole")) + len(find(manifests, "ClusterRoleBinding")) + len(find(manifests, "Secret")); n != 0 {
			t.Errorf("the release has %d ClusterRoles, ClusterRoleBindings or Secrets; want none", n)
		}
		for _, watched := range []string{"team-a", "team-b"} {
			assertRules(t, watched+" Role", liveRules(t, "role", watched, fullname+"-manager"), managerRules)
			suite.Kubectl(t, "get", "rolebinding", fullname+"-manager", "-n", watched)
		}
		assertRules(t, "Secret reader Role", liveRules(t, "role", ns, fullname+"-secret-reader"), secretRules)
		assertRules(t, "leader-election Role", liveRules(t, "role", ns, fullname+"-leader-election"), leaderRules)
	})

	t.Run("the ServiceAccount is confined to the watched namespaces", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want bool
		}{
			{[]string{"list", "sessions.claude.anthropic.com", "-n", "team-a"}, true},
			{[]string{"watch", "agents.claude.anthropic.com", "-n", "team-b"}, true},
			{[]string{"get", "secrets", "-n", ns}, true}, // the default API key
			// The release namespace is not watched: no sandbox Pods or per-item Secrets are made there.
			{[]string{"create", "pods", "-n", ns}, false},
			{[]string{"create", "secrets", "-n", ns}, false},
			{[]string{"delete", "secrets", "-n", ns}, false},
			{[]string{"create", "leases.coordination.k8s.io", "-n", ns}, true},
			{[]string{"list", "sessions.claude.anthropic.com", "-n", "team-c"}, false},
			{[]string{"list", "sessions.claude.anthropic.com", "--all-namespaces"}, false},
			{[]string{"get", "secrets", "-n", "team-c"}, false},
			{[]string{"create", "leases.coordination.k8s.io", "-n", "team-a"}, false},
			{[]string{"list", "sessions.claude.anthropic.com", "-n", ns}, false},
		} {
			if got := suite.CanI(t, sa, c.args...); got != c.want {
				t.Errorf("can-i %v = %v, want %v", c.args, got, c.want)
			}
		}
	})

	t.Run("the manager runs a conversation in a watched namespace with the chart's RBAC and flags", func(t *testing.T) {
		args := liveManagerArgs(t, ns, fullname)
		if v, _ := argValue(args, "watch-namespaces"); v != "team-a,team-b" {
			t.Fatalf("--watch-namespaces=%q", v)
		}
		runSamplesAs(t, sa, "team-a", args, map[string]string{"API key": apiKey})
	})
}

// TestHelmInstallsAndKeepsCRDs uses a control plane of its own, without CRDs, to prove that helm
// install creates the CRDs from the chart's crds/ directory and helm uninstall leaves them.
func TestHelmInstallsAndKeepsCRDs(t *testing.T) {
	bare := &envtest.Environment{BinaryAssetsDirectory: testenv.AssetsDir()}
	if _, err := bare.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := bare.Stop(); err != nil {
			t.Error(err)
		}
	}()
	user, err := bare.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, data, 0o600); err != nil {
		t.Fatal(err)
	}
	crds := []string{"agents.claude.anthropic.com", "environments.claude.anthropic.com", "sessions.claude.anthropic.com"}
	get := append([]string{"--kubeconfig", kubeconfig, "get", "crd"}, crds...)
	if _, err := harness.RunCmd("", suite.KubectlBin, get...); err == nil {
		t.Fatal("the bare control plane already has the CRDs")
	}
	if _, err := harness.RunCmd("", suite.HelmBin, "--kubeconfig", kubeconfig, "install", "crds", suite.ChartDir, "--namespace", "default",
		"--set", "image.tag=e2e"); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.RunCmd("", suite.KubectlBin, get...); err != nil {
		t.Fatalf("helm install did not create the CRDs: %v", err)
	}
	if _, err := harness.RunCmd("", suite.HelmBin, "--kubeconfig", kubeconfig, "uninstall", "crds", "--namespace", "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.RunCmd("", suite.KubectlBin, get...); err != nil {
		t.Fatalf("helm uninstall removed the CRDs: %v", err)
	}
}
