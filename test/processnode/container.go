// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// container is the node's state of one container of a Pod.
type container struct {
	spec   *corev1.Container
	init   bool
	status corev1.ContainerStatus // what the node reports for it
	proc   *process               // the live run, or nil
	// final: it will not run again (an init container that succeeded, or a container whose exit
	// the restart policy keeps).
	final bool
	// nextTry is when the next start (or pull) may happen; failures is how many in a row failed,
	// which sets the back-off.
	nextTry  time.Time
	failures int
	// showBackOffAt is when ErrImagePull turns into ImagePullBackOff.
	showBackOffAt time.Time
	// oomKilled says the live run was killed by OOMKill: its end is reported as OOMKilled.
	oomKilled bool
}

// newContainer is a container that has not started: ContainerCreating, or PodInitializing for a
// main container that waits for init containers.
func newContainer(spec *corev1.Container, init, afterInits bool) *container {
	reason := ReasonContainerCreating
	if !init && afterInits {
		reason = ReasonPodInitializing
	}
	return &container{spec: spec, init: init, status: corev1.ContainerStatus{
		Name:  spec.Name,
		Image: spec.Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}},
	}}
}

// setWaiting shows the container waiting for reason.
func (c *container) setWaiting(reason, msg string) {
	c.status.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
	c.status.Ready, c.status.Started = false, ptr.To(false)
}

// setRunning shows a started process.
func (c *container) setRunning(p *process, containerID string) {
	c.proc = p
	c.status.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(p.startedAt)}}
	c.status.ContainerID = containerID
	c.status.ImageID = c.spec.Image
	// No probes run here: a running container is started and ready.
	c.status.Ready, c.status.Started = true, ptr.To(true)
}

// backoff is the pause before the next try after n failures in a row: none for the first, then
// base doubling up to most.
func backoff(n int, base, most time.Duration) time.Duration {
	if n <= 1 {
		return 0
	}
	d := base
	for i := 2; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// shouldRestart applies the Pod's restart policy to a container that exited with code.
func shouldRestart(policy corev1.RestartPolicy, init bool, code int32) bool {
	if init {
		return code != 0 && policy != corev1.RestartPolicyNever
	}
	switch policy {
	case corev1.RestartPolicyAlways:
		return true
	case corev1.RestartPolicyOnFailure:
		return code != 0
	}
	return false
}

// terminatedReason is the reason a container runtime gives an exit code. An out-of-memory kill
// cannot happen or be told from any other SIGKILL without cgroups: OOMKilled is reported only for
// a kill by Node.OOMKill.
func terminatedReason(code int32) string {
	if code == 0 {
		return ReasonCompleted
	}
	return ReasonError
}

// lostState is what the node reports for a container it cannot account for: one that was running
// before the node restarted, or one that never ran when the Pod ended.
func lostState(now time.Time) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode:   137,
		Reason:     ReasonContainerStatusUnknown,
		Message:    "The container could not be located when the pod was terminated",
		FinishedAt: metav1.NewTime(now),
	}
}
