// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// The tests in this file cover the side paths of a Session's two interrupts (the timeout's and the
// deletion's): one failed call, and a manager restart between the interrupt and what follows it.

const sendEventsEndpoint = "POST /v1/sessions/{id}/events"

// TestTimeoutInterruptFailingOnceStillEndsTheSession: the interrupt that spec.timeout sends fails
// once. The Session must still end TimedOut, with exactly one interrupt in the remote history, and
// the remote session must stop working (no billed turn left running).
func TestTimeoutInterruptFailingOnceStillEndsTheSession(t *testing.T) {
	f := newSessionFixture(t)
	sess := f.newSession("timeout-send-fails", "[[slow:60s]] a long task")
	sess.Spec.Timeout = &metav1.Duration{Duration: 8 * time.Second}
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	waitSession(t, key, "Running", func(s *v1alpha1.Session) bool { return s.Status.Phase == v1alpha1.SessionRunning })
	// Armed after the launch, so the one failure is the timeout's interrupt, not the first message.
	fault, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: sendEventsEndpoint, Status: 503, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.RemoveFault(fault) })
	sess = waitSession(t, key, "TimedOut", phaseIs(v1alpha1.SessionTimedOut))
	if left := remainingFaultCount(fault); left != 0 {
		t.Fatalf("the injected failure was never hit (%d left): the test proves nothing", left)
	}
	eventually(t, "the remote session to stop working", func() (bool, string) {
		info, _ := sim.Session(sess.Status.ID)
		return info.Status == "idle", "remote status " + info.Status
	})
	if n := countType(remoteHistory(t, sess.Status.ID), "user.interrupt"); n != 1 {
		t.Errorf("%d interrupts in the remote history, want exactly 1 (the failed send committed nothing)", n)
	}
}

// TestDeletionInterruptSurvivesARestartBeforeTheRelease: a running Session is deleted, its
// interrupt goes out, and the release (archive) fails until the manager restarts. The new manager,
// which remembers nothing, must release the remote session without sending a second interrupt to
// a session that already stopped, and let the Session go.
func TestDeletionInterruptSurvivesARestartBeforeTheRelease(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("delete-restart", "[[slow:60s]] a long task")
	create(t, sess)
	key := client.ObjectKeyFromObject(sess)
	sess = waitSession(t, key, "Running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRunning && s.Status.EventCount > 1
	})
	archive, err := sim.AddFault(simulator.Fault{Kind: simulator.FaultError, Endpoint: "POST /v1/sessions/{id}/archive", Status: 503})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.RemoveFault(archive)
	if err := k8s.Delete(ctx, sess); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deletion's interrupt to stop the remote turn", func() (bool, string) {
		info, _ := sim.Session(sess.Status.ID)
		return info.Status == "idle", "remote status " + info.Status
	})
	waitSession(t, key, "the release blocked by the failing archive", func(s *v1alpha1.Session) bool {
		return readyConditionOf(s, v1alpha1.ConditionReady) == "False/"+string(controller.ReasonDeletionBlocked)
	})
	stopManager()
	sim.RemoveFault(archive)
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Session to be gone", func() (bool, string) {
		err := k8s.Get(ctx, key, &v1alpha1.Session{})
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
	info, ok := sim.Session(sess.Status.ID)
	if !ok || !info.Archived {
		t.Errorf("remote session %s: present %v, archived %v; want archived (deletionPolicy Archive)", sess.Status.ID, ok, info.Archived)
	}
	if n := countType(remoteHistory(t, sess.Status.ID), "user.interrupt"); n != 1 {
		t.Errorf("%d interrupts in the remote history, want exactly 1", n)
	}
}

// remainingFaultCount is how many failures fault id still holds (0 once spent or removed).
func remainingFaultCount(id int) int {
	for _, f := range sim.Faults() {
		if f.ID == id {
			return f.Count
		}
	}
	return 0
}
