package e2e

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
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

const (
	// cmdTimeout bounds one kubectl or helm invocation.
	cmdTimeout = 90 * time.Second
	// turnTimeout bounds one agent turn on the simulator, from apply to TurnComplete.
	turnTimeout = 2 * time.Minute
	// stopGrace is how long a process gets to exit after SIGTERM before it is killed.
	stopGrace = 20 * time.Second
)

// runCmd runs a program with a deadline and optional stdin. It returns stdout; the error carries
// stderr.
func runCmd(stdin, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), "KUBECONFIG=") // only the --kubeconfig we pass counts
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

// kubectlErr runs kubectl as the cluster admin.
func kubectlErr(args ...string) (string, error) {
	return runCmd("", kubectlBin, append([]string{"--kubeconfig", adminKubeconfig}, args...)...)
}

// kubectl runs kubectl as the cluster admin and fails the test when it fails.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kubectlApply applies a manifest given as text.
func kubectlApply(t *testing.T, namespace, manifest string) {
	t.Helper()
	if _, err := runCmd(manifest, kubectlBin, "--kubeconfig", adminKubeconfig, "apply", "-n", namespace, "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// kubectlJSON runs `kubectl get ... -o json` and decodes the result into out.
func kubectlJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	data := kubectl(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(data), out); err != nil {
		t.Fatalf("decoding kubectl %v: %v", args, err)
	}
}

// helmErr runs helm against the test cluster.
func helmErr(args ...string) (string, error) {
	return runCmd("", helmBin, append([]string{"--kubeconfig", adminKubeconfig}, args...)...)
}

// helm runs helm and fails the test when it fails.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helmErr(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// createNamespaces creates namespaces. They are never deleted: without kube-controller-manager a
// deleted namespace stays Terminating, and the control plane goes away after the suite anyway.
func createNamespaces(t *testing.T, names ...string) {
	t.Helper()
	for _, ns := range names {
		kubectl(t, "create", "namespace", ns)
	}
}

// createSecret creates a Secret with one key, passing the value on stdin so that it never appears
// on a command line.
func createSecret(t *testing.T, namespace, name, key, value string) {
	t.Helper()
	manifest := fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\nstringData:\n  %s: %q\n", name, key, value)
	kubectlApply(t, namespace, manifest)
}

// randomHex returns n random bytes as hex, for secret values that cannot appear anywhere by chance.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort returns a TCP port that was free a moment ago on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet returns the status and body of a GET with optional headers.
func httpGet(url string, header map[string]string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// simulator is a running simulator process that accepts exactly one API key.
type simulator struct {
	URL    string
	APIKey string
	proc   *testenv.Process
}

// startSimulator starts the simulator binary on a free port; it is stopped when the test ends.
func startSimulator(t *testing.T, apiKey string) *simulator {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, url, err := testenv.StartSimulator(ctx, simulatorBin, "--api-key", apiKey, "--step-delay", "20ms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop(stopGrace) })
	return &simulator{URL: url, APIKey: apiKey, proc: proc}
}

// stats returns the simulator's request counters, keyed like "POST /v1/sessions".
func (s *simulator) stats(t *testing.T) map[string]int64 {
	t.Helper()
	code, body, err := httpGet(s.URL+"/_simulator/stats", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("simulator stats: %d %v %s", code, err, body)
	}
	var out struct {
		Requests map[string]int64 `json:"requests"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Requests
}

// get reads a remote object from the simulator's API the way the SDK does, and returns the HTTP
// status with the decoded body.
func (s *simulator) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	code, body, err := httpGet(s.URL+path, map[string]string{
		"x-api-key":      s.APIKey,
		"anthropic-beta": "managed-agents-2026-04-01",
	})
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return code, out
}

// manager is a running manager process with its HTTP endpoints.
type manager struct {
	proc       *testenv.Process
	metricsURL string
}

// startManager runs the manager binary with a kubeconfig and extra flags, waits until /readyz
// answers, and stops it when the test ends. ANTHROPIC_* variables of the caller are cleared so
// that only the flags and Secrets under test configure it.
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
			t.Logf("manager log:\n%s", proc.Logs())
		}
	})
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", probe)
	testenv.WaitFor(t, time.Minute, "the manager's /readyz", func() (bool, string) {
		if proc.Exited() {
			t.Fatalf("the manager exited:\n%s", proc.Logs())
		}
		code, body, err := httpGet(readyz, nil)
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v %s", code, err, body)
	})
	return &manager{proc: proc, metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)}
}

// impersonatingKubeconfig writes a copy of the admin kubeconfig whose user impersonates user, so that
// a process using it acts with exactly that user's RBAC permissions.
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

// assertAbsent fails the test when any secret value occurs in text; where names the text's source.
func assertAbsent(t *testing.T, where, text string, secrets map[string]string) {
	t.Helper()
	for name, value := range secrets {
		if i := strings.Index(text, value); i >= 0 {
			start, end := max(0, i-200), min(len(text), i+len(value)+200)
			t.Errorf("%s contains the %s:\n...%s...", where, name, strings.ReplaceAll(text[start:end], value, "<"+name+">"))
		}
	}
}
