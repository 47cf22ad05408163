// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionstatus"
)

// TestSessionInterrupt proves changing spec.interruptRequest stops a running turn.
func TestSessionInterrupt(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("slow", "[[slow:60s]]")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
	})
	sess.Spec.InterruptRequest = "stop-1"
	if err := k8s.Update(ctx, sess); err != nil {
		t.Fatal(err)
	}
	// An interrupted turn is not a success: the Session waits, Idle, with TurnComplete reason Interrupted.
	sess = waitSession(t, key, "Idle/Interrupted after the interrupt", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionIdle && readyConditionOf(s, v1alpha1.ConditionTurnComplete) == "True/"+sessionstatus.TurnInterrupted
	})
	if sess.Status.InterruptRequest != "stop-1" || countType(remoteHistory(t, sess.Status.ID), "user.interrupt") != 1 {
		t.Errorf("interrupt not recorded once: status %q", sess.Status.InterruptRequest)
	}
}

// TestSessionTimeout proves spec.timeout interrupts a long turn and ends the Session as TimedOut.
func TestSessionTimeout(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("late", "[[slow:60s]]")
	sess.Spec.Timeout = &metav1.Duration{Duration: 2 * time.Second}
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "TimedOut", phaseIs(v1alpha1.SessionTimedOut))
	if n := countType(remoteHistory(t, sess.Status.ID), "user.interrupt"); n != 1 {
		t.Errorf("%d interrupts sent on timeout, want 1", n)
	}
	if sess.Status.CompletionTime == nil {
		t.Error("no completion time")
	}
}

// TestSessionTTL proves ttlSecondsAfterFinished deletes the Session, which applies its deletion policy.
func TestSessionTTL(t *testing.T) {
	ctx := testContext(t, time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("brief", "hi")
	sess.Spec.TTLSecondsAfterFinished = ptr.To[int32](1)
	sess.Spec.DeletionPolicy = v1alpha1.SessionDeletionDelete
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	eventually(t, "the Session to be deleted by its TTL", func() (bool, string) {
		err := k8s.Get(ctx, key, &v1alpha1.Session{})
		return err != nil && client.IgnoreNotFound(err) == nil, fmt.Sprint(err)
	})
	if _, err := sdk().Beta.Sessions.Get(ctx, sess.Status.ID, anthropic.BetaSessionGetParams{}); !managedagents.IsNotFound(managedagents.Classify(err)) {
		t.Errorf("remote session still there after TTL with policy Delete: %v", err)
	}
}

// TestSessionDeletionWhileRunning proves a running session is interrupted first, then deleted,
// archived or retained as its policy says.
func TestSessionDeletionWhileRunning(t *testing.T) {
	f := newSessionFixture(t)
	for _, policy := range []v1alpha1.SessionDeletionPolicy{v1alpha1.SessionDeletionDelete, v1alpha1.SessionDeletionArchive, v1alpha1.SessionDeletionRetain} {
		t.Run(string(policy), func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			sess := f.newSession("running-"+strings.ToLower(string(policy)), "[[slow:60s]]")
			sess.Spec.DeletionPolicy = policy
			create(t, sess)
			key := client.ObjectKeyFromObject(sess)
			sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
				return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
			})
			if err := k8s.Delete(ctx, sess); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the Session to be gone", func() (bool, string) {
				err := k8s.Get(ctx, key, &v1alpha1.Session{})
				return err != nil && client.IgnoreNotFound(err) == nil, fmt.Sprint(err)
			})
			info, exists := sim.Session(sess.Status.ID)
			switch policy {
			case v1alpha1.SessionDeletionDelete:
				if exists {
					t.Errorf("remote session still exists: %+v", info)
				}
			case v1alpha1.SessionDeletionArchive:
				if !exists || !info.Archived || info.Status == "running" {
					t.Errorf("remote session not interrupted and archived: %+v", info)
				}
			default:
				if !exists || info.Archived || info.Status != "running" {
					t.Errorf("remote session touched despite Retain: %+v", info)
				}
			}
		})
	}
}

