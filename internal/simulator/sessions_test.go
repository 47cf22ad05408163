// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

func pinned(id string, version int64) anthropic.BetaSessionNewParamsAgentUnion {
	return anthropic.BetaSessionNewParamsAgentUnion{OfBetaManagedAgentsAgents: &anthropic.BetaManagedAgentsAgentParams{ID: id, Version: anthropic.Int(version)}}
}

func TestSessionCreate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	a := h.agent(ctx, anthropic.BetaAgentNewParams{System: anthropic.String("v1 prompt")})
	if _, err := h.client.Beta.Agents.Update(ctx, a.ID, anthropic.BetaAgentUpdateParams{System: anthropic.String("v2 prompt")}); err != nil {
		t.Fatal(err)
	}
	env := h.env(ctx)
	vault := h.vault(ctx)

	t.Run("pinned version with resources, budget and metadata", func(t *testing.T) {
		s, err := h.client.Beta.Sessions.New(ctx, anthropic.BetaSessionNewParams{
			Agent: pinned(a.ID, 1), EnvironmentID: env.ID, Title: anthropic.String("fix CI"),
			Metadata: map[string]string{"k8s.uid": "abcd"}, VaultIDs: []string{vault.ID},
			Budget: anthropic.BetaManagedAgentsBudgetLimitParam{MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: "2500", Currency: "USD"}},
			Resources: []anthropic.BetaSessionNewParamsResourceUnion{
				{OfGitHubRepository: &anthropic.BetaManagedAgentsGitHubRepositoryResourceParams{URL: "https://github.com/acme/app",
					AuthorizationToken: "ghp_secret", Checkout: anthropic.BetaManagedAgentsGitHubRepositoryResourceParamsCheckoutUnion{
						OfBranch: &anthropic.BetaManagedAgentsBranchCheckoutParam{Name: "main"}}}},
				{OfFile: &anthropic.BetaManagedAgentsFileResourceParams{FileID: "file_1"}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		checkPinnedSession(t, s, a.ID, env.ID, vault.ID)
		checkSessionResources(t, s)
	})
	t.Run("agent id string means the latest version", func(t *testing.T) {
		s := h.session(ctx, anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}, EnvironmentID: env.ID})
		if s.Agent.Version != 2 || s.Agent.System != "v2 prompt" || s.JSON.Budget.Raw() != "null" || len(s.VaultIDs) != 0 {
			t.Fatalf("session %s", s.RawJSON())
		}
	})
	t.Run("agent with overrides is session-local", func(t *testing.T) {
		s := h.session(ctx, anthropic.BetaSessionNewParams{EnvironmentID: env.ID, Agent: anthropic.BetaSessionNewParamsAgentUnion{
			OfBetaManagedAgentsAgentWithOverridess: &anthropic.BetaManagedAgentsAgentWithOverridesParams{ID: a.ID, System: anthropic.String("override")}}})
		got, err := h.client.Beta.Agents.Get(ctx, a.ID, anthropic.BetaAgentGetParams{})
		if s.Agent.System != "override" || s.Agent.Version != 2 || err != nil || got.System != "v2 prompt" {
			t.Fatalf("session %s agent %v", s.RawJSON(), err)
		}
	})

	archivedAgent := h.agent(ctx, anthropic.BetaAgentNewParams{})
	if _, err := h.client.Beta.Agents.Archive(ctx, archivedAgent.ID, anthropic.BetaAgentArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	archivedEnv := h.env(ctx)
	if _, err := h.client.Beta.Environments.Archive(ctx, archivedEnv.ID, anthropic.BetaEnvironmentArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	agentRef := anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}
	cases := []struct {
		name    string
		p       anthropic.BetaSessionNewParams
		opts    []option.RequestOption
		status  int
		errType string
		msg     string
	}{
		{"unknown agent", anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String("agent_nope")}, EnvironmentID: env.ID}, nil, 404, "not_found_error", "agent_nope"},
		{"unknown agent version", anthropic.BetaSessionNewParams{Agent: pinned(a.ID, 7), EnvironmentID: env.ID}, nil, 404, "not_found_error", "version 7"},
		{"archived agent", anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(archivedAgent.ID)}, EnvironmentID: env.ID}, nil, 400, "invalid_request_error", "archived"},
		{"unknown environment", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: "env_nope"}, nil, 404, "not_found_error", "env_nope"},
		{"archived environment", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: archivedEnv.ID}, nil, 400, "invalid_request_error", "archived"},
		{"environment_id missing", anthropic.BetaSessionNewParams{Agent: agentRef}, []option.RequestOption{option.WithJSONDel("environment_id")}, 400, "invalid_request_error", "environment_id: field required"},
		{"agent missing", anthropic.BetaSessionNewParams{EnvironmentID: env.ID}, nil, 400, "invalid_request_error", "agent: field required"},
		{"repository url", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: env.ID, Resources: []anthropic.BetaSessionNewParamsResourceUnion{
			{OfGitHubRepository: &anthropic.BetaManagedAgentsGitHubRepositoryResourceParams{URL: "ftp://example.com/x"}}}}, nil, 400, "invalid_request_error", "resources[0].url"},
		{"budget amount", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: env.ID, Budget: anthropic.BetaManagedAgentsBudgetLimitParam{
			MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: "25.00", Currency: "USD"}}}, nil, 400, "invalid_request_error", "budget.max_list_cost.amount"},
		{"vault id", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: env.ID, VaultIDs: []string{"nope"}}, nil, 400, "invalid_request_error", "vault_ids[0]"},
		{"initial event type", anthropic.BetaSessionNewParams{Agent: agentRef, EnvironmentID: env.ID}, []option.RequestOption{
			option.WithJSONSet("initial_events", []any{map[string]any{"type": "user.interrupt"}})}, 400, "invalid_request_error", "initial_events[0].type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.Beta.Sessions.New(ctx, tc.p, tc.opts...)
			wantAPIError(t, err, tc.status, tc.errType, tc.msg)
		})
	}
}

