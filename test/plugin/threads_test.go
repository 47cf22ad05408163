// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// TestApproveASubagentsConfirmation proves a multi-agent session's sub-agent that asks for a
// confirmation shows as RequiresAction with its thread, `approve` answers it (the API routes the
// answer to the thread), and the session ends; logs show the thread's side of the conversation.
func TestApproveASubagentsConfirmation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	lead := &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, Name: "lead"}, Spec: v1alpha1.AgentSpec{
		Model:      v1alpha1.ModelConfig{ID: "claude-opus-4-8"},
		Multiagent: &v1alpha1.Multiagent{Subagents: &v1alpha1.MultiagentDelegation{Enabled: true}},
	}}
	if err := k8s.Create(ctx, lead); err != nil {
		t.Fatal(err)
	}
	if err := waitReady(ctx, lead); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "run", "--agent", "lead", "--env", envName, "--prompt", "[[subagent:reviewer:make lint]] review the change")
	name := strings.TrimSpace(r.stdout)
	s := waitFor(t, name, "the sub-agent's confirmation", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRequiresAction && len(s.Status.PendingActions) == 1
	})
	action, thread := s.Status.PendingActions[0], s.Status.Threads[0]
	if action.ThreadID != thread.ID || action.AgentName != "reviewer" {
		t.Fatalf("pending action %+v, thread %+v", action, thread)
	}

	// status lists the thread with its pending action and the command that answers it, once.
	waiting := mustRun(t, "status", name)
	assertInOrder(t, waiting.stdout,
		"Threads:\n",
		"  "+thread.ID+"  reviewer  "+thread.Status,
		"    "+action.EventID+" waits for confirmation of bash ",
		": kubectl claude approve "+name+" "+action.EventID+" (or deny)\n",
		"Pending actions: none besides the threads' above\n",
	)
	var view plugin.StatusView
	if err := json.Unmarshal([]byte(mustRun(t, "status", name, "-o", "json").stdout), &view); err != nil {
		t.Fatal(err)
	}
	if len(view.Threads) != 1 || view.Threads[0].ID != thread.ID || len(view.Threads[0].PendingActions) != 1 || view.Threads[0].PendingActions[0] != action.EventID {
		t.Errorf("status -o json carries the thread and its pending action: %+v", view.Threads)
	}

	approved := mustRun(t, "approve", name)
	assertContains(t, approved.stdout, "approved "+action.EventID+" (bash of sub-agent reviewer, thread "+thread.ID+") in session "+name)
	waitPhase(t, name, v1alpha1.SessionSucceeded)

	done := mustRun(t, "status", name)
	assertContains(t, done.stdout, "Threads:\n  "+thread.ID+"  reviewer  ", "Pending actions: none\n")
	if strings.Contains(done.stdout, action.EventID+" waits") {
		t.Errorf("an answered action still shows as waiting:\n%s", done.stdout)
	}

	logs := mustRun(t, "logs", name)
	assertInOrder(t, logs.stdout,
		"thread    sub-agent reviewer ("+thread.ID+") started",
		"subagent  to reviewer ("+thread.ID+"): Please run: make lint",
		"tool      [thread "+thread.ID+"] bash",
		"action    sub-agent reviewer ("+thread.ID+") waits for an answer to "+action.EventID,
		"confirm   [thread "+thread.ID+"] allow "+action.EventID,
		"subagent  from reviewer ("+thread.ID+"): Ran `make lint`",
		"agent     echo: review the change",
	)
}

// TestStatusShowsTheOutcome proves `status` shows an outcome the grader judged twice (needs_revision,
// then satisfied): the description, the iteration, each verdict with its explanation and the
// result with the OutcomeMet condition, in text and in -o yaml. The session has a prompt as well:
// its turn ends before the outcome's own, and the Session waits for the grader's verdict.
func TestStatusShowsTheOutcome(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	maxIterations := int64(3)
	sess := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, GenerateName: agentName + "-"}, Spec: v1alpha1.SessionSpec{
		AgentRef: &v1alpha1.AgentReference{Name: agentName}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: envName},
		Prompt:  "[[slow:1s]] look at the failing build", // still running when the outcome is defined
		Outcome: &v1alpha1.SessionOutcome{Description: "[[outcome:needs_revision,satisfied]] a green build", Rubric: "every test passes", MaxIterations: &maxIterations},
	}}
	if err := k8s.Create(ctx, sess); err != nil {
		t.Fatal(err)
	}
	waitFor(t, sess.Name, "OutcomeMet", func(s *v1alpha1.Session) bool {
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionOutcomeMet) && s.Status.Phase.Finished()
	})

	out := mustRun(t, "status", sess.Name)
	t.Logf("status printed:\n%s", out.stdout)
	assertInOrder(t, out.stdout,
		"Outcome:\n",
		"  Description:  [[outcome:needs_revision,satisfied]] a green build\n",
		"  Iteration:    2/3\n",
		"  Verdicts:\n",
		"    1/3  needs_revision  The simulator judged iteration 0 needs_revision.\n",
		"    2/3  satisfied       The simulator judged iteration 1 satisfied.\n",
		"  Result:       satisfied (OutcomeMet True, Satisfied)\n",
		"Pending actions: none\n",
	)
	if strings.Contains(out.stdout, "Threads:") {
		t.Errorf("a session without sub-agents shows no Threads section:\n%s", out.stdout)
	}

	var view plugin.StatusView
	if err := yaml.Unmarshal([]byte(mustRun(t, "status", sess.Name, "-o", "yaml").stdout), &view); err != nil {
		t.Fatal(err)
	}
	if o := view.Outcome; o == nil || o.Result != "satisfied" || len(o.Evaluations) != 2 || o.Evaluations[0].Result != "needs_revision" {
		t.Errorf("status -o yaml carries the outcome and its verdicts: %+v", view.Outcome)
	}
	if c := view.OutcomeMet; c == nil || c.Status != metav1.ConditionTrue || c.Reason != "Satisfied" {
		t.Errorf("status -o yaml carries OutcomeMet: %+v", view.OutcomeMet)
	}
}
