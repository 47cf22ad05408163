// SPDX-License-Identifier: Apache-2.0

package processnode_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// TestHoldPulls: a held image keeps its container in ContainerCreating ("Pulling image") until the
// hold is released, then the container starts as usual; other images are not held.
func TestHoldPulls(t *testing.T) {
	ns := newNamespace(t)
	release := env.Node.HoldPulls("registry.example/slow:1")
	t.Cleanup(release)
	slow := shell("main", "echo pulled")
	slow.Image = "registry.example/slow:1"
	createPod(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "slow", Namespace: ns},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{slow}}})
	createPod(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "fast", Namespace: ns},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{shell("main", "echo fast")}}})
	waitPod(t, ns, "fast", "the Pod whose image is not held to succeed", phaseIs(corev1.PodSucceeded))

	pulling := func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return p.Status.Phase == corev1.PodPending && len(cs) == 1 && cs[0].State.Waiting != nil &&
			cs[0].State.Waiting.Reason == processnode.ReasonContainerCreating && cs[0].State.Waiting.Message == `Pulling image "registry.example/slow:1"`
	}
	waitPod(t, ns, "slow", "the held pull to show", pulling)
	time.Sleep(time.Second)
	waitPod(t, ns, "slow", "the held Pod to stay pulling", pulling)

	release()
	release() // idempotent
	waitPod(t, ns, "slow", "the released Pod to succeed", phaseIs(corev1.PodSucceeded))
}
