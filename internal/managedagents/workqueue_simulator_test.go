// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestWorkClientAgainstSimulator drives the dispatcher's side of the queue through WorkClient
// against the simulator: claim (poll, ack, first heartbeat), keep the lease, lose it to a stale
// token, read the stats and the list, and stop the item twice.
func TestWorkClientAgainstSimulator(t *testing.T) {
	wc, sessionID := selfHostedSessionThroughSimulator(t)
	ctx := testContext(t)
	w, lease := claimThroughWorkClient(t, wc, sessionID)
	next, err := wc.Heartbeat(ctx, w.ID, lease, 30*time.Second)
	if err != nil || next.TTLSeconds != 30 {
		t.Fatalf("second heartbeat: %+v, %v", next, err)
	}
	if _, err := wc.Heartbeat(ctx, w.ID, lease, 0); !IsLeaseLost(err) {
		t.Fatalf("stale heartbeat: %v, want a lost lease", err)
	}
	stats, err := wc.Stats(ctx)
	if err != nil || stats.Depth != 0 || stats.WorkersPolling != 1 {
		t.Fatalf("stats: %+v, %v", stats, err)
	}
	var states []string
	if err := wc.List(ctx, func(item WorkItem) bool { states = append(states, string(item.State)); return true }); err != nil ||
		len(states) != 1 || states[0] != WorkStateActive {
		t.Fatalf("list: %v, %v", states, err)
	}
	for i := range 2 { // the second stop meets a stopped item, which is not an error
		if err := wc.Stop(ctx, w.ID, true); err != nil {
			t.Fatalf("stop %d: %v", i+1, err)
		}
	}
}

// selfHostedSessionThroughSimulator creates a self-hosted environment and a session on it in a
// simulator, and returns the environment's work client and the session's id.
func selfHostedSessionThroughSimulator(t *testing.T) (WorkClient, string) {
	sim := simulator.New(simulator.Options{StepDelay: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	ctx := testContext(t)
	api := anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
	env, err := api.Beta.Environments.New(ctx, NewEnvironmentParams(selfHostedSpec(), "sandboxes", testOwner))
	if err != nil {
		t.Fatal(err)
	}
	agentParams, _ := NewAgentParams(&v1alpha1.AgentSpec{Name: "a", Model: v1alpha1.ModelConfig{ID: "claude-sonnet-4-6"}}, nil)
	agent, err := api.Beta.Agents.New(ctx, agentParams)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := api.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(agent.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := sim.EnvironmentKey(env.ID)
	return NewFactory(FactoryOptions{BaseURL: srv.URL}).WorkClientFor(env.ID, key), sess.ID
}

// claimThroughWorkClient claims the session's item as the dispatcher does: poll, ack, first
// heartbeat. It returns the item and the lease token.
func claimThroughWorkClient(t *testing.T, wc WorkClient, sessionID string) (*WorkItem, string) {
	ctx := testContext(t)
	w, err := wc.Poll(ctx, PollOptions{Block: time.Second, WorkerID: "dispatcher-1"})
	if err != nil || w == nil || w.Data.ID != sessionID || w.Secret == "" {
		t.Fatalf("poll: %+v, %v", w, err)
	}
	if empty, err := wc.Poll(ctx, PollOptions{}); err != nil || empty != nil {
		t.Fatalf("second poll: %+v, %v; want no item", empty, err)
	}
	if _, err := wc.Ack(ctx, w.ID); err != nil {
		t.Fatalf("ack: %v", err)
	}
	lease, err := wc.Heartbeat(ctx, w.ID, NoHeartbeat, 0)
	if err != nil || lease.State != WorkStateActive {
		t.Fatalf("first heartbeat: %+v, %v", lease, err)
	}
	return w, lease.LastHeartbeat
}
