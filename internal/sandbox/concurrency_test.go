// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Twenty Sessions at once on an Environment with maxConcurrentSandboxes 5: never more than five
// sandbox Pods exist at any moment (terminating ones included), every Session finishes with its
// own command's output in the conversation, every work item ran in exactly one Pod, and no Pod or
// per-item Secret is left.
func TestTwentySessionsShareFiveSandboxes(t *testing.T) {
	const sessions, limit = 20, 5
	f := newFixture(t, limit, "ubuntu:24.04")
	envID := f.environmentID(t)
	pw := watchPods(t, f.ns)
	all := make([]*v1alpha1.Session, sessions)
	for i := range all {
		all[i] = f.session(t, fmt.Sprintf("s%02d", i), fmt.Sprintf("[[bash:echo out-%02d-$((40+2))]]", i))
	}
	// The sessions run at once; waiting for them in turn under one deadline waits for the last.
	deadline := time.Now().Add(4 * time.Minute)
	finals := make([]*v1alpha1.Session, sessions)
	for i := range all {
		finals[i] = waitFinishedWithin(t, all[i], max(time.Until(deadline), time.Second))
	}
	for i, s := range finals {
		if s.Status.Phase != v1alpha1.SessionSucceeded {
			t.Errorf("%s: phase %s, want Succeeded", s.Name, s.Status.Phase)
		}
		if want := fmt.Sprintf("it printed:\nout-%02d-42", i); !strings.Contains(conversation(s), want) {
			t.Errorf("%s: the conversation lacks %q: %q", s.Name, want, conversation(s))
		}
	}
	waitNoSandboxObjects(t, f.ns)
	got := pw.findings()
	if got.max > limit {
		t.Errorf("%d sandbox Pods existed at once, the limit is %d", got.max, limit)
	}
	if got.max < 2 {
		t.Errorf("at most %d sandbox Pod existed at once: the sessions did not run concurrently", got.max)
	}
	got.checkNoOverlap(t)
	items, err := sim.WorkItems(envID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != sessions {
		t.Errorf("%d work items, want one per session (%d)", len(items), sessions)
	}
	for _, it := range items {
		if it.Deliveries != 1 || it.LeaseRequeues != 0 || it.State != "stopped" || got.podsOfWork[it.ID] != 1 {
			t.Errorf("work item %s: %d deliveries, %d re-queues, %s, %d Pods; want 1, 0, stopped, 1",
				it.ID, it.Deliveries, it.LeaseRequeues, it.State, got.podsOfWork[it.ID])
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "without the status.id index") {
			t.Errorf("a Session lookup listed its namespace: %s", line)
			break
		}
	}
	t.Logf("%d Pods in all, at most %d at once", got.total, got.max)
}
