// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// deploymentHarness is a simulator on a settable clock with no scheduler goroutine: each test fires
// schedules itself, so nothing races the clock.
func deploymentHarness(t *testing.T) (*harness, *simulator.Clock) {
	clock := simulator.NewClock(time.Date(2026, 3, 2, 9, 0, 30, 0, time.UTC))
	return newHarness(t, simulator.Options{Now: clock.Now, ScheduleTick: -1}), clock
}

func (h *harness) deploymentParams(ctx context.Context, expr string) anthropic.BetaDeploymentNewParams {
	h.t.Helper()
	p := anthropic.BetaDeploymentNewParams{
		Name: uniqueName("nightly"), EnvironmentID: h.env(ctx).ID,
		InitialEvents: []anthropic.BetaManagedAgentsDeploymentInitialEventParamsUnion{
			anthropic.BetaManagedAgentsDeploymentInitialEventParamsOfUserMessage([]anthropic.BetaManagedAgentsUserMessageEventParamsContentUnion{
				{OfText: &anthropic.BetaManagedAgentsTextBlockParam{Text: "summarize the night"}}}),
		},
		Metadata: map[string]string{"team": "sre"},
	}
	p.Agent.OfString = param.NewOpt(h.agent(ctx, anthropic.BetaAgentNewParams{}).ID)
	if expr != "" {
		p.Schedule = anthropic.BetaManagedAgentsScheduleParams{Expression: expr, Timezone: "UTC"}
	}
	return p
}

func (h *harness) runs(ctx context.Context, deploymentID string) []anthropic.BetaManagedAgentsDeploymentRun {
	h.t.Helper()
	var out []anthropic.BetaManagedAgentsDeploymentRun
	pager := h.client.Beta.DeploymentRuns.ListAutoPaging(ctx, anthropic.BetaDeploymentRunListParams{DeploymentID: param.NewOpt(deploymentID)})
	for pager.Next() {
		out = append(out, pager.Current())
	}
	if err := pager.Err(); err != nil {
		h.t.Fatalf("list runs: %v", err)
	}
	return out
}

