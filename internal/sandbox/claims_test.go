// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"fmt"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// Every acknowledgement takes two seconds (a slow API): eight Sessions on an Environment with room
// for four sandboxes get their first four Pods in about one claim's time, not four, because the
// dispatcher claims as many items at once as it has free slots. The limit still holds with claims
// in flight, every item runs in exactly one Pod, and every Session finishes.
func TestClaimsOverlap(t *testing.T) {
	const sessions, limit, ackDelay = 8, 4, 2 * time.Second
	f := newFixture(t, limit, "ubuntu:24.04")
	envID := f.environmentID(t)
	addFault(t, simulator.Fault{Kind: simulator.FaultLatency, Latency: ackDelay,
		PathPrefix: "/v1/environments/" + envID + "/work/", Endpoint: "POST /v1/environments/{id}/work/{work_id}/ack"})
	pw := watchPods(t, f.ns)
	all := make([]*v1alpha1.Session, sessions)
	for i := range all {
		all[i] = f.session(t, fmt.Sprintf("s%d", i), fmt.Sprintf("[[bash:echo overlap-%d]]", i))
	}
	eventually(t, 90*time.Second, fmt.Sprintf("%d sandbox Pods", limit), func() (bool, string) {
		n := len(pw.seenTimes())
		return n >= limit, fmt.Sprintf("%d Pods", n)
	})
	seen := pw.seenTimes()[:limit]
	spread := seen[limit-1].Sub(seen[0])
	// Serial claims put an acknowledgement between two Pods: at least 3 × 2 s for four.
	if spread >= 2*ackDelay {
		t.Errorf("the first %d Pods came %s apart; claims in parallel take about one acknowledgement (%s)", limit, spread, ackDelay)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for _, s := range all {
		if final := waitFinishedWithin(t, s, max(time.Until(deadline), time.Second)); final.Status.Phase != v1alpha1.SessionSucceeded {
			t.Errorf("%s: phase %s, want Succeeded", s.Name, final.Status.Phase)
		}
	}
	got := settled(t, pw, f.ns)
	if got.max > limit {
		t.Errorf("%d sandbox Pods existed at once, the limit is %d", got.max, limit)
	}
	items := workItems(t, envID)
	for _, it := range items {
		if it.State != "stopped" || it.LeaseRequeues != 0 || got.podsOfWork[it.ID] != 1 {
			t.Errorf("work item %s: %s, %d re-queues, %d Pods; want stopped, 0, 1", it.ID, it.State, it.LeaseRequeues, got.podsOfWork[it.ID])
		}
	}
	t.Logf("first %d Pods within %s; %d Pods in all, at most %d at once", limit, spread, got.total, got.max)
}
