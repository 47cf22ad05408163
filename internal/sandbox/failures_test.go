// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// midTurnCommand runs long enough to be interrupted, and its output proves a later sandbox ran it
// to the end.
const midTurnCommand = "[[bash:sleep 3; echo survived-$((6*7))]]"

// A sandbox that ends mid-turn ends as the issue documents: its work item is stopped (or, when the
// lease was lost, left to the queue), the Session shows a SandboxHealthy=False condition and a
// Warning Event carrying the Pod's reason, no work item ever has two Pods at once, no session two
// running sandboxes, and nothing is left behind. A runner that is signalled (deletion, eviction)
// answers the interrupted command with an error, so the agent knows its workspace is gone; a
// runner killed outright or without its lease answers nothing, and a new sandbox runs the command.
func TestSandboxEndsMidTurn(t *testing.T) {
	cases := []struct {
		name   string
		why    string
		reason string // of the condition and the Event (Sandbox<reason>)
		end    func(t *testing.T, pod *corev1.Pod, envID string)
		// rerun: a new sandbox ran the command to its end; otherwise the agent got an error.
		rerun bool
		// requeued: the item went back to the queue (a lost lease) and a second Pod ran the same
		// item; otherwise the item was stopped, and a rerun came with the session's next item.
		requeued bool
	}{
		{name: "OOMKilled", reason: "OOMKilled", rerun: true, why: "the container runtime killed the sandbox (memory limit)",
			end: func(t *testing.T, pod *corev1.Pod, _ string) {
				if err := testEnv.Node.OOMKill(pod.Namespace, pod.Name, "sandbox"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "Evicted", reason: "Evicted", why: "the node evicted the Pod under pressure; the runner is signalled and exits 4",
			end: func(t *testing.T, pod *corev1.Pod, _ string) {
				if err := testEnv.Node.Evict(pod.Namespace, pod.Name, "The node was low on resource: memory."); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "Deleted", reason: "PodDeleted", why: "someone deleted the Pod (a user, a drain); the runner stops its item on SIGTERM",
			end: func(t *testing.T, pod *corev1.Pod, _ string) {
				if err := k8s.Delete(context.Background(), pod); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "LeaseLost412", reason: "LeaseLost", rerun: true, requeued: true,
			why: "a heartbeat answers 412: the item went back to the queue and must not run in two Pods at once",
			end: func(t *testing.T, pod *corev1.Pod, envID string) {
				addFault(t, simulator.Fault{Kind: simulator.FaultLoseLease, Count: 1,
					PathPrefix: "/v1/environments/" + envID + "/work/" + pod.Labels[sandbox.LabelWorkID] + "/heartbeat"})
			}},
		{name: "LeaseLapsed", reason: "LeaseLost", rerun: true, requeued: true,
			why: "the lease lapses silently: the item is queued again while the old runner still runs, until its next heartbeat",
			end: func(t *testing.T, pod *corev1.Pod, _ string) {
				if err := sim.ExpireLease(pod.Labels[sandbox.LabelWorkID]); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 5, "ubuntu:24.04")
			envID := f.environmentID(t)
			pw := watchPods(t, f.ns)
			sess := f.session(t, "s", midTurnCommand)
			cl := logSandboxCondition(t, sess)
			pod := waitRunningTool(t, pw, envID, sess)
			tc.end(t, pod, envID)

			final := waitFinishedWithin(t, sess, 2*time.Minute)
			want := "it failed:\nbash: context canceled"
			if tc.rerun {
				want = "it printed:\nsurvived-42"
			}
			if final.Status.Phase != v1alpha1.SessionSucceeded || !strings.Contains(conversation(final), want) {
				t.Errorf("want Succeeded with %q; got %s, %q", want, final.Status.Phase, conversation(final))
			}
			t.Logf("event: %s", waitWarning(t, final, "Sandbox"+tc.reason))
			if !cl.sawFalse(tc.reason) {
				t.Errorf("SandboxHealthy was never False/%s: %s", tc.reason, cl)
			}
			waitNoSandboxObjects(t, f.ns)
			got := pw.findings()
			got.checkNoOverlap(t)
			checkItems(t, envID, tc.rerun, tc.requeued, got)
		})
	}
}

// waitRunningTool waits until a sandbox runs the session's command: its container runs and its
// runner took the lease over (a heartbeat after the claim's), then a moment for the command.
func waitRunningTool(t *testing.T, pw *podWatch, envID string, sess *v1alpha1.Session) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	eventually(t, 60*time.Second, "a running sandbox of "+sess.Name, func() (bool, string) {
		id := getSession(t, sess).Status.ID
		pod = pw.running(id)
		return id != "" && pod != nil, "no running sandbox"
	})
	workID := pod.Labels[sandbox.LabelWorkID]
	eventually(t, 20*time.Second, "the runner's first heartbeat", func() (bool, string) {
		items, err := sim.WorkItems(envID)
		if err != nil {
			return false, err.Error()
		}
		for _, it := range items {
			if it.ID == workID {
				return it.State == "active", it.State
			}
		}
		return false, "no item " + workID
	})
	time.Sleep(time.Second)
	return pod
}

// checkItems asserts how the work items ended: one item run by one Pod (the runner answered); one
// stopped and a second that finished the turn (a rerun); or one item that was re-queued once and
// ran in two Pods one after the other (a lost lease).
func checkItems(t *testing.T, envID string, rerun, requeued bool, pods podFindings) {
	t.Helper()
	items, err := sim.WorkItems(envID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.State != "stopped" {
			t.Errorf("work item %s is %s, want stopped", it.ID, it.State)
		}
	}
	switch {
	case requeued && (len(items) != 1 || items[0].LeaseRequeues != 1 || pods.podsOfWork[items[0].ID] != 2):
		t.Errorf("want one item, re-queued once, run by two Pods in turn; got %+v, Pods %v", items, pods.podsOfWork)
	case !rerun && (len(items) != 1 || items[0].LeaseRequeues != 0 || pods.podsOfWork[items[0].ID] != 1):
		t.Errorf("want one item, run by one Pod, never re-queued; got %+v, Pods %v", items, pods.podsOfWork)
	case rerun && !requeued && (len(items) != 2 || items[0].LeaseRequeues != 0 || items[1].LeaseRequeues != 0 ||
		pods.podsOfWork[items[0].ID] != 1 || pods.podsOfWork[items[1].ID] != 1):
		t.Errorf("want two items, each run by one Pod, never re-queued; got %+v, Pods %v", items, pods.podsOfWork)
	}
}

// An image that cannot be pulled: the process node reports ErrImagePull, then ImagePullBackOff;
// the dispatcher stops the item and deletes the Pod, the Session says ImagePullBackOff in a
// condition and a Warning Event, the session keeps waiting with a back-off (each new item gets
// one Pod), and once the Environment names a good image the turn finishes and nothing is left.
func TestSandboxImageCannotBePulled(t *testing.T) {
	f := newFixture(t, 5, "invalid.example/toolchain:1")
	envID := f.environmentID(t)
	pw := watchPods(t, f.ns)
	sess := f.session(t, "s", "[[bash:echo pulled-at-last]]")
	cl := logSandboxCondition(t, sess)
	t.Logf("event: %s", waitWarning(t, sess, "SandboxImagePullBackOff"))
	eventually(t, 30*time.Second, "SandboxHealthy False/ImagePullBackOff", func() (bool, string) {
		return cl.sawFalse("ImagePullBackOff"), cl.String()
	})
	eventually(t, 30*time.Second, "the first work item stopped", func() (bool, string) {
		items, _ := sim.WorkItems(envID)
		return len(items) > 0 && items[0].State == "stopped", fmt.Sprintf("%+v", items)
	})

	env := &v1alpha1.Environment{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "sandboxes"}, env); err != nil {
		t.Fatal(err)
	}
	patched := env.DeepCopy()
	patched.Spec.SelfHosted.SandboxTemplate.Image = "ubuntu:24.04"
	if err := k8s.Patch(context.Background(), patched, client.MergeFrom(env)); err != nil {
		t.Fatal(err)
	}
	final := waitFinishedWithin(t, sess, 2*time.Minute)
	if final.Status.Phase != v1alpha1.SessionSucceeded || !strings.Contains(conversation(final), "it printed:\npulled-at-last") {
		t.Errorf("the turn did not finish once the image was fixed: %s, %q", final.Status.Phase, conversation(final))
	}
	waitNoSandboxObjects(t, f.ns)
	got := pw.findings()
	got.checkNoOverlap(t)
	for work, n := range got.podsOfWork {
		if n != 1 {
			t.Errorf("work item %s had %d Pods; each claim gets one", work, n)
		}
	}
	t.Logf("%d Pods for %d items; condition: %s", got.total, len(got.podsOfWork), cl)
}

func addFault(t *testing.T, f simulator.Fault) {
	t.Helper()
	id, err := sim.AddFault(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.RemoveFault(id) })
}
