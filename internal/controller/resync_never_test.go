// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestResyncPeriodZeroMeansNever proves that a manager started with --resync-period=0 compares an
// Agent, an Environment and an idle Session with their remote twins once and then leaves them
// alone: no GET at all while nothing changes (a period of 0 once made followed Sessions requeue every
// second with a GET), and a spec change is still applied.
func TestResyncPeriodZeroMeansNever(t *testing.T) {
	restartManagerWith(t, func(s *managerSettings) { s.controllers.ResyncPeriod = 0 })
	ctx := testContext(t, 2*time.Minute)
	f := newSessionFixture(t)
	sess := f.newSession("never-resynced", "hello")
	sess.Spec.CompletionPolicy = v1alpha1.CompletionNever // an open Session stays followed
	create(t, sess)
	waitSession(t, client.ObjectKeyFromObject(sess), "the first turn's end", phaseIs(v1alpha1.SessionIdle))
	time.Sleep(time.Second) // let the last status write and its reconcile settle

	sim.ResetStats()
	time.Sleep(5 * time.Second)
	stats := sim.Stats()
	for _, get := range []string{"GET /v1/agents/{id}", "GET /v1/environments/{id}", "GET /v1/sessions/{id}"} {
		if n := stats[get]; n != 0 {
			t.Errorf("%d calls of %s in 5s with resync off, want none: %v", n, get, stats)
		}
	}

	agent := waitAgent(t, client.ObjectKeyFromObject(f.agent), "latest", func(*v1alpha1.Agent) bool { return true })
	agent.Spec.System = "Changed with resync off."
	if err := k8s.Update(ctx, agent); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, client.ObjectKeyFromObject(agent), "the spec change applied", func(a *v1alpha1.Agent) bool {
		return a.Status.ObservedGeneration == a.Generation && a.Status.Version == 2 && isReady(a.Status.Conditions)
	})
}
