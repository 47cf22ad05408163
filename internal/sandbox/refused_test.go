// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// A ResourceQuota that allows no Pods makes the API server refuse every sandbox Pod. The dispatcher
// tells it (a Warning Event with the API server's message on the Session and on the Environment,
// SandboxHealthy=False/PodRefused), gives the claimed item back, and waits before it claims again,
// doubling the wait on each refusal: in a window of 7 s with a first wait of 1 s it tries at most
// four times, and each try is one Warning. Once the quota goes, the Session runs.
func TestPodRefusedByQuota(t *testing.T) {
	const window = 7 * time.Second
	f := newFixture(t, 5, "ubuntu:24.04")
	envID := f.environmentID(t)
	noPods := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "no-pods"}, Spec: corev1.ResourceQuotaSpec{Hard: noPods}}
	create(t, quota)
	// The admission plugin enforces what the quota's status says; the test's control plane runs no
	// quota controller, so the test writes the status that one would.
	quota.Status = corev1.ResourceQuotaStatus{Hard: noPods, Used: noPods}
	if err := k8s.Status().Update(context.Background(), quota); err != nil {
		t.Fatal(err)
	}
	pw := watchPods(t, f.ns)
	sess := f.session(t, "s", "[[bash:echo admitted-at-last]]")
	cl := logSandboxCondition(t, sess)
	eventually(t, 60*time.Second, "SandboxHealthy False/PodRefused", func() (bool, string) {
		return cl.sawFalse("PodRefused"), cl.String()
	})
	t.Logf("event: %s", waitWarning(t, sess, "SandboxPodRefused"))
	if w := waitWarning(t, sess, "SandboxPodRefused"); !strings.Contains(w, "quota") {
		t.Errorf("the Warning does not carry the API server's message: %s", w)
	}

	from := podCreates.first(f.ns)
	time.Sleep(time.Until(from.Add(window)))
	to := from.Add(window)
	attempts := podCreates.count(f.ns, from, to)
	sessWarnings := warnings.count(warningKey(f.ns, "Session", "s", "SandboxPodRefused"), from, to.Add(time.Second))
	envWarnings := warnings.count(warningKey(f.ns, "Environment", "sandboxes", "SandboxPodRefused"), from, to.Add(time.Second))
	t.Logf("in %s: %d Pod creations, %d Session Warnings, %d Environment Warnings", window, attempts, sessWarnings, envWarnings)
	if attempts < 2 || attempts > 4 {
		t.Errorf("%d Pod creations in %s; with back-off 1, 2, 4 s there are 3 or 4", attempts, window)
	}
	if sessWarnings != attempts || envWarnings != attempts {
		t.Errorf("want one Warning per refusal on the Session and on the Environment; got %d and %d for %d", sessWarnings, envWarnings, attempts)
	}
	items := workItems(t, envID)
	for _, it := range items[:len(items)-1] {
		if it.State != "stopped" {
			t.Errorf("refused work item %s is %s, want stopped (given back at once)", it.ID, it.State)
		}
	}

	if err := k8s.Delete(context.Background(), &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "no-pods"}}); err != nil {
		t.Fatal(err)
	}
	final := waitFinishedWithin(t, sess, 2*time.Minute)
	if final.Status.Phase != v1alpha1.SessionSucceeded || !strings.Contains(conversation(final), "it printed:\nadmitted-at-last") {
		t.Errorf("the turn did not finish once the quota was gone: %s, %q", final.Status.Phase, conversation(final))
	}
	if c := meta.FindStatusCondition(final.Status.Conditions, v1alpha1.ConditionSandboxHealthy); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("SandboxHealthy is not True once a sandbox ran: %+v (%s)", c, cl)
	}
	if got := settled(t, pw, f.ns); got.total != 1 {
		t.Errorf("%d sandbox Pods existed; only the one admitted after the quota went should", got.total)
	}
}