// checkPinnedSession checks the fields of TestSessionCreate's session on
// version 1 of agentID.
func checkPinnedSession(t *testing.T, s *anthropic.BetaManagedAgentsSession, agentID, envID, vaultID string) {
	t.Helper()
	if !strings.HasPrefix(s.ID, "sesn_") || s.Status != "idle" || s.Agent.Version != 1 || s.Agent.System != "v1 prompt" ||
		s.Agent.ID != agentID || s.EnvironmentID != envID || s.Title != "fix CI" || s.Metadata["k8s.uid"] != "abcd" ||
		s.VaultIDs[0] != vaultID || s.Budget.MaxListCost.Amount != "2500" {
		t.Fatalf("session %s", s.RawJSON())
	}
	if strings.Contains(s.RawJSON(), "ghp_secret") {
		t.Fatal("authorization_token was echoed")
	}
}

// checkSessionResources checks the resolved repository and file resources of
// TestSessionCreate's pinned session, and its zero usage.
func checkSessionResources(t *testing.T, s *anthropic.BetaManagedAgentsSession) {
	t.Helper()
	repo, file := s.Resources[0], s.Resources[1]
	if repo.MountPath != "/workspace/app" || repo.Checkout.Name != "main" || !strings.HasPrefix(repo.ID, "sesrsc_") ||
		file.MountPath != "/mnt/session/uploads/file_1" || file.FileID != "file_1" {
		t.Fatalf("resources %s", s.RawJSON())
	}
	if s.Usage.InputTokens != 0 || s.Usage.JSON.ListCost.Raw() != "null" || s.JSON.DeploymentID.Raw() != "null" ||
		len(s.OutcomeEvaluations) != 0 || s.JSON.ArchivedAt.Raw() != "null" {
		t.Fatalf("usage %s", s.RawJSON())
	}
}

