// SPDX-License-Identifier: Apache-2.0

package processnode_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// TestBackgroundProcessDiesWithItsContainer checks container semantics: what the main process left
// running in the background ends when the main process ends.
func TestBackgroundProcessDiesWithItsContainer(t *testing.T) {
	ns := newNamespace(t)
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "forker", Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{shell("main", "sleep 600 & echo $!")},
		},
	})
	waitPod(t, ns, pod.Name, "the Pod to succeed", phaseIs(corev1.PodSucceeded))
	pid, err := strconv.Atoi(strings.TrimSpace(logs(t, ns, pod.Name, &corev1.PodLogOptions{})))
	if err != nil {
		t.Fatal(err)
	}
	waitDead(t, pid)
}

// TestStoppingTheNodeStopsItsProcesses runs a second, tainted node just for this test, stops it
// while its Pod runs, and checks that nothing it started survives.
func TestStoppingTheNodeStopsItsProcesses(t *testing.T) {
	const name = "short-lived-node"
	node, err := processnode.New(processnode.Config{
		NodeName:  name,
		RootDir:   t.TempDir(),
		StopGrace: 2 * time.Second,
		// Only Pods that name this node run here: the scheduler keeps the other tests' Pods away.
		Taints: []corev1.Taint{{Key: "test.claude.anthropic.com/dedicated", Value: "stop-test", Effect: corev1.TaintEffectNoSchedule}},
	}, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
		_ = clientset.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	select {
	case <-node.Ready():
	case err := <-done:
		t.Fatalf("node: %v", err)
	}
	got, err := clientset.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spec.Taints) != 1 || got.Labels[processnode.LabelProcessNode] != "true" || got.Status.DaemonEndpoints.KubeletEndpoint.Port != int32(node.KubeletPort()) {
		t.Errorf("node taints %v labels %v kubelet port %d", got.Spec.Taints, got.Labels, got.Status.DaemonEndpoints.KubeletEndpoint.Port)
	}

	ns := newNamespace(t)
	pod := createPod(t, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:      name,
			RestartPolicy: corev1.RestartPolicyAlways,
			// One process ignores SIGTERM, so the node must escalate to SIGKILL.
			Containers: []corev1.Container{shell("a", "sleep 600"), shell("b", "trap '' TERM; while true; do sleep 0.1; done")},
		},
	})
	running := waitPod(t, ns, pod.Name, "both containers to run", phaseIs(corev1.PodRunning))
	if len(processnode.StrayProcesses(name)) < 2 {
		t.Fatalf("StrayProcesses does not see the running containers: %v", processnode.StrayProcesses(name))
	}
	stop()
	select {
	case err := <-done:
		done <- err // the cleanup reports it
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not stop")
	}
	for _, st := range running.Status.ContainerStatuses {
		waitDead(t, pidOf(t, st))
	}
	if strays := processnode.StrayProcesses(name); len(strays) > 0 {
		t.Errorf("processes left after the node stopped: %v", strays)
	}
}

// waitDead waits a little for a process to disappear: the kernel reaps a killed process's children
// asynchronously.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still alive", pid)
		}
	}
}
