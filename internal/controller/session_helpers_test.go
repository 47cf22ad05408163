// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// sessionFixture is a namespace with a Ready Agent "coder" and Environment "env".
type sessionFixture struct {
	ns    string
	agent *v1alpha1.Agent
}

func newSessionFixture(t *testing.T) *sessionFixture {
	t.Helper()
	return newSessionFixtureIn(t, newNamespace(t))
}

// newSessionFixtureIn makes the fixture's Agent and Environment in an existing namespace (where
// Sessions may already wait for them) and waits until both are Ready.
func newSessionFixtureIn(t *testing.T, ns string) *sessionFixture {
	t.Helper()
	agent := newAgent(ns, "coder")
	agent.Spec.Tools = []v1alpha1.Tool{
		{AgentToolset: &v1alpha1.AgentToolset{}},
		{Custom: &v1alpha1.CustomTool{Name: "open_ticket", Description: "Open a ticket",
			InputSchema: apiextensionsv1.JSON{Raw: []byte(`{"type":"object","properties":{"title":{"type":"string"}}}`)}}},
	}
	create(t, agent)
	env := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}}
	create(t, env)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	waitEnvironment(t, client.ObjectKeyFromObject(env), "Environment Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	return &sessionFixture{ns: ns, agent: agent}
}

// newSession returns a Session of the fixture's agent and environment.
func (f *sessionFixture) newSession(name, prompt string) *v1alpha1.Session {
	return &v1alpha1.Session{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: v1alpha1.SessionSpec{
			AgentRef:       &v1alpha1.AgentReference{Name: "coder"},
			EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"},
			Prompt:         prompt,
		},
	}
}

// waitSession polls a Session until check passes.
func waitSession(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.Session) bool) *v1alpha1.Session {
	t.Helper()
	sess := &v1alpha1.Session{}
	eventually(t, what, func() (bool, string) {
		if err := k8s.Get(context.Background(), key, sess); err != nil {
			return false, err.Error()
		}
		return check(sess), describeSession(sess)
	})
	return sess
}

func describeSession(s *v1alpha1.Session) string {
	return fmt.Sprintf("phase=%s stop=%s events=%d sent=%d pending=%d id=%s %s", s.Status.Phase, s.Status.StopReason,
		s.Status.EventCount, s.Status.MessagesSent, len(s.Status.PendingActions), s.Status.ID, readyCondition(s.Status.Conditions))
}

func phaseIs(phases ...v1alpha1.SessionPhase) func(*v1alpha1.Session) bool {
	return func(s *v1alpha1.Session) bool {
		for _, p := range phases {
			if s.Status.Phase == p {
				return true
			}
		}
		return false
	}
}

// sessionEvents returns the Kubernetes Events written for session events, by sequence.
func sessionEvents(t *testing.T, sess *v1alpha1.Session) map[string][]corev1.Event {
	t.Helper()
	var list corev1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(sess.Namespace)); err != nil {
		t.Fatal(err)
	}
	byID := map[string][]corev1.Event{}
	for _, e := range list.Items {
		if e.InvolvedObject.UID == sess.UID && e.Annotations[sessionstream.AnnotationEventID] != "" {
			id := e.Annotations[sessionstream.AnnotationEventID]
			byID[id] = append(byID[id], e)
		}
	}
	return byID
}

// remoteHistory returns the simulator's events of a session, decoded to type and id.
func remoteHistory(t *testing.T, sessionID string) []struct{ ID, Type string } {
	t.Helper()
	raw, err := sim.Events(sessionID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]struct{ ID, Type string }, len(raw))
	for i, r := range raw {
		var ev struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		out[i] = struct{ ID, Type string }{ev.ID, ev.Type}
	}
	return out
}

func countType(history []struct{ ID, Type string }, typ string) int {
	n := 0
	for _, e := range history {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// readyConditionOf returns a condition as "Status/Reason".
func readyConditionOf(s *v1alpha1.Session, condType string) string {
	for _, c := range s.Status.Conditions {
		if c.Type == condType {
			return string(c.Status) + "/" + c.Reason
		}
	}
	return "missing"
}

// assertOneEventPerRemoteEvent checks that every remote event worth an Event has exactly one.
func assertOneEventPerRemoteEvent(t *testing.T, sess *v1alpha1.Session, history []struct{ ID, Type string }) {
	t.Helper()
	notable := map[string]bool{"user.message": true, "agent.message": true, "session.status_idle": true, "session.status_running": true}
	var missing, duplicated int
	eventually(t, "one Event per notable remote event", func() (bool, string) {
		events := sessionEvents(t, sess)
		missing, duplicated = 0, 0
		for _, e := range history {
			switch n := len(events[e.ID]); {
			case notable[e.Type] && n == 0:
				missing++
			case n > 1:
				duplicated++
			}
		}
		return missing == 0 && duplicated == 0, fmt.Sprintf("%d missing, %d duplicated", missing, duplicated)
	})
}

// objectSize is the JSON size of an object as stored.
func objectSize(t *testing.T, obj any) int {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