func TestSessionList(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	a1, a2 := h.agent(ctx, anthropic.BetaAgentNewParams{}), h.agent(ctx, anthropic.BetaAgentNewParams{})
	env := h.env(ctx)
	var ids []string // creation order
	for i := 0; i < 25; i++ {
		a := a1
		if i%5 == 0 {
			a = a2
		}
		ids = append(ids, h.session(ctx, anthropic.BetaSessionNewParams{Agent: anthropic.BetaSessionNewParamsAgentUnion{OfString: anthropic.String(a.ID)}, EnvironmentID: env.ID}).ID)
	}
	collect := func(p anthropic.BetaSessionListParams) []string {
		var out []string
		pager := h.client.Beta.Sessions.ListAutoPaging(ctx, p)
		for pager.Next() {
			out = append(out, pager.Current().ID)
		}
		if err := pager.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Run("default order is newest first, auto-paging sees all", func(t *testing.T) {
		got := collect(anthropic.BetaSessionListParams{Limit: anthropic.Int(4)})
		if len(got) != 25 || got[0] != ids[24] || got[24] != ids[0] {
			t.Fatalf("got %d, first %s", len(got), got[0])
		}
	})
	t.Run("asc order", func(t *testing.T) {
		got := collect(anthropic.BetaSessionListParams{Limit: anthropic.Int(10), Order: "asc"})
		if len(got) != 25 || got[0] != ids[0] {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("filter by agent", func(t *testing.T) {
		if got := collect(anthropic.BetaSessionListParams{AgentID: anthropic.String(a2.ID)}); len(got) != 5 {
			t.Fatalf("got %d sessions of agent 2", len(got))
		}
	})
	t.Run("next and prev pages", func(t *testing.T) { checkSessionPages(ctx, t, h, ids) })
	t.Run("statuses and archived", func(t *testing.T) {
		if _, err := h.client.Beta.Sessions.Archive(ctx, ids[3], anthropic.BetaSessionArchiveParams{}); err != nil {
			t.Fatal(err)
		}
		if got := collect(anthropic.BetaSessionListParams{Statuses: []string{"idle"}}); len(got) != 24 {
			t.Fatalf("idle non-archived: %d", len(got))
		}
		if got := collect(anthropic.BetaSessionListParams{Statuses: []string{"running"}}); len(got) != 0 {
			t.Fatalf("running: %d", len(got))
		}
		if got := collect(anthropic.BetaSessionListParams{IncludeArchived: anthropic.Bool(true)}); len(got) != 25 {
			t.Fatalf("with archived: %d", len(got))
		}
		_, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{Statuses: []string{"sleeping"}})
		wantAPIError(t, err, 400, "invalid_request_error", "statuses")
	})
}

// checkSessionPages walks forward and back through pages of 10 of the
// sessions ids (in creation order), and wants a cursor refused in the other order.
func checkSessionPages(ctx context.Context, t *testing.T, h *harness, ids []string) {
	t.Helper()
	p1, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{Limit: anthropic.Int(10), Order: "asc"})
	if err != nil || p1.PrevPage != "" || p1.NextPage == "" || p1.Data[0].ID != ids[0] {
		t.Fatalf("page 1: %v prev %q next %q", err, p1.PrevPage, p1.NextPage)
	}
	p2, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{Limit: anthropic.Int(10), Page: anthropic.String(p1.NextPage)})
	if err != nil || p2.Data[0].ID != ids[10] || p2.PrevPage == "" {
		t.Fatalf("page 2: %v %q", err, p2.PrevPage)
	}
	back, err := h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{Limit: anthropic.Int(10), Page: anthropic.String(p2.PrevPage)})
	if err != nil || len(back.Data) != 10 || back.Data[0].ID != ids[0] || back.Data[9].ID != ids[9] {
		t.Fatalf("prev page: %v %d", err, len(back.Data))
	}
	_, err = h.client.Beta.Sessions.List(ctx, anthropic.BetaSessionListParams{Order: "desc", Page: anthropic.String(p1.NextPage)})
	wantAPIError(t, err, 400, "invalid_request_error", "order")
}

