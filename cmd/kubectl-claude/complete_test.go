// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// completionNS holds the objects the completion tests expect; otherNS holds names that must not show.
const (
	completionNS = "team-c"
	otherNS      = "team-other"
)

// completionFixture is what `kubectl claude <TAB>` should find in completionNS.
const completionFixture = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata: {name: coder, namespace: team-c}
spec: {model: {id: claude-opus-4-8}}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata: {name: reviewer, namespace: team-c}
spec: {model: {id: claude-opus-4-8}}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: dev, namespace: team-c}
spec: {}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: alpha, namespace: team-c}
spec: {agentRef: {name: coder}, environmentRef: {name: dev}, prompt: hi}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: beta, namespace: team-c}
spec: {agentRef: {name: coder}, environmentRef: {name: dev}, prompt: hi}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Session
metadata: {name: elsewhere, namespace: team-other}
spec: {agentRef: {name: coder}, environmentRef: {name: dev}, prompt: hi}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Vault
metadata: {name: team-credentials, namespace: team-c}
spec:
  credentials:
    - name: linear
      staticBearer: {mcpServerURL: "https://mcp.linear.app/mcp", tokenSecretRef: {name: linear, key: token}}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Skill
metadata: {name: release-notes, namespace: team-c}
spec: {files: {configMapRef: {name: notes}}}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: MemoryStore
metadata: {name: team-memory, namespace: team-c}
spec: {}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: AgentDeployment
metadata: {name: nightly-review, namespace: team-c}
spec: {agentRef: {name: coder}, environmentRef: {name: dev}, prompt: review}
`

var (
	kubeconfig string
	k8s        client.Client
)

// TestMain starts a control plane with the CRDs (no operator: completion reads objects only) and
// creates the fixture. Missing control plane binaries fail the package, never skip it.
func TestMain(m *testing.M) {
	os.Exit(runCompletionSuite(m))
}

func runCompletionSuite(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-claude-complete-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client
	if kubeconfig, err = env.WriteKubeconfig(dir); err == nil {
		err = createCompletionFixture()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func createCompletionFixture() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, ns := range []string{completionNS, otherNS} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	kinds := map[string]func() client.Object{
		"Agent": func() client.Object { return &v1alpha1.Agent{} }, "Environment": func() client.Object { return &v1alpha1.Environment{} },
		"Session": func() client.Object { return &v1alpha1.Session{} }, "Vault": func() client.Object { return &v1alpha1.Vault{} },
		"Skill": func() client.Object { return &v1alpha1.Skill{} }, "MemoryStore": func() client.Object { return &v1alpha1.MemoryStore{} },
		"AgentDeployment": func() client.Object { return &v1alpha1.AgentDeployment{} },
	}
	for _, doc := range strings.Split(strings.TrimSpace(completionFixture), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return err
		}
		obj := kinds[tm.Kind]()
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return err
		}
		if err := k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s: %w", tm.Kind, err)
		}
	}
	// alpha waits for a tool confirmation and a custom tool result.
	alpha := &v1alpha1.Session{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: completionNS, Name: "alpha"}, alpha); err != nil {
		return err
	}
	alpha.Status.Phase = v1alpha1.SessionRequiresAction
	alpha.Status.PendingActions = []v1alpha1.PendingAction{
		{EventID: "sevt_confirm", Kind: v1alpha1.PendingToolConfirmation, ToolName: "bash"},
		{EventID: "sevt_custom", Kind: v1alpha1.PendingCustomToolResult, ToolName: "open_ticket"},
	}
	return k8s.Status().Update(ctx, alpha)
}

// completion is what one `kubectl-claude __complete ...` printed.
type completion struct {
	values    []string // the suggestions without their descriptions
	directive cobra.ShellCompDirective
	stderr    string
	took      time.Duration
}

// completeLimit bounds one completion in the tests; completionTimeout is what the plugin promises.
const completeLimit = 30 * time.Second

// complete runs the plugin's cobra __complete in this process against a kubeconfig; the last arg
// is the word being completed. It fails the test if completion does not end within completeLimit.
func complete(t *testing.T, config string, args ...string) completion {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCommand(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr})
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd, "--kubeconfig", config, "-n", completionNS}, args...))
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- root.ExecuteContext(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("__complete %v: %v\n%s", args, err, stderr.String())
		}
	case <-time.After(completeLimit):
		t.Fatalf("__complete %v did not end within %s", args, completeLimit)
	}
	return parseCompletion(t, stdout.String(), stderr.String(), time.Since(start))
}

// parseCompletion reads cobra's protocol: one suggestion a line (value TAB description), then
// ":<directive>".
func parseCompletion(t *testing.T, out, stderr string, took time.Duration) completion {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		t.Fatalf("no directive line in %q", out)
	}
	c := completion{directive: cobra.ShellCompDirective(d), stderr: stderr, took: took}
	for _, l := range lines[:len(lines)-1] {
		c.values = append(c.values, strings.SplitN(l, "\t", 2)[0])
	}
	return c
}

// TestCompletion proves `kubectl claude <TAB>` suggests the objects of the namespace where a
// command takes one, the kinds after get, the -o formats and the flags, and never file names.
func TestCompletion(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"sessions of the namespace", []string{"status", ""}, []string{"alpha", "beta"}},
		{"only the sessions that start with the word", []string{"logs", "a"}, []string{"alpha"}},
		{"nothing after a command's one session", []string{"status", "alpha", ""}, nil},
		{"vaults", []string{"vault", "status", ""}, []string{"team-credentials"}},
		{"agentdeployments", []string{"trigger", ""}, []string{"nightly-review"}},
		{"kinds and sessions after get", []string{"get", ""}, []string{"alpha", "beta", "memorystores", "skills", "vaults"}},
		{"kinds by prefix after get", []string{"get", "v"}, []string{"vaults"}},
		{"further sessions after get one", []string{"get", "alpha", ""}, []string{"beta"}},
		{"vaults after get vaults", []string{"get", "vaults", ""}, []string{"team-credentials"}},
		{"skills after get skill", []string{"get", "skill", ""}, []string{"release-notes"}},
		{"memory stores after get memorystores", []string{"get", "memorystores", ""}, []string{"team-memory"}},
		{"agents for run --agent", []string{"run", "--agent", ""}, []string{"coder", "reviewer"}},
		{"environments for run --env", []string{"run", "--env", ""}, []string{"dev"}},
		{"pending confirmations for approve", []string{"approve", "alpha", ""}, []string{"sevt_confirm"}},
		{"pending confirmations for deny", []string{"deny", "alpha", "sevt_"}, []string{"sevt_confirm"}},
		{"pending custom tool calls for tool-result", []string{"tool-result", "alpha", ""}, []string{"sevt_custom"}},
		{"nothing to answer in a session that waits for nothing", []string{"approve", "beta", ""}, nil},
		{"status formats", []string{"status", "alpha", "-o", ""}, []string{"json", "yaml"}},
		{"vault status formats", []string{"vault", "status", "team-credentials", "--output", ""}, []string{"json", "yaml"}},
		{"get formats", []string{"get", "-o", ""}, []string{"json", "wide", "yaml"}},
		{"get vaults formats", []string{"get", "vaults", "-o", ""}, []string{"json", "wide", "yaml"}},
		{"namespaces for -n", []string{"status", "--namespace", "team-"}, []string{"team-c", "team-other"}},
		{"contexts of the kubeconfig for --context", []string{"status", "--context", ""}, []string{"envtest"}},
		{"clusters of the kubeconfig for --cluster", []string{"get", "--cluster", ""}, []string{"envtest"}},
		{"a command's flags", []string{"approve", "alpha", "--a"}, []string{"--all", "--as", "--as-group", "--as-uid", "--as-user-extra"}},
		{"status flags", []string{"status", "alpha", "--o"}, []string{"--output"}},
		{"send's attachment flags", []string{"send", "alpha", "hi", "--att"}, []string{"--attach", "--attach-file-id", "--attach-type", "--attach-url"}},
		{"attachment types for --attach-type", []string{"send", "alpha", "hi", "--attach-type", ""}, []string{"Document", "Image"}},
		{"nothing for --attach-url", []string{"send", "alpha", "hi", "--attach-url", ""}, nil},
		{"nothing for --attach-file-id", []string{"send", "alpha", "hi", "--attach-file-id", "file_"}, nil},
		{"run's attachment flags", []string{"run", "--agent", "coder", "--att"}, []string{"--attach", "--attach-file-id", "--attach-type", "--attach-url"}},
		{"attachment types for run --attach-type", []string{"run", "--attach-type", ""}, []string{"Document", "Image"}},
		{"nothing for run --attach-url", []string{"run", "--attach-url", ""}, nil},
		{"nothing for run --attach-file-id", []string{"run", "--attach-file-id", ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := complete(t, kubeconfig, tc.args...)
			got := slices.Sorted(slices.Values(c.values))
			if !slices.Equal(got, tc.want) {
				t.Errorf("__complete %q suggests %q, want %q (stderr %q)", tc.args, got, tc.want, c.stderr)
			}
			if c.directive&cobra.ShellCompDirectiveError != 0 {
				t.Errorf("__complete %q ends in an error directive %d", tc.args, c.directive)
			}
			if !strings.HasPrefix(tc.args[len(tc.args)-1], "-") && c.directive&cobra.ShellCompDirectiveNoFileComp == 0 {
				t.Errorf("__complete %q lets the shell fall back to file names (directive %d)", tc.args, c.directive)
			}
		})
	}
}

// TestAttachCompletesFileNames proves that --attach lets the shell complete file names (of any
// extension: text files of every kind can be attached), as kubectl does for -f.
func TestAttachCompletesFileNames(t *testing.T) {
	for _, args := range [][]string{{"send", "alpha", "hi", "--attach", ""}, {"send", "alpha", "hi", "--attach", "./scr"}, {"run", "--attach", "./mock"}} {
		c := complete(t, kubeconfig, args...)
		if len(c.values) != 0 || c.directive != cobra.ShellCompDirectiveDefault {
			t.Errorf("__complete %q: %q, directive %d; want the shell's file names (directive %d)", args, c.values, c.directive, cobra.ShellCompDirectiveDefault)
		}
	}
}

// TestCompletionWithoutACluster proves completion with no reachable cluster (a server that accepts
// connections and never answers, and a closed port) ends quickly with no suggestion and no error.
func TestCompletionWithoutACluster(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	go holdConnections(silent)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	for name, server := range map[string]string{"a server that never answers": silent.Addr().String(), "a closed port": closedAddr} {
		t.Run(name, func(t *testing.T) {
			config := writeKubeconfig(t, "https://"+server)
			for _, args := range [][]string{{"status", ""}, {"vault", "status", ""}, {"get", "vaults", ""}, {"run", "--agent", ""}, {"approve", "alpha", ""}, {"-n", ""}} {
				c := complete(t, config, args...)
				if len(c.values) != 0 || c.directive != cobra.ShellCompDirectiveNoFileComp {
					t.Errorf("__complete %q without a cluster: %q, directive %d", args, c.values, c.directive)
				}
				if c.took > completionTimeout+2*time.Second {
					t.Errorf("__complete %q took %s without a cluster; the bound is %s", args, c.took, completionTimeout)
				}
			}
		})
	}
	t.Run("no kubeconfig at all", func(t *testing.T) {
		c := complete(t, filepath.Join(t.TempDir(), "missing"), "status", "")
		if len(c.values) != 0 || c.directive != cobra.ShellCompDirectiveNoFileComp {
			t.Errorf("__complete without a kubeconfig: %q, directive %d", c.values, c.directive)
		}
	})
}

// holdConnections accepts connections and never answers them, like a cluster behind a dead VPN.
func holdConnections(l net.Listener) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		conns = append(conns, c)
	}
}

// writeKubeconfig writes a kubeconfig whose one cluster is server.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, server)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
