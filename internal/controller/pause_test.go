// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// TestPausedAtCreationSaysSoAndCreatesNothing proves that an object created with the paused
// annotation shows Ready=False/Paused from its first reconcile (not only once it had been synced)
// and never reaches the API, for all three kinds; removing the annotation then launches them.
func TestPausedAtCreationSaysSoAndCreatesNothing(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	paused := map[string]string{v1alpha1.AnnotationPaused: "true"}

	agent := newAgent(f.ns, "paused-agent")
	agent.Annotations = paused
	create(t, agent)
	env := newEnvironment(f.ns, "paused-env")
	env.Annotations = paused
	create(t, env)
	sess := f.newSession("paused-session", "wait for me")
	sess.Annotations = paused
	create(t, sess)

	a := waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Paused", func(a *v1alpha1.Agent) bool { return hasReason(a.Status.Conditions, controller.ReasonPaused) })
	e := waitEnvironment(t, client.ObjectKeyFromObject(env), "Environment Paused", func(e *v1alpha1.Environment) bool { return hasReason(e.Status.Conditions, controller.ReasonPaused) })
	s := waitSession(t, client.ObjectKeyFromObject(sess), "Session Paused", func(s *v1alpha1.Session) bool {
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionPaused) && s.Status.Phase == v1alpha1.SessionPending
	})
	for kind, id := range map[string]string{"Agent": a.Status.ID, "Environment": e.Status.ID, "Session": s.Status.ID} {
		if id != "" {
			t.Errorf("the paused %s was created remotely as %s", kind, id)
		}
	}
	if n := len(remoteAgentsWithUID(t, string(agent.UID))); n != 0 {
		t.Errorf("the paused Agent has %d remote agents, want none", n)
	}

	for _, obj := range []client.Object{agent, env, sess} {
		unpause(ctx, t, obj)
	}
	waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Ready after unpausing", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	waitEnvironment(t, client.ObjectKeyFromObject(env), "Environment Ready after unpausing", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	waitSession(t, client.ObjectKeyFromObject(sess), "Session launched after unpausing", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
}

// unpause removes the paused annotation with a merge patch, which needs no fresh copy of the object.
func unpause(ctx context.Context, t *testing.T, obj client.Object) {
	t.Helper()
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+v1alpha1.AnnotationPaused+`":null}}}`))
	if err := k8s.Patch(ctx, obj, patch); err != nil {
		t.Fatal(err)
	}
}

// TestPausedSessionKeepsFollowingButSendsNothing pauses a Session mid-turn together with a new
// follow-up message: status keeps following the turn to its end, the message waits, and removing
// the annotation sends it exactly once.
func TestPausedSessionKeepsFollowingButSendsNothing(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("paused-mid-turn", "[[slow:3s]] take your time")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
	})
	sess.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
	sess.Spec.Messages = []string{"and then this"}
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	sess = waitSession(t, key, "the turn's end while paused: Idle, TurnComplete, the message held", func(s *v1alpha1.Session) bool {
		turn := meta.FindStatusCondition(s.Status.Conditions, v1alpha1.ConditionTurnComplete)
		return meta.IsStatusConditionTrue(s.Status.Conditions, v1alpha1.ConditionPaused) && s.Status.Phase == v1alpha1.SessionIdle &&
			turn != nil && turn.Status == metav1.ConditionTrue && turn.Reason == sessionstatus.TurnEndTurn
	})
	history := remoteHistory(t, sess.Status.ID)
	if sess.Status.EventCount != int64(len(history)) || sess.Status.MessagesSent != 0 {
		t.Errorf("paused: eventCount %d for %d remote events, messagesSent %d (want all events, no message)",
			sess.Status.EventCount, len(history), sess.Status.MessagesSent)
	}
	if n := countType(history, "user.message"); n != 1 {
		t.Errorf("%d user messages remotely while paused, want only the prompt", n)
	}

	unpause(ctx, t, sess)
	sess = waitSession(t, key, "the follow-up after unpausing", func(s *v1alpha1.Session) bool {
		return s.Status.MessagesSent == 1 && s.Status.Phase == v1alpha1.SessionSucceeded
	})
	if n := countType(remoteHistory(t, sess.Status.ID), "user.message"); n != 2 {
		t.Errorf("%d user messages remotely after unpausing, want 2", n)
	}
}

// TestPausedAgentStaysUsableBySessions proves that pausing an Agent stops reconciling it without
// breaking its dependents: a Session created while the Agent is paused launches against it.
func TestPausedAgentStaysUsableBySessions(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	agent := f.agent.DeepCopy()
	agent.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Paused", func(a *v1alpha1.Agent) bool {
		return conditionIs(a.Status.Conditions, v1alpha1.ConditionPaused, metav1.ConditionTrue, controller.ReasonPaused)
	})
	sess := f.newSession("uses-paused-agent", "hello")
	create(t, sess)
	s := waitSession(t, client.ObjectKeyFromObject(sess), "Session launched against the paused Agent", func(s *v1alpha1.Session) bool { return s.Status.ID != "" })
	if s.Status.AgentID != agent.Status.ID {
		t.Errorf("the Session launched with agent %s, want the paused Agent's %s", s.Status.AgentID, agent.Status.ID)
	}
}