func TestDeploymentScheduleFiresOnTheClock(t *testing.T) {
	h, clock := deploymentHarness(t)
	ctx := testCtx(t)
	d, err := h.client.Beta.Deployments.New(ctx, h.deploymentParams(ctx, "* * * * *"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != anthropic.BetaManagedAgentsDeploymentStatusActive || len(d.Schedule.UpcomingRunsAt) != 5 {
		t.Fatalf("new deployment: status %q, upcoming %v", d.Status, d.Schedule.UpcomingRunsAt)
	}
	if n := h.sim.FireSchedules(); n != 0 {
		t.Fatalf("fired %d runs before the first fire time", n)
	}
	clock.Advance(time.Minute)
	if n := h.sim.FireSchedules(); n != 1 {
		t.Fatalf("fired %d runs at the first fire time, want 1", n)
	}
	// Ten minutes at once fire once (the latest), as a scheduler that fell behind does.
	clock.Advance(10 * time.Minute)
	if n := h.sim.FireSchedules(); n != 1 {
		t.Fatalf("fired %d runs after a jump, want 1", n)
	}
	runs := h.runs(ctx, d.ID)
	if len(runs) != 2 {
		t.Fatalf("got %d runs, want 2", len(runs))
	}
	newest := runs[0]
	if newest.TriggerContext.Type != "schedule" || !newest.TriggerContext.ScheduledAt.Equal(time.Date(2026, 3, 2, 9, 11, 0, 0, time.UTC)) {
		t.Fatalf("newest run trigger %+v", newest.TriggerContext)
	}
	sess, err := h.client.Beta.Sessions.Get(ctx, newest.SessionID, anthropic.BetaSessionGetParams{})
	if err != nil {
		t.Fatal(err)
	}
	if sess.DeploymentID != d.ID || sess.Agent.ID != d.Agent.ID {
		t.Fatalf("run session: deployment %q agent %q", sess.DeploymentID, sess.Agent.ID)
	}
	listed := h.client.Beta.Sessions.ListAutoPaging(ctx, anthropic.BetaSessionListParams{DeploymentID: param.NewOpt(d.ID)})
	count := 0
	for listed.Next() {
		count++
	}
	if count != 2 {
		t.Fatalf("sessions listed by deployment_id: %d, want 2", count)
	}
	got, err := h.client.Beta.Deployments.Get(ctx, d.ID, anthropic.BetaDeploymentGetParams{})
	if err != nil || got.Schedule.LastRunAt.IsZero() {
		t.Fatalf("schedule.last_run_at not set: %v %v", got.Schedule.LastRunAt, err)
	}
}

func TestDeploymentPauseHoldsTheScheduleNotManualRuns(t *testing.T) {
	h, clock := deploymentHarness(t)
	ctx := testCtx(t)
	d, err := h.client.Beta.Deployments.New(ctx, h.deploymentParams(ctx, "* * * * *"))
	if err != nil {
		t.Fatal(err)
	}
	if d, err = h.client.Beta.Deployments.Pause(ctx, d.ID, anthropic.BetaDeploymentPauseParams{}); err != nil || d.Status != "paused" || d.PausedReason.Type != "manual" {
		t.Fatalf("pause: %v %q %q", err, d.Status, d.PausedReason.Type)
	}
	clock.Advance(3 * time.Minute)
	if n := h.sim.FireSchedules(); n != 0 {
		t.Fatalf("a paused deployment fired %d runs", n)
	}
	run, err := h.client.Beta.Deployments.Run(ctx, d.ID, anthropic.BetaDeploymentRunParams{})
	if err != nil || run.TriggerContext.Type != "manual" || run.SessionID == "" {
		t.Fatalf("manual run of a paused deployment: %v %+v", err, run)
	}
	if _, err := h.client.Beta.Deployments.Unpause(ctx, d.ID, anthropic.BetaDeploymentUnpauseParams{}); err != nil {
		t.Fatal(err)
	}
	// Times missed while paused are not made up.
	if n := h.sim.FireSchedules(); n != 0 {
		t.Fatalf("unpausing fired %d missed runs", n)
	}
	clock.Advance(time.Minute)
	if n := h.sim.FireSchedules(); n != 1 {
		t.Fatalf("fired %d runs after unpausing, want 1", n)
	}
}

func TestDeploymentValidation(t *testing.T) {
	h, _ := deploymentHarness(t)
	ctx := testCtx(t)
	cases := []struct {
		name   string
		mutate func(*anthropic.BetaDeploymentNewParams)
		status int
	}{
		{name: "a 6-field cron is extended syntax the API refuses", mutate: func(p *anthropic.BetaDeploymentNewParams) {
			p.Schedule = anthropic.BetaManagedAgentsScheduleParams{Expression: "0 * * * * *", Timezone: "UTC"}
		}, status: http.StatusBadRequest},
		{name: "an unknown time zone is refused", mutate: func(p *anthropic.BetaDeploymentNewParams) {
			p.Schedule = anthropic.BetaManagedAgentsScheduleParams{Expression: "0 9 * * *", Timezone: "Mars/Base"}
		}, status: http.StatusBadRequest},
		{name: "initial events are required", mutate: func(p *anthropic.BetaDeploymentNewParams) { p.InitialEvents = nil }, status: http.StatusBadRequest},
		{name: "an unknown environment is a 404", mutate: func(p *anthropic.BetaDeploymentNewParams) { p.EnvironmentID = "env_011missing" }, status: http.StatusNotFound},
		{name: "an unknown agent is a 404", mutate: func(p *anthropic.BetaDeploymentNewParams) { p.Agent.OfString = param.NewOpt("agent_011missing") }, status: http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := h.deploymentParams(ctx, "")
			tc.mutate(&p)
			_, err := h.client.Beta.Deployments.New(ctx, p)
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Fatalf("create: %v, want HTTP %d", err, tc.status)
			}
		})
	}
}

func TestDeploymentUpdateArchiveAndRunErrors(t *testing.T) {
	h, clock := deploymentHarness(t)
	ctx := testCtx(t)
	p := h.deploymentParams(ctx, "*/5 * * * *")
	d, err := h.client.Beta.Deployments.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	// Metadata is a patch; a null schedule clears it.
	up, err := h.client.Beta.Deployments.Update(ctx, d.ID, anthropic.BetaDeploymentUpdateParams{
		Description: param.NewOpt("mornings"), Metadata: map[string]string{"tier": "gold"}})
	if err != nil || up.Description != "mornings" || up.Metadata["team"] != "sre" || up.Metadata["tier"] != "gold" {
		t.Fatalf("update: %v %q %v", err, up.Description, up.Metadata)
	}
	// An archived environment makes the next scheduled run fail and pauses the deployment.
	if _, err := h.client.Beta.Environments.Archive(ctx, p.EnvironmentID, anthropic.BetaEnvironmentArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	h.sim.FireSchedules()
	runs := h.runs(ctx, d.ID)
	if len(runs) != 1 || runs[0].Error.Type != "environment_archived_error" || runs[0].SessionID != "" {
		t.Fatalf("runs after the environment was archived: %+v", runs)
	}
	got, err := h.client.Beta.Deployments.Get(ctx, d.ID, anthropic.BetaDeploymentGetParams{})
	if err != nil || got.Status != "paused" || got.PausedReason.Type != "error" || got.PausedReason.Error.Type != "environment_archived_error" {
		t.Fatalf("deployment after a failed scheduled run: %v %q %+v", err, got.Status, got.PausedReason)
	}
	if _, err := h.client.Beta.Deployments.Archive(ctx, d.ID, anthropic.BetaDeploymentArchiveParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Beta.Deployments.Run(ctx, d.ID, anthropic.BetaDeploymentRunParams{}); err == nil {
		t.Fatal("an archived deployment ran")
	}
}
