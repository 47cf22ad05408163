// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
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

	approved := mustRun(t, "approve", name)
	assertContains(t, approved.stdout, "approved "+action.EventID+" (bash of sub-agent reviewer, thread "+thread.ID+") in session "+name)
	waitPhase(t, name, v1alpha1.SessionSucceeded)

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
