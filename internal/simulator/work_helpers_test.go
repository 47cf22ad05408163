// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// selfHosted is a harness with one self-hosted environment, its environment key, and a client
// that authenticates as that environment's workers.
type selfHosted struct {
	*harness
	envID  string
	key    string
	worker anthropic.Client
}

func newSelfHosted(t *testing.T, opts simulator.Options) *selfHosted {
	t.Helper()
	h := newHarness(t, opts)
	ctx := testCtx(t)
	env, err := h.client.Beta.Environments.New(ctx, anthropic.BetaEnvironmentNewParams{Name: uniqueName("sandboxes"),
		Config: anthropic.BetaEnvironmentNewParamsConfigUnion{OfSelfHosted: &anthropic.BetaSelfHostedConfigParams{}}})
	if err != nil {
		t.Fatalf("create self-hosted environment: %v", err)
	}
	key, ok := h.sim.EnvironmentKey(env.ID)
	if !ok || key == "" {
		t.Fatalf("no environment key for %s", env.ID)
	}
	return &selfHosted{harness: h, envID: env.ID, key: key, worker: bearerClient(h.url, key)}
}

// bearerClient authenticates with a bearer token only, as the SDK's worker does with an
// environment key or a work item's sessions token.
func bearerClient(url, token string) anthropic.Client {
	return anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithBaseURL(url),
		option.WithAuthToken(token), option.WithMaxRetries(0))
}

// sandboxAgentParams has the built-in toolset with the default always_allow policy.
func sandboxAgentParams() anthropic.BetaAgentNewParams {
	return anthropic.BetaAgentNewParams{Name: uniqueName("sandbox-agent"), Model: model("claude-sonnet-4-6"),
		Tools: []anthropic.BetaAgentNewParamsToolUnion{{OfAgentToolset20260401: &anthropic.BetaManagedAgentsAgentToolset20260401Params{}}}}
}

// startSession creates a session in the self-hosted environment, with an opening message unless
// prompt is empty.
func (sh *selfHosted) startSession(ctx context.Context, agent anthropic.BetaAgentNewParams, prompt string) string {
	sh.t.Helper()
	p := anthropic.BetaSessionNewParams{EnvironmentID: sh.envID,
		Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(sh.agent(ctx, agent).ID)}}
	if prompt != "" {
		p.InitialEvents = []anthropic.BetaSessionNewParamsInitialEventUnion{{OfUserMessage: userMessage(prompt).OfUserMessage}}
	}
	return sh.session(ctx, p).ID
}

// poll polls once, without waiting, and returns the item or nil.
func (sh *selfHosted) poll(ctx context.Context, blockMs int64) *anthropic.BetaSelfHostedWork {
	sh.t.Helper()
	p := anthropic.BetaEnvironmentWorkPollParams{AnthropicWorkerID: param.NewOpt("test-worker")}
	if blockMs > 0 {
		p.BlockMs = param.NewOpt(blockMs)
	}
	w, err := sh.worker.Beta.Environments.Work.Poll(ctx, sh.envID, p)
	if err != nil {
		sh.t.Fatalf("poll: %v", err)
	}
	if w == nil || w.ID == "" {
		return nil
	}
	return w
}

// claim polls, acknowledges and heartbeats the next item, as a dispatcher does before it hands
// the item to a runner, and returns the item and its lease token.
func (sh *selfHosted) claim(ctx context.Context) (*anthropic.BetaSelfHostedWork, string) {
	sh.t.Helper()
	w := sh.poll(ctx, 999)
	if w == nil {
		sh.t.Fatal("no work item to claim")
	}
	if _, err := sh.worker.Beta.Environments.Work.Ack(ctx, w.ID, anthropic.BetaEnvironmentWorkAckParams{EnvironmentID: sh.envID}); err != nil {
		sh.t.Fatalf("ack: %v", err)
	}
	return w, sh.heartbeat(ctx, w.ID, "NO_HEARTBEAT")
}

func (sh *selfHosted) heartbeat(ctx context.Context, workID, expected string) string {
	sh.t.Helper()
	l, err := sh.heartbeatErr(ctx, sh.worker, workID, expected)
	if err != nil {
		sh.t.Fatalf("heartbeat: %v", err)
	}
	return l.LastHeartbeat
}

func (sh *selfHosted) heartbeatErr(ctx context.Context, c anthropic.Client, workID, expected string) (*anthropic.BetaSelfHostedWorkHeartbeatResponse, error) {
	return c.Beta.Environments.Work.Heartbeat(ctx, workID, anthropic.BetaEnvironmentWorkHeartbeatParams{
		EnvironmentID: sh.envID, ExpectedLastHeartbeat: param.NewOpt(expected)})
}

// stop stops an item; the API answers 204, which the SDK can only take as a raw response.
func (sh *selfHosted) stop(ctx context.Context, c anthropic.Client, workID string, force bool) error {
	p := anthropic.BetaEnvironmentWorkStopParams{EnvironmentID: sh.envID}
	if force {
		p.BetaSelfHostedWorkStopRequest.Force = param.NewOpt(true)
	}
	var raw *http.Response
	_, err := c.Beta.Environments.Work.Stop(ctx, workID, p, option.WithResponseBodyInto(&raw))
	if raw != nil {
		_ = raw.Body.Close()
		if err == nil && raw.StatusCode != http.StatusNoContent {
			sh.t.Errorf("stop answered %d, want 204", raw.StatusCode)
		}
	}
	return err
}

// workState is the simulator's view of an item.
func (sh *selfHosted) workState(workID string) simulator.WorkInfo {
	sh.t.Helper()
	items, err := sh.sim.WorkItems(sh.envID)
	if err != nil {
		sh.t.Fatal(err)
	}
	for _, w := range items {
		if w.ID == workID {
			return w
		}
	}
	sh.t.Fatalf("no work item %s", workID)
	return simulator.WorkInfo{}
}

// sessionsToken decodes the sessions token out of a work item's secret.
func sessionsToken(t *testing.T, secret string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil {
		t.Fatalf("secret is not URL-safe base64: %v", err)
	}
	var payload struct {
		SessionsToken string `json:"sessions_token"`
	}
	if err := json.Unmarshal(raw, &payload); err != nil || payload.SessionsToken == "" {
		t.Fatalf("secret payload %s has no sessions_token (%v)", raw, err)
	}
	return payload.SessionsToken
}

func toolResultParam(id, text string, isError bool) anthropic.BetaManagedAgentsEventParamsUnion {
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserToolResult: &anthropic.BetaManagedAgentsUserToolResultEventParams{
		ToolUseID: id, IsError: param.NewOpt(isError),
		Content: []anthropic.BetaManagedAgentsUserToolResultEventParamsContentUnion{{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: text}}},
	}}
}
