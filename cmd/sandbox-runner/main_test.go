// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// runnerBin is the sandbox runner built once for the package's tests: they run it as the sandbox
// Pod would, a separate process configured only by its environment.
var runnerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandbox-runner-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runnerBin = filepath.Join(dir, "sandbox-runner")
	if out, err := exec.Command("go", "build", "-o", runnerBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the runner: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// sandbox is a simulator with a self-hosted environment, and a work item that the test claimed
// the way the dispatcher does: poll, ack, first heartbeat.
type sandbox struct {
	t         *testing.T
	sim       *simulator.Server
	url       string
	api       anthropic.Client
	envID     string
	envKey    string
	sessionID string
	work      *managedagents.WorkItem
	lease     string
	workspace string
	creds     string // directory of the credential files, as a Secret volume would hold them
}

func newSandbox(t *testing.T, prompt string) *sandbox {
	t.Helper()
	sim := simulator.New(simulator.Options{StepDelay: time.Millisecond, WorkLeaseTTL: 2 * time.Second})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	ctx := testContext(t)
	sb := &sandbox{t: t, sim: sim, url: srv.URL, workspace: t.TempDir(), creds: t.TempDir(),
		api: anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-api-key"), option.WithMaxRetries(0))}
	env, err := sb.api.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: "sandboxes",
		Config: anthropic.BetaEnvironmentNewParamsConfigUnion{OfSelfHosted: &anthropic.BetaSelfHostedConfigParams{}}})
	if err != nil {
		t.Fatal(err)
	}
	sb.envID = env.ID
	sb.envKey, _ = sim.EnvironmentKey(env.ID)
	agent, err := sb.api.Beta.Agents.New(ctx, anthropic.BetaAgentNewParams{Name: "coder",
		Model: anthropic.BetaManagedAgentsModelConfigParams{ID: "claude-sonnet-4-6"},
		Tools: []anthropic.BetaAgentNewParamsToolUnion{{OfAgentToolset20260401: &anthropic.BetaManagedAgentsAgentToolset20260401Params{}}}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sb.api.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(agent.ID)},
		InitialEvents: []anthropic.BetaSessionNewParamsInitialEventUnion{{OfUserMessage: &anthropic.BetaManagedAgentsUserMessageEventParams{
			Content: []anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: prompt}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	sb.sessionID = sess.ID
	sb.claim(ctx)
	return sb
}

// claim does what the dispatcher does before it creates the Pod.
func (sb *sandbox) claim(ctx context.Context) {
	wc := managedagents.NewFactory(managedagents.FactoryOptions{BaseURL: sb.url}).WorkClientFor(sb.envID, sb.envKey)
	w, err := wc.Poll(ctx, managedagents.PollOptions{Block: managedagents.MaxPollBlock, WorkerID: "test-dispatcher"})
	if err != nil || w == nil || w.Data.ID != sb.sessionID {
		sb.t.Fatalf("poll: %+v, %v", w, err)
	}
	if _, err := wc.Ack(ctx, w.ID); err != nil {
		sb.t.Fatalf("ack: %v", err)
	}
	lease, err := wc.Heartbeat(ctx, w.ID, managedagents.NoHeartbeat, 0)
	if err != nil {
		sb.t.Fatalf("first heartbeat: %v", err)
	}
	sb.work, sb.lease = w, lease.LastHeartbeat
}

// file writes a credential file and returns its path.
func (sb *sandbox) file(name, content string) string {
	path := filepath.Join(sb.creds, name)
	if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
		sb.t.Fatal(err)
	}
	return path
}

// env is the runner's environment as the dispatcher sets it, with the work secret as the only
// credential. PATH and HOME come from the test's environment; nothing else does, so an
// ANTHROPIC_* variable of the machine running the tests cannot leak in.
func (sb *sandbox) env() map[string]string {
	return map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		envBaseURL: sb.url, envEnvironmentID: sb.envID, envWorkID: sb.work.ID, envSessionID: sb.sessionID,
		envLastHeartbeat: sb.lease, envWorkSecretFile: sb.file("work-secret", sb.work.Secret),
		envWorkspace: sb.workspace, envMaxIdle: "500ms", envTerminationLog: filepath.Join(sb.creds, "termination-log"),
	}
}

// secrets are the credentials that must never appear in the runner's output.
func (sb *sandbox) secrets() []string {
	raw, _ := base64.RawURLEncoding.DecodeString(sb.work.Secret)
	var payload map[string]string
	_ = json.Unmarshal(raw, &payload)
	out := []string{sb.envKey, sb.work.Secret}
	for _, v := range payload {
		out = append(out, v)
	}
	return out
}

// runner starts the runner binary; wait returns its exit code and combined output.
type runner struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startRunner(t *testing.T, env map[string]string) *runner {
	t.Helper()
	r := &runner{cmd: exec.Command(runnerBin)}
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

func (r *runner) wait(t *testing.T) (int, string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("runner: %v", err)
		}
		return r.cmd.ProcessState.ExitCode(), r.out.String()
	case <-time.After(60 * time.Second):
		_ = r.cmd.Process.Kill()
		if err := <-done; err != nil {
			t.Logf("killed runner: %v", err)
		}
		t.Fatalf("the runner did not exit within 60s:\n%s", r.out.String())
		return 0, ""
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (sb *sandbox) agentMessages() []string {
	var out []string
	pager := sb.api.Beta.Sessions.Events.ListAutoPaging(testContext(sb.t), sb.sessionID, anthropic.BetaSessionEventListParams{})
	for pager.Next() {
		if ev := pager.Current(); ev.Type == "agent.message" {
			for _, c := range ev.AsAgentMessage().Content {
				out = append(out, c.Text)
			}
		}
	}
	return out
}

func (sb *sandbox) countEvents(typ string) int {
	n := 0
	pager := sb.api.Beta.Sessions.Events.ListAutoPaging(testContext(sb.t), sb.sessionID, anthropic.BetaSessionEventListParams{})
	for pager.Next() {
		if pager.Current().Type == typ {
			n++
		}
	}
	return n
}

func (sb *sandbox) workState() string {
	items, err := sb.sim.WorkItems(sb.envID)
	if err != nil {
		sb.t.Fatal(err)
	}
	for _, w := range items {
		if w.ID == sb.work.ID {
			return w.State
		}
	}
	return ""
}

func (sb *sandbox) checkNoSecrets(output string) {
	sb.t.Helper()
	for _, s := range sb.secrets() {
		if s != "" && strings.Contains(output, s) {
			sb.t.Errorf("the runner's output holds a credential (%.12s...)", s)
		}
	}
}

func (sb *sandbox) terminationLog() string {
	b, _ := os.ReadFile(filepath.Join(sb.creds, "termination-log"))
	return string(b)
}

// TestRunnerRunsTheSessionsCommands is the end to end case: the runner continues the claimed
// lease, runs the agent's bash command in the workspace, the agent quotes its real output, the
// work item stops once the session is idle, and no credential reaches the runner's output.
func TestRunnerRunsTheSessionsCommands(t *testing.T) {
	cases := []struct {
		name, why string
		creds     func(sb *sandbox, env map[string]string)
	}{
		{name: "work secret only", why: "the recommended Pod holds only this session's credential"},
		{name: "environment key only", why: "without a secret the environment key authorizes every call",
			creds: func(sb *sandbox, env map[string]string) {
				delete(env, envWorkSecretFile)
				env[envEnvKeyFile] = sb.file("environment-key", sb.envKey)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := newSandbox(t, "[[bash:echo hello-from-sandbox > out.txt; cat out.txt]]")
			env := sb.env()
			if tc.creds != nil {
				tc.creds(sb, env)
			}
			code, out := startRunner(t, env).wait(t)
			if code != int(exitCompleted) {
				t.Fatalf("exit code %d, want 0 (%s):\n%s", code, tc.why, out)
			}
			if msgs := sb.agentMessages(); !containsText(msgs, "I ran `echo hello-from-sandbox > out.txt; cat out.txt`; it printed:\nhello-from-sandbox") {
				t.Errorf("agent messages %q do not quote the command's output", msgs)
			}
			if b, err := os.ReadFile(filepath.Join(sb.workspace, "out.txt")); err != nil || string(b) != "hello-from-sandbox\n" {
				t.Errorf("out.txt in the workspace: %q, %v", b, err)
			}
			if st := sb.workState(); st != "stopped" {
				t.Errorf("work item %s after the runner exited, want stopped", st)
			}
			if !strings.HasPrefix(sb.terminationLog(), "Completed:") {
				t.Errorf("termination log %q", sb.terminationLog())
			}
			if !strings.Contains(out, `"msg":"Work item finished"`) {
				t.Errorf("no finish line in the runner's log:\n%s", out)
			}
			sb.checkNoSecrets(out)
		})
	}
}

// TestRunnerOutcomes covers the other ways a runner ends, each with its exit code.
func TestRunnerOutcomes(t *testing.T) {
	t.Run("a lost lease leaves the item to the queue", func(t *testing.T) {
		sb := newSandbox(t, "[[slow:30s]]")
		r := startRunner(t, sb.env())
		eventuallyStreams(t, sb)
		sb.sim.LoseNextLease()
		code, out := r.wait(t)
		if code != int(exitLeaseLost) || sb.workState() != "queued" || !strings.HasPrefix(sb.terminationLog(), "LeaseLost:") {
			t.Fatalf("exit %d, item %s, termination log %q; want 3, queued, LeaseLost:\n%s", code, sb.workState(), sb.terminationLog(), out)
		}
		sb.checkNoSecrets(out)
	})
	t.Run("a lost lease posts no result for the tool it interrupted", func(t *testing.T) {
		// The item goes back to the queue; the sandbox that claims it next runs the command,
		// so this runner must not answer the tool call with its cancellation.
		sb := newSandbox(t, "[[bash:sleep 20; echo late]]")
		r := startRunner(t, sb.env())
		eventuallyStreams(t, sb)
		time.Sleep(500 * time.Millisecond) // the command runs
		sb.sim.LoseNextLease()
		code, out := r.wait(t)
		if code != int(exitLeaseLost) || sb.workState() != "queued" {
			t.Fatalf("exit %d, item %s; want 3, queued:\n%s", code, sb.workState(), out)
		}
		if n := sb.countEvents("user.tool_result"); n != 0 {
			t.Fatalf("the runner posted %d tool results after it lost the lease:\n%s", n, out)
		}
	})
	t.Run("SIGTERM stops the item", func(t *testing.T) {
		sb := newSandbox(t, "[[slow:30s]]")
		r := startRunner(t, sb.env())
		eventuallyStreams(t, sb)
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		code, out := r.wait(t)
		if code != int(exitInterrupted) || sb.workState() != "stopped" {
			t.Fatalf("exit %d, item %s; want 4, stopped:\n%s", code, sb.workState(), out)
		}
	})
	t.Run("a stale lease token fails the first heartbeat", func(t *testing.T) {
		// The claimer heartbeated after it started the Pod: the runner's token is stale, and the
		// item stays with the claimer.
		sb := newSandbox(t, "hello")
		env := sb.env()
		env[envLastHeartbeat] = "2020-01-01T00:00:00Z"
		code, out := startRunner(t, env).wait(t)
		if code != int(exitLeaseLost) || sb.workState() != "active" {
			t.Fatalf("exit %d, item %s; want 3, active:\n%s", code, sb.workState(), out)
		}
	})
}

// TestRunnerConfiguration: a bad input stops the runner before it calls the API, with a message
// that names the input and never a credential.
func TestRunnerConfiguration(t *testing.T) {
	sb := newSandbox(t, "hello")
	cases := []struct {
		name, want string
		edit       func(env map[string]string)
	}{
		{"missing work id", envWorkID + " is required", func(env map[string]string) { delete(env, envWorkID) }},
		{"credential in the environment", envWorkSecret + " is set", func(env map[string]string) { env[envWorkSecret] = sb.work.Secret }},
		{"no credential", "no credential", func(env map[string]string) { delete(env, envWorkSecretFile) }},
		{"unreadable secret file", envWorkSecretFile + ": cannot read", func(env map[string]string) { env[envWorkSecretFile] = "/nonexistent/secret" }},
		{"workspace missing", envWorkspace, func(env map[string]string) { env[envWorkspace] = "/nonexistent/workspace" }},
		{"bad idle timeout", envMaxIdle, func(env map[string]string) { env[envMaxIdle] = "soon" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb.sim.ResetStats()
			env := sb.env()
			tc.edit(env)
			code, out := startRunner(t, env).wait(t)
			if code != int(exitMisconfigured) || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 2 with %q:\n%s", code, tc.want, out)
			}
			if n := len(sb.sim.Stats()); n != 0 {
				t.Errorf("a misconfigured runner called the API: %v", sb.sim.Stats())
			}
			sb.checkNoSecrets(out)
		})
	}
}

// eventuallyStreams waits until the runner follows the session's event stream.
func eventuallyStreams(t *testing.T, sb *sandbox) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if info, _ := sb.sim.Session(sb.sessionID); info.Streams > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the runner never opened the session's stream")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsText(msgs []string, want string) bool {
	for _, m := range msgs {
		if strings.Contains(m, want) {
			return true
		}
	}
	return false
}

// TestInstallCopiesTheRunner: the init container's step copies a working runner into the shared
// volume; anything else is a usage error.
func TestInstallCopiesTheRunner(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "bin", "sandbox-runner")
	if out, err := exec.Command(runnerBin, "install", dst).CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	info, err := os.Stat(dst)
	if err != nil || info.Mode().Perm() != 0o555 {
		t.Fatalf("installed runner %v, %v; want mode 0555", info, err)
	}
	// The copy is the runner: without inputs it says what is missing.
	copied := exec.Command(dst)
	copied.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := copied.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != int(exitMisconfigured) || !strings.Contains(string(out), envEnvironmentID) {
		t.Fatalf("the copy: %v\n%s", err, out)
	}
	if err := exec.Command(runnerBin, "uninstall").Run(); !errors.As(err, &exit) || exit.ExitCode() != int(exitMisconfigured) {
		t.Fatalf("an unknown subcommand: %v, want exit 2", err)
	}
}
