// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
)

// The manager is stopped while it holds the lease of a Pod that is still pulling its image, and a
// new one starts against the same API server and simulator. Either the Pod's runner continues the
// claim's lease (it is in the Pod's Secret), or, when the lease lapsed meanwhile, the item goes
// back to the queue and is claimed again only once the old Pod, whose runner finds the lease gone,
// has ended. Never does the item run in two Pods at once, and nothing is left behind.
func TestManagerRestartWhileAPodStarts(t *testing.T) {
	cases := []struct {
		name  string
		why   string
		lapse bool // the lease lapses while the manager is down
	}{
		{name: "ContinuedByThePod", why: "the usual restart: the lease outlives it and the runner takes it over"},
		{name: "Requeued", lapse: true, why: "a restart longer than the lease: the item is re-queued and must not run twice at once"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			image := fmt.Sprintf("slow.example/tools:%d", i)
			release := testEnv.Node.HoldPulls(image)
			t.Cleanup(release)
			f := newFixture(t, 1, image)
			envID := f.environmentID(t)
			pw := watchPods(t, f.ns)
			sess := f.session(t, "s", "[[bash:echo continued-$((6*7))]]")
			workID := waitClaimedPod(t, f.ns)

			stopManager()
			if tc.lapse {
				if err := sim.ExpireLease(workID); err != nil {
					t.Fatal(err)
				}
			}
			if err := startManager(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second) // the new dispatcher looks at the starting Pod and the queue
			release()

			final := waitFinishedWithin(t, sess, 2*time.Minute)
			if final.Status.Phase != v1alpha1.SessionSucceeded || !strings.Contains(conversation(final), "it printed:\ncontinued-42") {
				t.Errorf("want Succeeded with the command's output; got %s, %q", final.Status.Phase, conversation(final))
			}
			got := settled(t, pw, f.ns)
			items := workItems(t, envID)
			wantRequeues, wantPods := 0, 1
			if tc.lapse {
				wantRequeues, wantPods = 1, 2
			}
			if len(items) != 1 || items[0].State != "stopped" || items[0].LeaseRequeues != wantRequeues || got.podsOfWork[workID] != wantPods {
				t.Errorf("want one stopped item re-queued %d times and run by %d Pods in turn; got %+v, Pods %v",
					wantRequeues, wantPods, items, got.podsOfWork)
			}
		})
	}
}

// The manager crashes after it claimed an item (the lease is taken) and before the item's Pod
// exists. The restarted dispatcher finds the claim it made without a Pod and gives the item back at
// once, so the Session runs within seconds of the restart instead of after the claim's lease lapses
// (StartTimeout 20 s + 60 s here); the item is never re-queued by a lapse, and no item has two Pods.
func TestManagerCrashBeforeThePodExists(t *testing.T) {
	reached := make(chan struct{}, 1)
	restore := sandbox.SetBeforePodCreate(func(ctx context.Context) bool {
		select {
		case reached <- struct{}{}:
		default:
		}
		<-ctx.Done() // the manager stops: nothing more of this claim happens
		return true
	})
	t.Cleanup(restore)
	f := newFixture(t, 1, "ubuntu:24.04")
	envID := f.environmentID(t)
	pw := watchPods(t, f.ns)
	sess := f.session(t, "s", "[[bash:echo recovered-$((6*7))]]")
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("no claim reached the Pod's creation")
	}
	stopManager()
	restore()
	restarted := time.Now()
	if err := startManager(); err != nil {
		t.Fatal(err)
	}
	final := waitFinishedWithin(t, sess, 2*time.Minute)
	took := time.Since(restarted)
	if final.Status.Phase != v1alpha1.SessionSucceeded || !strings.Contains(conversation(final), "it printed:\nrecovered-42") {
		t.Errorf("want Succeeded with the command's output; got %s, %q", final.Status.Phase, conversation(final))
	}
	if took > 40*time.Second {
		t.Errorf("the Session finished %s after the restart: the claim waited for its lease to lapse", took)
	}
	got := settled(t, pw, f.ns)
	items := workItems(t, envID)
	for _, it := range items {
		if it.State != "stopped" || it.LeaseRequeues != 0 || got.podsOfWork[it.ID] > 1 {
			t.Errorf("work item %s: %s, %d re-queues, %d Pods; want stopped, never re-queued, at most one Pod",
				it.ID, it.State, it.LeaseRequeues, got.podsOfWork[it.ID])
		}
	}
	t.Logf("finished %s after the restart; items %+v, Pods %v", took, items, got.podsOfWork)
}

// waitClaimedPod waits for a claimed item's Pod and its Secret (the claim is complete: the lease
// is in the Secret) and returns the item's id.
func waitClaimedPod(t *testing.T, ns string) string {
	t.Helper()
	var workID string
	eventually(t, 60*time.Second, "a sandbox Pod with its Secret", func() (bool, string) {
		pods, secrets := sandboxObjects(t, ns)
		if len(pods) == 1 && len(secrets) == 1 {
			workID = pods[0].Labels[sandbox.LabelWorkID]
		}
		return workID != "", fmt.Sprintf("%d Pods, %d Secrets", len(pods), len(secrets))
	})
	return workID
}
