// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestWorkItemLifecycle walks one work item through the queue the way the SDK's worker does, and
// checks each answer against the API's documented semantics.
func TestWorkItemLifecycle(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	w := checkPollHidesTheItem(ctx, t, sh, sid)
	first := checkAckStartsTheLease(ctx, t, sh, w.ID)
	second := sh.heartbeat(ctx, w.ID, first)
	if second <= first {
		t.Fatalf("second token %q is not after the first %q", second, first)
	}
	checkStopSequence(ctx, t, sh, w.ID, second)

	// The stopped item's sessions token no longer opens anything.
	revoked := bearerClient(sh.url, sessionsToken(t, w.Secret))
	_, err := revoked.Beta.Sessions.Get(ctx, sid, anthropic.BetaSessionGetParams{})
	wantAPIError(t, err, http.StatusUnauthorized, "authentication_error", "stopped")
	got, err := sh.client.Beta.Environments.Work.Get(ctx, w.ID, anthropic.BetaEnvironmentWorkGetParams{EnvironmentID: sh.envID})
	if err != nil || got.State != "stopped" || got.StoppedAt == "" || got.StartedAt == "" || got.Secret != "" {
		t.Fatalf("work item %+v (%v), want stopped with its times and no secret", got, err)
	}
}

// checkPollHidesTheItem: a new session on a self-hosted environment is queued for a worker, and a
// polled item is hidden from other polls while it waits for its ack (pending, not depth).
func checkPollHidesTheItem(ctx context.Context, t *testing.T, sh *selfHosted, sid string) *anthropic.BetaSelfHostedWork {
	w := sh.poll(ctx, 0)
	if w == nil || w.Data.ID != sid || w.Data.Type != "session" || w.State != "queued" || w.EnvironmentID != sh.envID {
		t.Fatalf("polled %+v, want the queued item of session %s", w, sid)
	}
	sessionsToken(t, w.Secret)
	if again := sh.poll(ctx, 0); again != nil {
		t.Fatalf("a second poll returned %s before the reclaim window", again.ID)
	}
	stats, err := sh.worker.Beta.Environments.Work.Stats(ctx, sh.envID, anthropic.BetaEnvironmentWorkStatsParams{})
	if err != nil || stats.Depth != 0 || stats.Pending != 1 || stats.WorkersPolling != 1 || stats.OldestQueuedAt == "" {
		t.Fatalf("stats %+v (%v), want depth 0, pending 1, one worker polling", stats, err)
	}
	return w
}