func TestSessionUpdate(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{Metadata: map[string]string{"a": "1", "b": "2"},
		Budget: anthropic.BetaManagedAgentsBudgetLimitParam{MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: "100", Currency: "USD"}}})
	stream := h.open(ctx, s.ID)
	got, err := h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{Title: anthropic.String("renamed"),
		Metadata: map[string]string{"c": "3"}}, option.WithJSONSet("metadata.a", nil))
	if err != nil || got.Title != "renamed" || len(got.Metadata) != 2 || got.Metadata["c"] != "3" || got.Metadata["b"] != "2" {
		t.Fatalf("%v %s", err, got.RawJSON())
	}
	ev := readUntil(t, stream, func(e streamEvent) bool { return e.Type == "session.updated" })
	upd := last(ev).AsSessionUpdated()
	if upd.Title != "renamed" || upd.Metadata["c"] != "3" || upd.JSON.Budget.Valid() {
		t.Fatalf("session.updated %s", last(ev).RawJSON())
	}
	_, err = h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{VaultIDs: []string{"vlt_x"}})
	wantAPIError(t, err, 400, "invalid_request_error", "vault_ids")
	_, err = h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{Budget: anthropic.BetaManagedAgentsBudgetLimitParam{
		MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: "5000", Currency: "USD"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.Beta.Sessions.Update(ctx, "sesn_nope", anthropic.BetaSessionUpdateParams{Title: anthropic.String("x")})
	wantAPIError(t, err, 404, "not_found_error", "")

	t.Run("a session created without a budget cannot get one", func(t *testing.T) {
		plain := h.session(ctx, anthropic.BetaSessionNewParams{})
		_, err := h.client.Beta.Sessions.Update(ctx, plain.ID, anthropic.BetaSessionUpdateParams{Budget: anthropic.BetaManagedAgentsBudgetLimitParam{
			MaxListCost: anthropic.BetaMonetaryAmountParam{Amount: "5000", Currency: "USD"}}})
		if apiErr := requireAPIError(t, err, 400, "invalid_request_error", "budget"); apiErr.ErrorCode() != "budget_create_only" {
			t.Fatalf("error_code %q", apiErr.ErrorCode())
		}
	})
}

// TestSessionArchiveAndDelete: both are refused while running; delete ends
// open streams with session.deleted.
func TestSessionArchiveAndDelete(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	stream := h.open(ctx, s.ID)
	h.send(ctx, s.ID, userMessage("[[slow:30s]] take your time"))
	readUntil(t, stream, func(e streamEvent) bool { return e.Type == "agent.thinking" })

	_, err := h.client.Beta.Sessions.Archive(ctx, s.ID, anthropic.BetaSessionArchiveParams{})
	wantAPIError(t, err, 400, "invalid_request_error", "running")
	_, err = h.client.Beta.Sessions.Delete(ctx, s.ID, anthropic.BetaSessionDeleteParams{})
	wantAPIError(t, err, 400, "invalid_request_error", "running")

	h.send(ctx, s.ID, interrupt())
	idle := readUntil(t, stream, isTurnEnd)
	if r := last(idle).StopReason.Type; r != "end_turn" || sessionStatus(h, s.ID) != "idle" {
		t.Fatalf("after interrupt: %s %s", r, sessionStatus(h, s.ID))
	}

	del, err := h.client.Beta.Sessions.Delete(ctx, s.ID, anthropic.BetaSessionDeleteParams{})
	if err != nil || del.ID != s.ID || del.Type != "session_deleted" {
		t.Fatalf("%v %+v", err, del)
	}
	rest := readUntil(t, stream, func(e streamEvent) bool { return e.Type == "session.deleted" })
	if last(rest).ID == "" {
		t.Fatal("session.deleted without id")
	}
	if stream.Next() || stream.Err() != nil {
		t.Fatalf("stream should end cleanly after session.deleted, err %v", stream.Err())
	}
	_, err = h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
	wantAPIError(t, err, 404, "not_found_error", s.ID)
	if _, ok := h.sim.Session(s.ID); ok {
		t.Fatal("deleted session still visible from Go")
	}

	t.Run("archive makes the session read-only", func(t *testing.T) {
		s := h.session(ctx, anthropic.BetaSessionNewParams{})
		got, err := h.client.Beta.Sessions.Archive(ctx, s.ID, anthropic.BetaSessionArchiveParams{})
		if err != nil || got.ArchivedAt.IsZero() {
			t.Fatalf("%v %+v", err, got)
		}
		_, err = h.client.Beta.Sessions.Events.Send(ctx, s.ID, anthropic.BetaSessionEventSendParams{
			Events: []anthropic.BetaManagedAgentsEventParamsUnion{userMessage("hi")}})
		wantAPIError(t, err, 409, "invalid_request_error", "archived")
		_, err = h.client.Beta.Sessions.Update(ctx, s.ID, anthropic.BetaSessionUpdateParams{Title: anthropic.String("x")})
		wantAPIError(t, err, 400, "invalid_request_error", "archived")
		if _, err := h.client.Beta.Sessions.Delete(ctx, s.ID, anthropic.BetaSessionDeleteParams{}); err != nil {
			t.Fatalf("an archived session can be deleted: %v", err)
		}
	})
}

// TestSessionUsageGrows: usage and stats accumulate turn by turn.
func TestSessionUsageGrows(t *testing.T) {
	h := newHarness(t, simulator.Options{})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	var prevTokens int64
	var prevCost string
	for i := 0; i < 3; i++ {
		evs := h.prompt(ctx, s.ID, "[[tool:web_search]] hello")
		if _, ok := find(evs, "session.usage"); !ok {
			t.Fatalf("no session.usage in %v", types(evs))
		}
		got, err := h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
		if err != nil {
			t.Fatal(err)
		}
		u := got.Usage
		if u.InputTokens+u.OutputTokens <= prevTokens || u.ListCost.Currency != "USD" || u.ListCost.Amount == prevCost ||
			u.ServerToolUse.WebSearchRequests != int64(i+1) || got.Stats.ActiveSeconds <= 0 || got.Stats.DurationSeconds <= 0 {
			t.Fatalf("turn %d usage %s stats %s", i, u.RawJSON(), got.Stats.RawJSON())
		}
		prevTokens, prevCost = u.InputTokens+u.OutputTokens, u.ListCost.Amount
	}
}
