// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// RunCmd runs a program with a deadline and optional stdin. It returns stdout; the error carries
// stderr. KUBECONFIG is cleared so that only a --kubeconfig the caller passes counts.
func RunCmd(stdin, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), "KUBECONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\nstdout:\n%s\nstderr:\n%s",
			filepath.Base(name), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// KubectlAs runs kubectl with a kubeconfig, that is as whoever it authenticates.
func (s *Suite) KubectlAs(kubeconfig string, args ...string) (string, error) {
	return RunCmd("", s.KubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

// KubectlErr runs kubectl as the cluster admin.
func (s *Suite) KubectlErr(args ...string) (string, error) {
	return s.KubectlAs(s.AdminKubeconfig, args...)
}

// KubectlInput runs kubectl as the cluster admin with stdin, for manifests given as text.
func (s *Suite) KubectlInput(stdin string, args ...string) (string, error) {
	return RunCmd(stdin, s.KubectlBin, append([]string{"--kubeconfig", s.AdminKubeconfig}, args...)...)
}

// Kubectl runs kubectl as the cluster admin and fails the test when it fails.
func (s *Suite) Kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := s.KubectlErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Apply applies a manifest given as text, as the cluster admin.
func (s *Suite) Apply(t *testing.T, namespace, manifest string) {
	t.Helper()
	if _, err := s.KubectlInput(manifest, "apply", "-n", namespace, "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// KubectlJSON runs `kubectl get ... -o json` and decodes the result into out.
func (s *Suite) KubectlJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	data := s.Kubectl(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(data), out); err != nil {
		t.Fatalf("decoding kubectl %v: %v", args, err)
	}
}

// HelmErr runs helm against the test cluster.
func (s *Suite) HelmErr(args ...string) (string, error) {
	return RunCmd("", s.HelmBin, append([]string{"--kubeconfig", s.AdminKubeconfig}, args...)...)
}

// Helm runs helm and fails the test when it fails.
func (s *Suite) Helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := s.HelmErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// CreateNamespaces creates namespaces. They are never deleted: without kube-controller-manager a
// deleted namespace stays Terminating, and the control plane goes away after the suite anyway.
func (s *Suite) CreateNamespaces(t *testing.T, names ...string) {
	t.Helper()
	for _, ns := range names {
		s.Kubectl(t, "create", "namespace", ns)
	}
}

// CreateSecret creates a Secret with one key, passing the value on stdin so that it never appears
// on a command line.
func (s *Suite) CreateSecret(t *testing.T, namespace, name, key, value string) {
	t.Helper()
	s.Apply(t, namespace, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\nstringData:\n  %s: %q\n", name, key, value))
}

// WaitCondition runs `kubectl wait --for=condition=...`, the documented way to wait for the
// operator, and fails the test with kubectl describe's output when the wait times out.
func (s *Suite) WaitCondition(t *testing.T, namespace, resource, condition string, timeout time.Duration) {
	t.Helper()
	if _, err := s.KubectlErr("wait", "-n", namespace, "--for=condition="+condition, resource,
		fmt.Sprintf("--timeout=%s", timeout)); err != nil {
		out, _ := s.KubectlErr("describe", "-n", namespace, resource)
		t.Fatalf("%v\n%s", err, out)
	}
}

// CanI asks the API server, through kubectl auth can-i, whether user may do something.
func (s *Suite) CanI(t *testing.T, user string, args ...string) bool {
	t.Helper()
	out, err := s.KubectlErr(append([]string{"auth", "can-i", "--as", user}, args...)...)
	answer := strings.TrimSpace(out)
	if answer != "yes" && answer != "no" {
		t.Fatalf("kubectl auth can-i %v: %q %v", args, answer, err)
	}
	return answer == "yes"
}

// ImpersonatingKubeconfig writes a copy of the admin kubeconfig whose user impersonates user, so
// that a process using it acts with exactly that user's RBAC permissions.
func (s *Suite) ImpersonatingKubeconfig(t *testing.T, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(s.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.Impersonate = user
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
