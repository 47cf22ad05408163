// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/lib/environments"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// These tests run the SDK's own self-hosted worker (lib/environments) against the simulator: the
// poll loop, the lease heartbeat, the session tool runner and the agent toolset executing real
// commands in a temporary workspace.

// workerLog is a log file that the worker's goroutines share (file writes are safe for
// concurrent use), read back whole by the test.
type workerLog struct{ f *os.File }

func newWorkerLog(t *testing.T) *workerLog {
	f, err := os.CreateTemp(t.TempDir(), "worker-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return &workerLog{f: f}
}

func (l *workerLog) String() string {
	b, _ := os.ReadFile(l.f.Name())
	return string(b)
}

// sdkWorker builds the SDK's worker for the environment, logging into logs.
func (sh *selfHosted) sdkWorker(workdir string, logs *workerLog) *environments.EnvironmentWorker {
	maxIdle := 300 * time.Millisecond
	return environments.NewEnvironmentWorker(newClient(sh.url, 0), environments.EnvironmentWorkerOptions{
		EnvironmentID: sh.envID, EnvironmentKey: sh.key, Workdir: workdir, MaxIdle: &maxIdle,
		MemorySyncInterval: -1, Logger: slog.New(slog.NewTextHandler(logs.f, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

// agentMessages returns the text of every agent.message in the session's history.
func (sh *selfHosted) agentMessages(ctx context.Context, sessionID string) []string {
	var out []string
	pager := sh.client.Beta.Sessions.Events.ListAutoPaging(ctx, sessionID, anthropic.BetaSessionEventListParams{})
	for pager.Next() {
		if ev := pager.Current(); ev.Type == "agent.message" {
			for _, c := range ev.AsAgentMessage().Content {
				out = append(out, c.Text)
			}
		}
	}
	return out
}

func (sh *selfHosted) waitForMessage(ctx context.Context, sessionID, want string) {
	sh.t.Helper()
	eventually(sh.t, "an agent message with "+want, func() bool {
		for _, m := range sh.agentMessages(ctx, sessionID) {
			if strings.Contains(m, want) {
				return true
			}
		}
		return false
	})
}

func (sh *selfHosted) noSecretsIn(logs string, secrets ...string) {
	sh.t.Helper()
	for _, s := range append(secrets, sh.key) {
		if s != "" && strings.Contains(logs, s) {
			sh.t.Errorf("the worker's log holds a credential (%.12s...)", s)
		}
	}
}

// TestSDKWorkerRunsSandboxTools: EnvironmentWorker.Run claims the session's work item, runs the
// agent's bash command in its workspace, posts the real output (which the agent quotes), and
// force-stops the item once the session has been idle for MaxIdle.
func TestSDKWorkerRunsSandboxTools(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{WorkLeaseTTL: 2 * time.Second})
	ctx := testCtx(t)
	dir := t.TempDir()
	sid := sh.startSession(ctx, sandboxAgentParams(), "[[bash:echo hello-from-sandbox > out.txt; cat out.txt]]")

	logs := newWorkerLog(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sh.sdkWorker(dir, logs).Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	sh.waitForMessage(ctx, sid, "it printed:\nhello-from-sandbox")
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "hello-from-sandbox\n" {
		t.Fatalf("out.txt in the workspace: %q, %v", b, err)
	}
	items, _ := sh.sim.WorkItems(sh.envID)
	if len(items) != 1 || items[0].Deliveries != 1 {
		t.Fatalf("work items %+v, want one, delivered once", items)
	}
	eventually(t, "the worker to stop the idle session's item", func() bool { return sh.workState(items[0].ID).State == "stopped" })
	sh.noSecretsIn(logs.String())
}

// TestSDKHandleItemContinuesALease: a dispatcher claims the item and starts its lease, then hands
// it to HandleItem with the lease token; HandleItem continues that lease (no NO_HEARTBEAT, no
// poll) with the item's own sessions token and no environment key.
func TestSDKHandleItemContinuesALease(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{WorkLeaseTTL: 2 * time.Second})
	ctx := testCtx(t)
	dir := t.TempDir()
	sid := sh.startSession(ctx, sandboxAgentParams(), "[[tool:write:notes.txt]] [[bash:cat notes.txt]]")
	w, lease := sh.claim(ctx)
	sh.sim.ResetStats()

	logs := newWorkerLog(t)
	worker := environments.NewEnvironmentWorker(newClient(sh.url, 0), environments.EnvironmentWorkerOptions{
		Workdir: dir, MaxIdle: ptr(300 * time.Millisecond), MemorySyncInterval: -1,
		Logger: slog.New(slog.NewTextHandler(logs.f, nil))})
	err := worker.HandleItem(ctx, environments.HandleItemOptions{WorkID: w.ID, EnvironmentID: sh.envID, SessionID: sid,
		WorkSecret: w.Secret, ExpectedLastHeartbeat: lease})
	if err != nil {
		t.Fatalf("HandleItem: %v\n%s", err, logs.String())
	}
	if msgs := sh.agentMessages(ctx, sid); !slices.ContainsFunc(msgs, func(m string) bool {
		return strings.Contains(m, "it printed:\nwritten by the simulator")
	}) {
		t.Fatalf("messages %q, want the written file quoted", msgs)
	}
	stats := sh.sim.Stats()
	if stats["GET /v1/environments/{id}/work/poll"] != 0 || stats["POST /v1/environments/{id}/work/{work_id}/stop"] != 1 {
		t.Errorf("requests %v: HandleItem must not poll, and must stop the item once", stats)
	}
	if st := sh.workState(w.ID).State; st != "stopped" {
		t.Fatalf("item %s, want stopped", st)
	}
	sh.noSecretsIn(logs.String(), sessionsToken(t, w.Secret))
}

// TestSDKWorkerLeaseLost: a lease lost mid-session (the simulator's lose_lease fault) makes the
// SDK's worker let go without stopping the item, which is back in the queue for another sandbox.
func TestSDKWorkerLeaseLost(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{WorkLeaseTTL: 2 * time.Second})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "[[slow:20s]]")
	w, lease := sh.claim(ctx)
	sh.sim.ResetStats()

	logs := newWorkerLog(t)
	done := make(chan error, 1)
	go func() {
		done <- sh.sdkWorker(t.TempDir(), logs).HandleItem(ctx, environments.HandleItemOptions{
			WorkID: w.ID, EnvironmentID: sh.envID, SessionID: sid, ExpectedLastHeartbeat: lease})
	}()
	// Lose the lease once the worker serves the session: its stream is open.
	eventually(t, "the worker to follow the session", func() bool {
		info, _ := sh.sim.Session(sid)
		return info.Streams > 0
	})
	sh.sim.LoseNextLease()
	start := time.Now()
	if err := <-done; err != nil {
		t.Fatalf("HandleItem: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("HandleItem took %v to notice the lost lease", time.Since(start))
	}
	if !strings.Contains(logs.String(), "lease lost; released without stopping it") {
		t.Fatalf("the worker did not report a lost lease:\n%s", logs.String())
	}
	if n := sh.sim.Stats()["POST /v1/environments/{id}/work/{work_id}/stop"]; n != 0 {
		t.Errorf("%d stops of an item the worker no longer held", n)
	}
	if st := sh.workState(w.ID).State; st != "queued" {
		t.Fatalf("item %s after the lost lease, want queued", st)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSDKWorkerInstallsSkills: with only the work item's sessions token, the SDK's worker
// downloads the agent's custom skill into the workspace, where the agent's commands find it.
func TestSDKWorkerInstallsSkills(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{WorkLeaseTTL: 2 * time.Second})
	ctx := testCtx(t)
	skill := sh.skill(ctx, map[string]string{"pdf-tools/SKILL.md": skillMD("pdf-tools", "Read PDFs")})
	agentParams := sandboxAgentParams()
	agentParams.Skills = []anthropic.BetaManagedAgentsSkillParamsUnion{{OfCustom: &anthropic.BetaManagedAgentsCustomSkillParams{SkillID: skill.ID}}}
	sid := sh.startSession(ctx, agentParams, "[[bash:cat skills/pdf-tools/SKILL.md]]")
	w, lease := sh.claim(ctx)

	logs := newWorkerLog(t)
	worker := environments.NewEnvironmentWorker(newClient(sh.url, 0), environments.EnvironmentWorkerOptions{
		Workdir: t.TempDir(), MaxIdle: ptr(300 * time.Millisecond), Logger: slog.New(slog.NewTextHandler(logs.f, nil))})
	if err := worker.HandleItem(ctx, environments.HandleItemOptions{WorkID: w.ID, EnvironmentID: sh.envID,
		SessionID: sid, WorkSecret: w.Secret, ExpectedLastHeartbeat: lease}); err != nil {
		t.Fatalf("HandleItem: %v\n%s", err, logs.String())
	}
	if msgs := sh.agentMessages(ctx, sid); !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "description: Read PDFs") }) {
		t.Fatalf("messages %q, want the skill's SKILL.md\n%s", msgs, logs.String())
	}
	sh.noSecretsIn(logs.String(), sessionsToken(t, w.Secret))
}

// TestSessionsTokenOpensTheSessionsMemory: the SDK's worker syncs a session's memory stores with
// the item's sessions token, which opens the stores attached to that session and no other; the
// environment key opens none (the API rejects it there).
func TestSessionsTokenOpensTheSessionsMemory(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	attached, other := sh.memoryStore(ctx, "team-notes"), sh.memoryStore(ctx, "other-notes")
	sh.session(ctx, anthropic.BetaSessionNewParams{EnvironmentID: sh.envID,
		Agent:     anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(sh.agent(ctx, sandboxAgentParams()).ID)},
		Resources: []anthropic.BetaSessionNewParamsResourceUnion{memoryResource(attached.ID)}})
	w, _ := sh.claim(ctx)
	token := bearerClient(sh.url, sessionsToken(t, w.Secret))
	list := func(c anthropic.Client, storeID string) error {
		_, err := c.Beta.MemoryStores.Memories.List(ctx, storeID, anthropic.BetaMemoryStoreMemoryListParams{})
		return err
	}
	if err := list(token, attached.ID); err != nil {
		t.Fatalf("the sessions token cannot read its session's memory store: %v", err)
	}
	wantAPIError(t, list(token, other.ID), http.StatusForbidden, "permission_error", "does not grant access")
	wantAPIError(t, list(sh.worker, attached.ID), http.StatusUnauthorized, "authentication_error", "environment key")
}