// checkAckStartsTheLease: no lease before the ack; the ack moves queued to starting, once; the
// first heartbeat makes the item active; a stale expectation is a lost lease (412 with the
// server's lease state). It returns the lease token.
func checkAckStartsTheLease(ctx context.Context, t *testing.T, sh *selfHosted, workID string) string {
	work := sh.worker.Beta.Environments.Work
	_, err := sh.heartbeatErr(ctx, sh.worker, workID, "NO_HEARTBEAT")
	wantAPIError(t, err, http.StatusConflict, "invalid_request_error", "acknowledge it")
	acked, err := work.Ack(ctx, workID, anthropic.BetaEnvironmentWorkAckParams{EnvironmentID: sh.envID})
	if err != nil || acked.State != "starting" || acked.AcknowledgedAt == "" || acked.Secret != "" {
		t.Fatalf("ack %+v (%v), want starting, acknowledged, no secret", acked, err)
	}
	_, err = work.Ack(ctx, workID, anthropic.BetaEnvironmentWorkAckParams{EnvironmentID: sh.envID})
	wantAPIError(t, err, http.StatusConflict, "invalid_request_error", "only a queued item")

	first, err := sh.heartbeatErr(ctx, sh.worker, workID, "NO_HEARTBEAT")
	if err != nil || first.State != "active" || !first.LeaseExtended || first.TTLSeconds != 120 || first.LastHeartbeat == "" {
		t.Fatalf("first heartbeat %+v (%v)", first, err)
	}
	_, err = sh.heartbeatErr(ctx, sh.worker, workID, "NO_HEARTBEAT")
	apiErr := requireAPIError(t, err, http.StatusPreconditionFailed, "invalid_request_error", "precondition failed")
	var body struct {
		Error struct {
			Details struct {
				ErrorCode    string         `json:"error_code"`
				CurrentState map[string]any `json:"current_state"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(apiErr.RawJSON()), &body)
	if d := body.Error.Details; d.ErrorCode != "heartbeat_precondition_failed" || d.CurrentState["state"] != "active" ||
		d.CurrentState["last_heartbeat"] != first.LastHeartbeat {
		t.Fatalf("412 details %+v, want heartbeat_precondition_failed with the active lease", d)
	}
	return first.LastHeartbeat
}

// checkStopSequence: a graceful stop asks the worker to drain (heartbeats then report stopping,
// uncompared); a second stop confirms; a stopped item's heartbeat says so; it stops only once.
func checkStopSequence(ctx context.Context, t *testing.T, sh *selfHosted, workID, lease string) {
	if err := sh.stop(ctx, sh.worker, workID, false); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if l, err := sh.heartbeatErr(ctx, sh.worker, workID, "NO_HEARTBEAT"); err != nil || l.State != "stopping" {
		t.Fatalf("heartbeat while stopping %+v (%v), want state stopping without a 412", l, err)
	}
	if err := sh.stop(ctx, sh.worker, workID, false); err != nil {
		t.Fatalf("confirming stop: %v", err)
	}
	if l, err := sh.heartbeatErr(ctx, sh.worker, workID, lease); err != nil || l.State != "stopped" || l.LeaseExtended {
		t.Fatalf("heartbeat after stop %+v (%v), want stopped, not extended", l, err)
	}
	wantAPIError(t, sh.stop(ctx, sh.worker, workID, true), http.StatusConflict, "invalid_request_error", "already stopped")
}

// TestWorkCredentials checks which credential each endpoint takes: the worker side of the queue
// refuses the API key, the environment key opens only its environment, and a sessions token only
// its own item and session.
func TestWorkCredentials(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	other := sh.startSession(ctx, sandboxAgentParams(), "")
	mine, _ := sh.claim(ctx)
	if mine.Data.ID != sid {
		t.Fatalf("claimed the item of %s first, want %s", mine.Data.ID, sid)
	}
	theirs := sh.poll(ctx, 999)
	token := bearerClient(sh.url, sessionsToken(t, mine.Secret))
	otherEnv := newSelfHosted(t, simulator.Options{})
	foreignKey := bearerClient(sh.url, otherEnv.key) // a key of another simulator: unknown here

	poll := func(c anthropic.Client) error {
		_, err := c.Beta.Environments.Work.Poll(ctx, sh.envID, anthropic.BetaEnvironmentWorkPollParams{})
		return err
	}
	getSession := func(c anthropic.Client, id string) error {
		_, err := c.Beta.Sessions.Get(ctx, id, anthropic.BetaSessionGetParams{})
		return err
	}
	cases := []struct {
		name   string
		call   func() error
		status int // 0: allowed
	}{
		{"the API key cannot poll", func() error { return poll(sh.client) }, http.StatusUnauthorized},
		{"the environment key polls", func() error { return poll(sh.worker) }, 0},
		{"the environment key cannot list agents", func() error {
			_, err := sh.worker.Beta.Agents.List(ctx, anthropic.BetaAgentListParams{})
			return err
		}, http.StatusUnauthorized},
		{"the environment key reads its environment's sessions", func() error { return getSession(sh.worker, sid) }, 0},
		{"the environment key cannot read a work item's details", func() error {
			_, err := sh.worker.Beta.Environments.Work.Get(ctx, mine.ID, anthropic.BetaEnvironmentWorkGetParams{EnvironmentID: sh.envID})
			return err
		}, http.StatusUnauthorized},
		{"the API key reads a work item's details", func() error {
			_, err := sh.client.Beta.Environments.Work.Get(ctx, mine.ID, anthropic.BetaEnvironmentWorkGetParams{EnvironmentID: sh.envID})
			return err
		}, 0},
		{"the API key reads the queue's stats", func() error {
			_, err := sh.client.Beta.Environments.Work.Stats(ctx, sh.envID, anthropic.BetaEnvironmentWorkStatsParams{})
			return err
		}, 0},
		{"an unknown key is an invalid API key", func() error { return poll(foreignKey) }, http.StatusUnauthorized},
		{"a sessions token heartbeats its own item", func() error {
			_, err := sh.heartbeatErr(ctx, token, mine.ID, "NO_HEARTBEAT")
			var apiErr *anthropic.Error
			if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusPreconditionFailed {
				return nil // authorized; the lease is the dispatcher's
			}
			return err
		}, 0},
		{"a sessions token reads its own session", func() error { return getSession(token, sid) }, 0},
		{"a sessions token cannot read another session", func() error { return getSession(token, other) }, http.StatusForbidden},
		{"a sessions token cannot stop another item", func() error { return sh.stop(ctx, token, theirs.ID, true) }, http.StatusForbidden},
		{"a sessions token cannot poll", func() error { return poll(token) }, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Fatalf("got %v, want HTTP %d", err, tc.status)
			}
		})
	}
}

// TestLapsedLeaseRequeuesTheItem: an acknowledged item whose lease runs out goes back to the queue
// and is delivered again, and its former holder learns on its next heartbeat that the lease is gone.
func TestLapsedLeaseRequeuesTheItem(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{WorkLeaseTTL: 300 * time.Millisecond})
	ctx := testCtx(t)
	sh.startSession(ctx, sandboxAgentParams(), "")
	w, lease := sh.claim(ctx)
	eventually(t, "the lease to lapse", func() bool { return sh.workState(w.ID).State == "queued" })

	again := sh.poll(ctx, 999)
	if again == nil || again.ID != w.ID {
		t.Fatalf("polled %+v after the lapse, want %s again", again, w.ID)
	}
	if info := sh.workState(w.ID); info.Deliveries != 2 || info.LeaseRequeues != 1 {
		t.Fatalf("item %+v, want 2 deliveries and 1 lapsed lease", info)
	}
	_, err := sh.heartbeatErr(ctx, sh.worker, w.ID, lease)
	apiErr := requireAPIError(t, err, http.StatusPreconditionFailed, "invalid_request_error", "actual was NULL")
	if apiErr.ErrorCode() != "heartbeat_precondition_failed" {
		t.Fatalf("error code %q", apiErr.ErrorCode())
	}
}

// TestLoseLeaseFault: the lose_lease fault takes the lease away right before a heartbeat.
func TestLoseLeaseFault(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sh.startSession(ctx, sandboxAgentParams(), "")
	w, lease := sh.claim(ctx)
	sh.sim.LoseNextLease()
	_, err := sh.heartbeatErr(ctx, sh.worker, w.ID, lease)
	wantAPIError(t, err, http.StatusPreconditionFailed, "invalid_request_error", "precondition failed")
	if st := sh.workState(w.ID).State; st != "queued" {
		t.Fatalf("state %s after the lost lease, want queued", st)
	}
	// The fault fired once: the next claim keeps its lease.
	w, lease = sh.claim(ctx)
	sh.heartbeat(ctx, w.ID, lease)
}

// TestPollReclaimsUnacknowledgedWork: an item a worker polled but never acknowledged is delivered
// again once reclaim_older_than_ms has passed.
func TestPollReclaimsUnacknowledgedWork(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	sh.startSession(ctx, sandboxAgentParams(), "")
	first := sh.poll(ctx, 0)
	time.Sleep(60 * time.Millisecond)
	again, err := sh.worker.Beta.Environments.Work.Poll(ctx, sh.envID, anthropic.BetaEnvironmentWorkPollParams{
		ReclaimOlderThanMs: param.NewOpt(int64(50))})
	if err != nil || again == nil || again.ID != first.ID {
		t.Fatalf("reclaiming poll %+v (%v), want %s", again, err, first.ID)
	}
}

// TestLongPollWakesForNewWork: a poll that waits with block_ms returns the item created meanwhile,
// and an empty queue answers null once block_ms has passed.
func TestLongPollWakesForNewWork(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{})
	ctx := testCtx(t)
	start := time.Now()
	if w := sh.poll(ctx, 200); w != nil || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("empty queue: polled %+v after %v, want null after block_ms", w, time.Since(start))
	}
	got := make(chan *anthropic.BetaSelfHostedWork, 1)
	go func() {
		w, _ := sh.worker.Beta.Environments.Work.Poll(ctx, sh.envID, anthropic.BetaEnvironmentWorkPollParams{BlockMs: param.NewOpt(int64(999))})
		got <- w
	}()
	time.Sleep(50 * time.Millisecond)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	if w := <-got; w == nil || w.Data.ID != sid {
		t.Fatalf("long poll returned %+v, want the item of %s", w, sid)
	}
	_, err := sh.worker.Beta.Environments.Work.Poll(ctx, sh.envID, anthropic.BetaEnvironmentWorkPollParams{BlockMs: param.NewOpt(int64(1000))})
	wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error", "block_ms")
}

// TestConfiguredEnvironmentKey: Options.EnvironmentKey opens every self-hosted environment (so a
// demo can create its Secret before the environment exists), and each environment's own key can
// be read over the admin API.
func TestConfiguredEnvironmentKey(t *testing.T) {
	sh := newSelfHosted(t, simulator.Options{EnvironmentKey: "demo-environment-key"})
	ctx := testCtx(t)
	sid := sh.startSession(ctx, sandboxAgentParams(), "")
	demo := bearerClient(sh.url, "demo-environment-key")
	w, err := demo.Beta.Environments.Work.Poll(ctx, sh.envID, anthropic.BetaEnvironmentWorkPollParams{})
	if err != nil || w == nil || w.Data.ID != sid {
		t.Fatalf("poll with the configured key: %+v, %v", w, err)
	}
	cloud := sh.env(ctx)
	_, err = demo.Beta.Environments.Work.Poll(ctx, cloud.ID, anthropic.BetaEnvironmentWorkPollParams{})
	wantAPIError(t, err, http.StatusForbidden, "permission_error", "does not grant access")

	resp, err := http.Get(sh.url + "/_simulator/environments/" + sh.envID + "/environment-key")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var got struct {
		EnvironmentKey string `json:"environment_key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.EnvironmentKey != sh.key {
		t.Fatalf("admin API key %q (%v), want %q", got.EnvironmentKey, err, sh.key)
	}
}