// TestSessionSurvivesDroppedStream proves a stream cut mid-turn is reconnected and the history
// fills the gap: the final event count equals the simulator's history.
func TestSessionSurvivesDroppedStream(t *testing.T) {
	f := newSessionFixture(t)
	sim.DropNextStream(5)
	sess := f.newSession("dropped", "[[long:40]]")
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	history := remoteHistory(t, sess.Status.ID)
	if sess.Status.EventCount != int64(len(history)) {
		t.Errorf("eventCount %d, simulator history %d", sess.Status.EventCount, len(history))
	}
	assertOneEventPerRemoteEvent(t, sess, history)
}

// TestSessionLostCreateLeavesOneRemote proves a create committed by the API whose response was lost
// does not produce a second remote session.
func TestSessionLostCreateLeavesOneRemote(t *testing.T) {
	f := newSessionFixture(t)
	sim.LoseNextResponse("POST /v1/sessions")
	sess := f.newSession("lost", "hi")
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	n := 0
	for _, info := range sim.Sessions() {
		if info.Metadata[v1alpha1.MetadataKeyUID] == string(sess.UID) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d remote sessions carry the UID, want 1", n)
	}
}

// TestSessionRestartMidTurn proves an operator restart loses and duplicates nothing: after the
// manager is stopped mid-turn and started again, the event count equals the simulator's history,
// every remote event has exactly one Kubernetes Event, and no message was sent twice.
func TestSessionRestartMidTurn(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("restart", "[[long:60]]")
	sess.Spec.Messages = []string{"again [[long:30]]"}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "mid-turn", func(s *v1alpha1.Session) bool { return s.Status.EventCount > 10 })
	restartManager(t)
	sess = waitSession(t, key, "Succeeded", func(s *v1alpha1.Session) bool { return s.Status.Phase == v1alpha1.SessionSucceeded })
	restartManager(t) // a restart after the end must not resend or re-emit either
	time.Sleep(2 * time.Second)
	if err := k8s.Get(ctx, key, sess); err != nil {
		t.Fatal(err)
	}
	history := remoteHistory(t, sess.Status.ID)
	if sess.Status.EventCount != int64(len(history)) {
		t.Errorf("eventCount %d, simulator history %d", sess.Status.EventCount, len(history))
	}
	if n := countType(history, "user.message"); n != 2 {
		t.Errorf("%d user messages remotely, want 2 (prompt + one follow-up)", n)
	}
	assertOneEventPerRemoteEvent(t, sess, history)
}

// TestSessionLongTurn proves a 500-event turn keeps every Kubernetes Event (no spam filter) while
// the Session object stays far below etcd's size limit.
func TestSessionLongTurn(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("long", "[[long:500]]")
	create(t, sess)
	sess = waitSession(t, client.ObjectKeyFromObject(sess), "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
	history := remoteHistory(t, sess.Status.ID)
	if len(history) < 500 {
		t.Fatalf("simulator history has only %d events", len(history))
	}
	assertOneEventPerRemoteEvent(t, sess, history)
	if size := objectSize(t, sess); size > 64*1024 {
		t.Errorf("Session is %d bytes after 500 events; status must stay small", size)
	}
}

// TestSessionWaitsForReferences proves a Session naming an Agent and Environment that do not exist
// yet waits with a clear condition, then launches once they are Ready.
func TestSessionWaitsForReferences(t *testing.T) {
	ns := newNamespace(t)
	sess := (&sessionFixture{ns: ns}).newSession("early", "hi")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "waiting for references", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionPending && readyConditionOf(s, v1alpha1.ConditionReferencesResolved) == "False/ReferenceNotReady"
	})
	agent := newAgent(ns, "coder")
	create(t, agent)
	create(t, &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}})
	waitSession(t, key, "Succeeded", phaseIs(v1alpha1.SessionSucceeded))
}
