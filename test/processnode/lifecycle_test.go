// SPDX-License-Identifier: Apache-2.0

package processnode_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
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

// TestStoppingTheNodeStopsItsProcesses runs a second node just for this test, stops it while its
// Pod runs, and checks that nothing it started survives.
func TestStoppingTheNodeStopsItsProcesses(t *testing.T) {
	const name = "short-lived-node"
	node, stop := startExtraNode(t, name, t.TempDir())
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
	for _, st := range running.Status.ContainerStatuses {
		waitDead(t, pidOf(t, st))
	}
	if strays := processnode.StrayProcesses(name); len(strays) > 0 {
		t.Errorf("processes left after the node stopped: %v", strays)
	}
}

// TestNodeRestart stops a node while its Pods run and starts it again: processes do not survive a
// node, so the containers it showed running are lost (ContainerStatusUnknown), and the restart
// policy decides: Never fails the Pod, Always starts the container again.
func TestNodeRestart(t *testing.T) {
	const name = "restarting-node"
	root := t.TempDir()
	_, stop := startExtraNode(t, name, root)
	ns := newNamespace(t)
	for _, policy := range []corev1.RestartPolicy{corev1.RestartPolicyNever, corev1.RestartPolicyAlways} {
		createPod(t, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(policy)), Namespace: ns},
			Spec: corev1.PodSpec{
				NodeName: name, RestartPolicy: policy, TerminationGracePeriodSeconds: int64p(2),
				Containers: []corev1.Container{shell("main", "echo run; sleep 600")},
			},
		})
		waitPod(t, ns, strings.ToLower(string(policy)), "the Pod to run", phaseIs(corev1.PodRunning))
	}
	stop()
	startExtraNode(t, name, root)

	never := waitPod(t, ns, "never", "the Never Pod to fail", phaseIs(corev1.PodFailed))
	if term := never.Status.ContainerStatuses[0].State.Terminated; term == nil || term.Reason != processnode.ReasonContainerStatusUnknown || term.ExitCode != 137 {
		t.Errorf("Never Pod's container after the restart: %+v", never.Status.ContainerStatuses[0].State)
	}
	always := waitPod(t, ns, "always", "the Always Pod to run again", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if last := always.Status.ContainerStatuses[0].LastTerminationState.Terminated; last == nil || last.Reason != processnode.ReasonContainerStatusUnknown {
		t.Errorf("Always Pod's last state: %+v", always.Status.ContainerStatuses[0].LastTerminationState)
	}
	testenv.WaitFor(t, waitTimeout, "the restarted container's log", func() (bool, string) {
		out := logs(t, ns, "always", &corev1.PodLogOptions{})
		return out == "run\n", out
	})
	if got := logs(t, ns, "always", &corev1.PodLogOptions{Previous: true}); got != "run\n" {
		t.Errorf("the log of the run before the node restart: %q", got)
	}
}

// startExtraNode runs a node besides the suite's, tainted so that the scheduler keeps the other
// tests' Pods away: only Pods that name it run there. stop stops it (once); the test's cleanup
// stops it too and deletes the Node.
func startExtraNode(t *testing.T, name, root string) (*processnode.Node, func()) {
	t.Helper()
	node, err := processnode.New(processnode.Config{
		NodeName:  name,
		RootDir:   root,
		StopGrace: 2 * time.Second,
		Taints:    []corev1.Taint{{Key: "test.claude.anthropic.com/dedicated", Value: name, Effect: corev1.TaintEffectNoSchedule}},
	}, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("node %s: %v", name, err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("node %s did not stop", name)
			}
		})
	}
	t.Cleanup(func() {
		stop()
		_ = clientset.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	select {
	case <-node.Ready():
	case err := <-done:
		t.Fatalf("node %s: %v", name, err)
	}
	return node, stop
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

// TestOOMKillAndEvict provokes the failures a real node produces under memory pressure and checks
// that they are reported as a kubelet reports them.
func TestOOMKillAndEvict(t *testing.T) {
	ns := newNamespace(t)
	hungry := shell("hungry", "echo allocating a lot; sleep 600")
	hungry.TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
	for _, pod := range []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "oom", Namespace: ns},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, Containers: []corev1.Container{hungry}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "evicted", Namespace: ns},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{shell("main", "sleep 600")}}},
	} {
		createPod(t, pod)
		waitPod(t, ns, pod.Name, "the Pod to run", phaseIs(corev1.PodRunning))
	}
	testenv.WaitFor(t, waitTimeout, "the first log line", func() (bool, string) {
		out := logs(t, ns, "oom", &corev1.PodLogOptions{})
		return out != "", out
	})

	if err := env.Node.OOMKill(ns, "oom", "hungry"); err != nil {
		t.Fatal(err)
	}
	oom := waitPod(t, ns, "oom", "the OOM-killed container to restart", func(p *corev1.Pod) bool {
		return p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	last := oom.Status.ContainerStatuses[0].LastTerminationState.Terminated
	if last == nil || last.Reason != processnode.ReasonOOMKilled || last.ExitCode != 137 || last.Message != "allocating a lot\n" {
		t.Errorf("last state after OOMKill: %+v", last)
	}
	if err := env.Node.OOMKill(ns, "oom", "no-such-container"); err == nil {
		t.Error("OOMKill of a container that does not run succeeded")
	}

	running := waitPod(t, ns, "evicted", "the Pod to run", phaseIs(corev1.PodRunning))
	const why = "The node was low on resource: memory."
	if err := env.Node.Evict(ns, "evicted", why); err != nil {
		t.Fatal(err)
	}
	evicted := waitPod(t, ns, "evicted", "the Pod to be evicted", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodFailed && p.Status.ContainerStatuses[0].State.Terminated != nil
	})
	if evicted.Status.Reason != processnode.ReasonEvicted || evicted.Status.Message != why {
		t.Errorf("evicted Pod: reason %q message %q", evicted.Status.Reason, evicted.Status.Message)
	}
	if c := condition(evicted, corev1.DisruptionTarget); c.Status != corev1.ConditionTrue {
		t.Errorf("DisruptionTarget = %+v", c)
	}
	waitDead(t, pidOf(t, running.Status.ContainerStatuses[0]))
	if err := env.Node.Evict(ns, "no-such-pod", why); err == nil {
		t.Error("Evict of a Pod that is not on the node succeeded")
	}
}
