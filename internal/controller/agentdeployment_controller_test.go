// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// A schedule that fires every minute, on a clock the test advances: each run shows up as a Session
// owned by the AgentDeployment, followed to its end, and the history limits keep exactly N of each.
func TestAgentDeploymentScheduledRunsKeepHistory(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("nightly", "summarize the night")
	d.Spec.Schedule = &v1alpha1.DeploymentSchedule{Cron: "* * * * *"}
	d.Spec.SuccessfulRunsHistoryLimit, d.Spec.FailedRunsHistoryLimit = intPtr(2), intPtr(1)
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	d = waitDeployment(t, key, "deployment Ready and scheduled", func(d *v1alpha1.AgentDeployment) bool {
		return isReady(d.Status.Conditions) && conditionIs(d.Status.Conditions, v1alpha1.ConditionScheduled, metav1.ConditionTrue, controller.ReasonScheduled) &&
			d.Status.NextScheduleTime != nil
	})
	remote := w.remoteDeployment(t, d.Status.ID)
	if remote.Schedule.Expression != "* * * * *" || remote.Schedule.Timezone != "UTC" || remote.Agent.ID != w.agent.Status.ID {
		t.Fatalf("remote deployment: schedule %q %q agent %s", remote.Schedule.Expression, remote.Schedule.Timezone, remote.Agent.ID)
	}

	for i := range 3 {
		w.fireOnce(t, d, i)
		waitRunPhases(t, d, "every run Succeeded", func(p map[v1alpha1.SessionPhase]int) bool {
			return p[v1alpha1.SessionSucceeded] == min(i+1, 2) && len(p) == 1
		})
	}
	// The next runs are refused by the model: they fail.
	setDeployment(t, key, func(d *v1alpha1.AgentDeployment) { d.Spec.Prompt = "[[refuse]] please" })
	waitDeployment(t, key, "the new prompt applied", func(d *v1alpha1.AgentDeployment) bool {
		return d.Status.ObservedGeneration == d.Generation && isReady(d.Status.Conditions)
	})
	for i := 3; i < 5; i++ {
		w.fireOnce(t, d, i)
		waitDeployment(t, key, "the last run Failed", func(d *v1alpha1.AgentDeployment) bool {
			return d.Status.LastRun != nil && d.Status.LastRun.Phase == v1alpha1.SessionFailed && len(w.remoteRuns(t, d.Status.ID)) == i+1
		})
	}
	waitRunPhases(t, d, "2 succeeded and 1 failed run kept", func(p map[v1alpha1.SessionPhase]int) bool {
		return p[v1alpha1.SessionSucceeded] == 2 && p[v1alpha1.SessionFailed] == 1 && len(p) == 2
	})

	d = waitDeployment(t, key, "status of the runs", func(d *v1alpha1.AgentDeployment) bool {
		return len(d.Status.ActiveRuns) == 0 && d.Status.LastScheduleTime != nil && d.Status.LastRun.Trigger == v1alpha1.RunTriggerSchedule
	})
	assertRunSessionsFollowed(t, d)
	// The history limits deleted two run Sessions; each archived its remote session (runDeletionPolicy Archive).
	// Releasing goes through each Session's finalizer, which a loaded machine may take a while to run.
	deadline := time.Now().Add(3 * eventuallyLimit)
	for archived := 0; archived != 2; archived = w.archivedRunSessions(t, d.Status.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("%d remote sessions of pruned runs archived, want 2", archived)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertRunSessionsFollowed checks that each run Session is owned by the deployment, labelled with
// its run, and was followed: it has the remote id and the events of its conversation.
func assertRunSessionsFollowed(t *testing.T, d *v1alpha1.AgentDeployment) {
	t.Helper()
	for _, s := range runSessionsOf(t, d) {
		owner := metav1.GetControllerOf(&s)
		if owner == nil || owner.UID != d.UID || s.Labels[v1alpha1.LabelRun] == "" || s.Labels[v1alpha1.LabelTrigger] != "Schedule" || s.Spec.ExternalID == "" {
			t.Errorf("run Session %s: owner %v labels %v externalID %q", s.Name, owner, s.Labels, s.Spec.ExternalID)
		}
		if s.Status.ID != s.Spec.ExternalID || s.Status.EventCount == 0 {
			t.Errorf("run Session %s was not followed: id %q events %d", s.Name, s.Status.ID, s.Status.EventCount)
		}
	}
}

// archivedRunSessions counts the deployment's runs whose remote session is archived.
func (w *deploymentWorld) archivedRunSessions(t *testing.T, deploymentID string) int {
	archived := 0
	for _, run := range w.remoteRuns(t, deploymentID) {
		sess, err := w.api.Beta.Sessions.Get(context.Background(), run.SessionID, anthropic.BetaSessionGetParams{})
		if err == nil && !sess.ArchivedAt.IsZero() {
			archived++
		}
	}
	return archived
}

// waitRunPhases waits until the deployment's run Sessions have phases that check accepts.
func waitRunPhases(t *testing.T, d *v1alpha1.AgentDeployment, what string, check func(map[v1alpha1.SessionPhase]int) bool) {
	t.Helper()
	eventually(t, what, func() (bool, string) {
		p := countPhases(runSessionsOf(t, d))
		return check(p), fmt.Sprint(p)
	})
}

// setDeployment changes an AgentDeployment's spec, retrying on conflicts.
func setDeployment(t *testing.T, key client.ObjectKey, change func(*v1alpha1.AgentDeployment)) {
	t.Helper()
	eventually(t, "update "+key.Name, func() (bool, string) {
		var d v1alpha1.AgentDeployment
		if err := k8s.Get(context.Background(), key, &d); err != nil {
			return false, err.Error()
		}
		change(&d)
		if err := k8s.Update(context.Background(), &d); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

// suspend: true pauses the remote schedule and no run appears however far the clock moves;
// unsuspending resumes it.
func TestAgentDeploymentSuspendPausesRemotely(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("paused", "hello")
	d.Spec.Schedule = &v1alpha1.DeploymentSchedule{Cron: "* * * * *", TimeZone: "Europe/Berlin"}
	d.Spec.Suspend = true
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	d = waitDeployment(t, key, "Ready and suspended", func(d *v1alpha1.AgentDeployment) bool {
		return isReady(d.Status.Conditions) && conditionIs(d.Status.Conditions, v1alpha1.ConditionScheduled, metav1.ConditionFalse, controller.ReasonSuspended) &&
			d.Status.NextScheduleTime == nil && d.Status.PausedReason == "Manual"
	})
	if remote := w.remoteDeployment(t, d.Status.ID); remote.Status != "paused" || remote.Schedule.Timezone != "Europe/Berlin" {
		t.Fatalf("remote deployment status %q zone %q, want paused in Europe/Berlin", remote.Status, remote.Schedule.Timezone)
	}
	w.clock.Advance(3 * time.Minute)
	time.Sleep(time.Second) // several scheduler ticks and operator looks
	if runs := w.remoteRuns(t, d.Status.ID); len(runs) != 0 {
		t.Fatalf("a suspended deployment ran %d times", len(runs))
	}
	if sessions := runSessionsOf(t, d); len(sessions) != 0 {
		t.Fatalf("a suspended deployment has %d run Sessions", len(sessions))
	}

	setDeployment(t, key, func(d *v1alpha1.AgentDeployment) { d.Spec.Suspend = false })
	d = waitDeployment(t, key, "scheduled again", func(d *v1alpha1.AgentDeployment) bool {
		return conditionIs(d.Status.Conditions, v1alpha1.ConditionScheduled, metav1.ConditionTrue, controller.ReasonScheduled) && d.Status.PausedReason == ""
	})
	if remote := w.remoteDeployment(t, d.Status.ID); remote.Status != "active" {
		t.Fatalf("remote deployment status %q after unsuspending, want active", remote.Status)
	}
	w.fireOnce(t, d, 0)
	waitRunPhases(t, d, "the run after unsuspending", func(p map[v1alpha1.SessionPhase]int) bool { return p[v1alpha1.SessionSucceeded] == 1 })
}

// A run request starts exactly one run: also when the Run call's answer is lost (the run started,
// the operator saw an error and did not write status), when the manager restarts, and when the same
// value is applied again.
func TestAgentDeploymentRunRequestStartsExactlyOneRun(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("on-demand", "hello")
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	waitDeployment(t, key, "Ready, on demand only", func(d *v1alpha1.AgentDeployment) bool {
		return isReady(d.Status.Conditions) && conditionIs(d.Status.Conditions, v1alpha1.ConditionScheduled, metav1.ConditionFalse, controller.ReasonNoSchedule)
	})
	runEndpoint := "POST /v1/deployments/{id}/run"
	if _, err := w.sim.AddFault(simulator.Fault{Kind: simulator.FaultLoseResponse, Endpoint: runEndpoint, Count: 1}); err != nil {
		t.Fatal(err)
	}
	setDeployment(t, key, func(d *v1alpha1.AgentDeployment) { d.Spec.RunRequest = "first" })
	d = waitDeployment(t, key, "the first request acted on", func(d *v1alpha1.AgentDeployment) bool {
		return d.Status.RunRequest == "first" && d.Status.RunRequestRunID != "" && d.Status.LastRun != nil
	})
	runs := w.remoteRuns(t, d.Status.ID)
	if len(runs) != 1 || runs[0].ID != d.Status.RunRequestRunID || runs[0].TriggerContext.Type != "manual" {
		t.Fatalf("remote runs after a lost Run answer: %d (status says %s)", len(runs), d.Status.RunRequestRunID)
	}
	if n := w.sim.Stats()[runEndpoint]; n != 1 {
		t.Fatalf("Run was called %d times, want 1", n)
	}
	waitEvent(t, d, controller.ReasonRunStarted)

	// A restart and the same value again start nothing.
	w.startManager(t)
	setDeployment(t, key, func(d *v1alpha1.AgentDeployment) {
		d.Spec.RunRequest = "first"
		d.Labels = map[string]string{"touched": "yes"}
	})
	waitRunPhases(t, d, "the first run's Session finished", func(p map[v1alpha1.SessionPhase]int) bool {
		return p[v1alpha1.SessionSucceeded] == 1 && len(p) == 1
	})
	time.Sleep(time.Second) // several looks of the restarted manager
	if runs := w.remoteRuns(t, d.Status.ID); len(runs) != 1 {
		t.Fatalf("%d remote runs after a restart and the same request again, want 1", len(runs))
	}

	setDeployment(t, key, func(d *v1alpha1.AgentDeployment) { d.Spec.RunRequest = "second" })
	d = waitDeployment(t, key, "the second request acted on", func(d *v1alpha1.AgentDeployment) bool {
		return d.Status.RunRequest == "second" && d.Status.LastRun != nil && d.Status.LastRun.ID == d.Status.RunRequestRunID
	})
	waitRunPhases(t, d, "two run Sessions", func(p map[v1alpha1.SessionPhase]int) bool { return p[v1alpha1.SessionSucceeded] == 2 })
	if runs := w.remoteRuns(t, d.Status.ID); len(runs) != 2 {
		t.Fatalf("%d remote runs after two requests, want 2", len(runs))
	}
}

// A run started while the operator is down gets its Session once the operator is back, exactly once.
func TestAgentDeploymentRunWhileOperatorDown(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("catch-up", "hello")
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	d = waitDeployment(t, key, "Ready", func(d *v1alpha1.AgentDeployment) bool { return isReady(d.Status.Conditions) })
	stopManager()
	run, err := w.api.Beta.Deployments.Run(context.Background(), d.Status.ID, anthropic.BetaDeploymentRunParams{})
	if err != nil {
		t.Fatal(err)
	}
	w.startManager(t)
	waitRunPhases(t, d, "the run's Session", func(p map[v1alpha1.SessionPhase]int) bool { return p[v1alpha1.SessionSucceeded] == 1 })
	w.startManager(t)
	time.Sleep(time.Second)
	sessions := runSessionsOf(t, d)
	if len(sessions) != 1 || sessions[0].Labels[v1alpha1.LabelRun] != run.ID || sessions[0].Labels[v1alpha1.LabelTrigger] != "Manual" {
		t.Fatalf("run Sessions after two restarts: %d", len(sessions))
	}
}

// The API refusing the create (an unknown agent: 404) shows its message in Ready and is not retried
// in a loop.
func TestAgentDeploymentCreateRefused(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("unknown-agent", "hello")
	d.Spec.AgentRef, d.Spec.AgentID = nil, "agent_011missing"
	create(t, d)
	waitDeployment(t, client.ObjectKeyFromObject(d), "Ready=False with the API's message", func(d *v1alpha1.AgentDeployment) bool {
		return strings.Contains(readyCondition(d.Status.Conditions), "agent_011missing not found")
	})
	creates := w.sim.Stats()["POST /v1/deployments"]
	time.Sleep(2 * time.Second)
	if again := w.sim.Stats()["POST /v1/deployments"]; again != creates {
		t.Fatalf("the refused create was retried %d times in 2s", again-creates)
	}
}

// A schedule that passes admission but not the controller's check (minute 61) shows which field.
func TestAgentDeploymentScheduleOutOfRange(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("bad-minute", "hello")
	d.Spec.Schedule = &v1alpha1.DeploymentSchedule{Cron: "61 * * * *"}
	create(t, d)
	waitDeployment(t, client.ObjectKeyFromObject(d), "Ready=False naming spec.schedule.cron", func(d *v1alpha1.AgentDeployment) bool {
		return conditionIs(d.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, controller.ReasonInvalidSpec) &&
			strings.Contains(readyCondition(d.Status.Conditions), "spec.schedule.cron")
	})
	if n := w.sim.Stats()["POST /v1/deployments"]; n != 0 {
		t.Fatalf("an invalid schedule reached the API %d times", n)
	}
}

// Deleting the AgentDeployment archives the remote deployment and deletes its run Sessions, each
// releasing its remote session per runDeletionPolicy (Delete here).
func TestAgentDeploymentDeletion(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("short-lived", "hello")
	d.Spec.RunDeletionPolicy = v1alpha1.SessionDeletionDelete
	d.Spec.RunRequest = "now"
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	d = waitDeployment(t, key, "its run started", func(d *v1alpha1.AgentDeployment) bool { return d.Status.RunRequestRunID != "" })
	waitRunPhases(t, d, "the run finished", func(p map[v1alpha1.SessionPhase]int) bool { return p[v1alpha1.SessionSucceeded] == 1 })
	runs := w.remoteRuns(t, d.Status.ID)
	if err := k8s.Delete(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the AgentDeployment and its run Sessions gone", func() (bool, string) {
		var list v1alpha1.SessionList
		_ = k8s.List(context.Background(), &list, client.InNamespace(d.Namespace), client.MatchingLabels{v1alpha1.LabelDeployment: d.Name})
		err := k8s.Get(context.Background(), key, &v1alpha1.AgentDeployment{})
		return client.IgnoreNotFound(err) == nil && err != nil && len(list.Items) == 0, fmt.Sprintf("%d run Sessions, get: %v", len(list.Items), err)
	})
	if remote := w.remoteDeployment(t, d.Status.ID); remote.ArchivedAt.IsZero() {
		t.Fatal("the remote deployment was not archived")
	}
	if _, err := w.api.Beta.Sessions.Get(context.Background(), runs[0].SessionID, anthropic.BetaSessionGetParams{}); err == nil {
		t.Fatal("the run's remote session still exists; runDeletionPolicy Delete should have deleted it")
	}
}

// A deployment without a version pin follows its Agent: a new Agent version reaches it.
func TestAgentDeploymentFollowsAgentVersion(t *testing.T) {
	w := newDeploymentWorld(t)
	d := w.newDeployment("follower", "hello")
	create(t, d)
	key := client.ObjectKeyFromObject(d)
	d = waitDeployment(t, key, "Ready at version 1", func(d *v1alpha1.AgentDeployment) bool {
		return isReady(d.Status.Conditions) && d.Status.AgentVersion == 1
	})
	eventually(t, "update the Agent", func() (bool, string) {
		var a v1alpha1.Agent
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(w.agent), &a); err != nil {
			return false, err.Error()
		}
		a.Spec.System = "You are terse."
		err := k8s.Update(context.Background(), &a)
		return err == nil, fmt.Sprint(err)
	})
	waitDeployment(t, key, "the deployment at version 2", func(d *v1alpha1.AgentDeployment) bool { return d.Status.AgentVersion == 2 })
	if remote := w.remoteDeployment(t, d.Status.ID); remote.Agent.Version != 2 {
		t.Fatalf("remote deployment at agent version %d, want 2", remote.Agent.Version)
	}
}
