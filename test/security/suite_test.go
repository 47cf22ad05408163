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
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

var (
	env             *testenv.Env
	adminKubeconfig string
	workDir         string

	managerBin, simulatorBin, kubectlBin, helmBin, chartDir string
)

const (
	// cmdTimeout bounds one kubectl or helm invocation.
	cmdTimeout = 90 * time.Second
	// stopGrace is how long a process gets after SIGTERM before it is killed.
	stopGrace = 10 * time.Second
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	root := testenv.RepoRoot()
	kubectlBin = filepath.Join(testenv.AssetsDir(), "kubectl")
	helmBin = filepath.Join(root, "bin", "helm")
	chartDir = filepath.Join(root, "charts", "managed-agents-operator")
	for _, bin := range []string{kubectlBin, helmBin} {
		if _, err := os.Stat(bin); err != nil {
			fmt.Fprintf(os.Stderr, "security: %s is missing: run `make tools` first: %v\n", bin, err)
			return 1
		}
	}
	var err error
	if workDir, err = os.MkdirTemp("", "managed-agents-security-"); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(workDir) }()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		_ = os.Setenv(v, filepath.Join(workDir, "helm", v))
	}
	for pkg, out := range map[string]*string{"./cmd/manager": &managerBin, "./cmd/simulator": &simulatorBin} {
		if *out, err = testenv.BuildBinary(workDir, pkg); err != nil {
			fmt.Fprintln(os.Stderr, "security:", err)
			return 1
		}
	}
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "security: stopping the control plane:", err)
		}
	}()
	if adminKubeconfig, err = env.WriteKubeconfig(workDir); err != nil {
		fmt.Fprintln(os.Stderr, "security:", err)
		return 1
	}
	return m.Run()
}

// runCmd runs a program with a deadline and optional stdin; it returns stdout, and an error that
// carries stderr.
func runCmd(stdin, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG=")
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

// kubectlAs runs kubectl with a kubeconfig.
func kubectlAs(kubeconfig string, args ...string) (string, error) {
	return runCmd("", kubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

// kubectl runs kubectl as the cluster admin and fails the test when it fails.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlAs(adminKubeconfig, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apply applies a manifest as the cluster admin.
func apply(t *testing.T, namespace, manifest string) {
	t.Helper()
	if _, err := runCmd(manifest, kubectlBin, "--kubeconfig", adminKubeconfig, "apply", "-n", namespace, "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// helm runs helm against the test cluster and fails the test when it fails.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCmd("", helmBin, append([]string{"--kubeconfig", adminKubeconfig}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// createNamespaces creates namespaces; they are never deleted (there is no namespace controller).
func createNamespaces(t *testing.T, names ...string) {
	t.Helper()
	for _, ns := range names {
		kubectl(t, "create", "namespace", ns)
	}
}

// createSecret creates a one-key Secret; the value goes through stdin, never a command line.
func createSecret(t *testing.T, namespace, name, key, value string) {
	t.Helper()
	apply(t, namespace, fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\nstringData:\n  %s: %q\n", name, key, value))
}

// randomHex returns n random bytes as hex: secret values that cannot appear anywhere by chance.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet returns the status and body of a GET.
func httpGet(url string, header map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// simulator is a simulator process that accepts exactly one API key.
type simulator struct {
	URL, APIKey string
	proc        *testenv.Process
}

func startSimulator(t *testing.T, apiKey string) *simulator {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, url, err := testenv.StartSimulator(ctx, simulatorBin, "--api-key", apiKey, "--step-delay", "5ms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop(stopGrace) })
	return &simulator{URL: url, APIKey: apiKey, proc: proc}
}

// stats returns the simulator's request counters and how many sessions it holds.
func (s *simulator) stats(t *testing.T) (map[string]int64, int) {
	t.Helper()
	code, body, err := httpGet(s.URL+"/_simulator/stats", nil)
	var out struct {
		Requests map[string]int64 `json:"requests"`
		Sessions int              `json:"sessions"`
	}
	if err != nil || code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("simulator stats: %d %v %s", code, err, body)
	}
	return out.Requests, out.Sessions
}

// manager is a running manager with its metrics URL.
type manager struct {
	proc       *testenv.Process
	metricsURL string
}

// startManager runs the manager with a kubeconfig and flags, waits for /readyz, and stops it when the
// test ends. ANTHROPIC_* variables are cleared so that only the flags and Secrets configure it.
func startManager(t *testing.T, kubeconfig string, args ...string) *manager {
	t.Helper()
	metrics, probe := freePort(t), freePort(t)
	args = append([]string{
		"--kubeconfig", kubeconfig,
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
	}, args...)
	proc, err := testenv.StartProcess("manager", managerBin, args, "ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=", "KUBECONFIG=")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Stop(stopGrace)
		if t.Failed() {
			t.Logf("manager log (tail):\n%s", proc.Tail(60))
		}
	})
	testenv.WaitFor(t, time.Minute, "the manager's /readyz", func() (bool, string) {
		if proc.Exited() {
			t.Fatalf("the manager exited:\n%s", proc.Logs())
		}
		code, body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/readyz", probe), nil)
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v %s", code, err, body)
	})
	return &manager{proc: proc, metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)}
}

// impersonatingKubeconfig writes a copy of the admin kubeconfig that impersonates user, so that a
// process using it has exactly that user's RBAC permissions.
func impersonatingKubeconfig(t *testing.T, user string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(adminKubeconfig)
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

// waitCondition runs kubectl wait for a condition.
func waitCondition(t *testing.T, namespace, resource, condition string, timeout time.Duration) {
	t.Helper()
	if _, err := kubectlAs(adminKubeconfig, "wait", "-n", namespace, "--for=condition="+condition, resource,
		fmt.Sprintf("--timeout=%s", timeout)); err != nil {
		out, _ := kubectlAs(adminKubeconfig, "describe", "-n", namespace, resource)
		t.Fatalf("%v\n%s", err, out)
	}
}
