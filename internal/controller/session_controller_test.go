package controller_test

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
)

// TestSessionFullTurn proves the main path: launch, one scripted turn, phase Succeeded with the
// agent's reply, usage, the TurnComplete condition, and one Kubernetes Event per notable event.
func TestSessionFullTurn(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("hello", "Say hello")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	if sess.Status.AgentID != f.agent.Status.ID || sess.Status.AgentVersion != 1 || sess.Status.EnvironmentID == "" {
		t.Errorf("launch not recorded: %+v", sess.Status)
	}
	if sess.Status.LastAgentMessage == "" || sess.Status.StopReason != "end_turn" {
		t.Errorf("turn not folded: %s", describeSession(sess))
	}
	if sess.Status.Usage == nil || sess.Status.Usage.OutputTokens == 0 || sess.Status.Usage.ListCostUSD == "" {
		t.Errorf("usage missing: %+v", sess.Status.Usage)
	}
	history := remoteHistory(t, sess.Status.ID)
	if sess.Status.EventCount != int64(len(history)) {
		t.Errorf("eventCount %d, simulator history has %d", sess.Status.EventCount, len(history))
	}
	cond := readyConditionOf(sess, v1alpha1.ConditionTurnComplete)
	if cond != "True/"+controller.TurnEndTurn {
		t.Errorf("TurnComplete = %s, want True/EndTurn", cond)
	}
	events := sessionEvents(t, sess)
	for _, want := range []string{"user.message", "agent.message", "session.status_idle"} {
		found := false
		for _, e := range history {
			if e.Type == want && len(events[e.ID]) == 1 {
				found = true
			}
		}
		if !found {
			t.Errorf("no single Kubernetes Event for %s: %v", want, events)
		}
	}
	time.Sleep(100 * time.Millisecond)
}
