// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Failures that a real node produces on its own (memory pressure, an out-of-memory kill) cannot
// happen here: there are no cgroups. Tests provoke them with these hooks, and the node reports them
// exactly as a kubelet would.

const (
	// ReasonOOMKilled is a container's terminated reason after OOMKill.
	ReasonOOMKilled = "OOMKilled"
	// ReasonEvicted is the Pod's reason after Evict.
	ReasonEvicted = "Evicted"

	// hookTimeout bounds how long a hook waits for the Pod's worker.
	hookTimeout = 10 * time.Second
)

var errPodNotHere = errors.New("the pod is not on this node")

// OOMKill kills a running container's processes with SIGKILL and reports the container terminated
// with reason OOMKilled and exit code 137, as a container runtime does when the container's memory
// cgroup runs out. The restart policy then applies as usual.
func (n *Node) OOMKill(namespace, pod, container string) error {
	return n.onWorker(namespace, pod, func(w *podWorker) error {
		for _, c := range w.all() {
			// signal is false for a process that has just exited on its own: that end stays its own.
			if c.spec.Name == container && c.proc != nil && c.proc.signal(syscall.SIGKILL) {
				c.oomKilled = true
				return nil
			}
		}
		return fmt.Errorf("container %q of pod %s/%s is not running", container, namespace, pod)
	})
}

// Evict ends a Pod the way the kubelet's eviction manager does under node pressure: phase Failed
// with reason Evicted and the message (for example "The node was low on resource: memory."), a
// DisruptionTarget condition, a Warning Event, and its containers stopped. The Pod object stays
// until someone deletes it.
func (n *Node) Evict(namespace, pod, message string) error {
	return n.onWorker(namespace, pod, func(w *podWorker) error {
		if isTerminalPhase(w.phase) {
			return fmt.Errorf("pod %s/%s has already ended (%s)", namespace, pod, w.phase)
		}
		w.phase, w.reason, w.msg, w.evicted = corev1.PodFailed, ReasonEvicted, message, true
		w.event(corev1.EventTypeWarning, ReasonEvicted, message)
		w.terminate(time.Now(), minKillGrace, false)
		return nil
	})
}

// onWorker runs fn on the Pod's worker goroutine, the only one that may touch its state, and
// returns fn's result.
func (n *Node) onWorker(namespace, pod string, fn func(*podWorker) error) error {
	w := n.workerByName(namespace, pod)
	if w == nil {
		return fmt.Errorf("%w: %s/%s on %s", errPodNotHere, namespace, pod, n.cfg.NodeName)
	}
	result := make(chan error, 1)
	w.mu.Lock()
	w.actions = append(w.actions, func() { result <- fn(w) })
	w.mu.Unlock()
	w.poke()
	select {
	case err := <-result:
		return err
	case <-w.done:
		return fmt.Errorf("%w: %s/%s is gone", errPodNotHere, namespace, pod)
	case <-time.After(hookTimeout):
		return fmt.Errorf("the worker of pod %s/%s did not answer in %s", namespace, pod, hookTimeout)
	}
}
