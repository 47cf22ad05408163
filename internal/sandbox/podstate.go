// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Runner exit codes (cmd/sandbox-runner's documented contract).
const (
	runnerExitLeaseLost   = 3
	runnerExitInterrupted = 4
)

// Reasons for sandbox failures that Kubernetes does not name itself.
const (
	ReasonStartTimeout  = "StartTimeout"
	ReasonLeaseLost     = "LeaseLost"
	ReasonExitCode      = "ExitCode"
	ReasonUnschedulable = "Unschedulable"
	ReasonPodGone       = "PodDeleted"
	ReasonInterrupted   = "Interrupted"
)

// stuckReasons are waiting reasons from which a container will not start by itself soon enough to
// hold the work item: the image is wrong or the container cannot be configured.
var stuckReasons = map[string]bool{
	"ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerError": true, "CreateContainerConfigError": true, "RunContainerError": true,
}

// stuckGrace is how long a container may show a stuck reason before the dispatcher gives up on
// its Pod (a CreateContainerConfigError can be a Secret or ConfigMap that is about to appear).
const stuckGrace = 20 * time.Second

// podState is what the dispatcher makes of a sandbox Pod.
type podState struct {
	// ended: the sandbox is over (successfully or not) and the Pod can go.
	ended bool
	// failed: the sandbox ended or cannot start; reason and message say why.
	failed          bool
	reason, message string
	// stopItem: the work item must be stopped by the dispatcher (the runner could not).
	stopItem bool
	// running: the sandbox container has started.
	running bool
	// unschedulable: the scheduler found no node for it.
	unschedulable bool
	startedAt     time.Time
}

// classify reads a sandbox Pod's status at now. startTimeout bounds how long a Pod may take to
// start its sandbox container, counted from the Pod's creation.
func classify(pod *corev1.Pod, now time.Time, startTimeout time.Duration) podState {
	var st podState
	main := containerStatus(pod.Status.ContainerStatuses, ContainerSandbox)
	if main != nil && main.State.Running != nil {
		st.running, st.startedAt = true, main.State.Running.StartedAt.Time
	}
	if main != nil && main.State.Terminated != nil {
		t := main.State.Terminated
		st.startedAt = t.StartedAt.Time
		return terminated(st, t, pod)
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		// Failed without a terminated sandbox container: evicted, deadline, node lost, or the init
		// container failed.
		st.ended, st.failed, st.stopItem = true, true, true
		st.reason, st.message = pod.Status.Reason, pod.Status.Message
		if st.reason == "" {
			st.reason, st.message = initFailure(pod)
		}
		return st
	}
	if st.running {
		return st
	}
	if reason, msg, ok := stuck(pod, now); ok {
		st.ended, st.failed, st.stopItem, st.reason, st.message = true, true, true, reason, msg
		return st
	}
	if c := podCondition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
		st.unschedulable, st.reason, st.message = true, ReasonUnschedulable, c.Message
	}
	if startTimeout > 0 && now.Sub(pod.CreationTimestamp.Time) > startTimeout {
		scheduling := st.message
		st.ended, st.failed, st.stopItem = true, true, true
		st.reason = ReasonStartTimeout
		st.message = fmt.Sprintf("the sandbox did not start within %s", startTimeout)
		if st.unschedulable {
			st.message += ": " + truncate(scheduling, 200)
		}
	}
	return st
}

// terminated reads the sandbox container's end through the runner's exit codes.
func terminated(st podState, t *corev1.ContainerStateTerminated, pod *corev1.Pod) podState {
	st.ended = true
	switch t.ExitCode {
	case 0:
		return st // the runner stopped the item on its way out
	case runnerExitLeaseLost:
		// The item is back in the queue or held by someone else: stopping it would be wrong.
		st.failed, st.reason, st.message = true, ReasonLeaseLost, "the work item's lease was lost; the item went back to the queue"
		return st
	case runnerExitInterrupted:
		// The runner was signalled: say who stopped the Pod (eviction, deadline, deletion).
		st.failed, st.reason, st.message = true, ReasonInterrupted, "the sandbox was stopped; the runner stopped the work item"
		switch {
		case pod.Status.Reason != "":
			st.reason, st.message = pod.Status.Reason, pod.Status.Message+"; the runner stopped the work item"
		case !pod.DeletionTimestamp.IsZero():
			st.reason, st.message = ReasonPodGone, "the sandbox Pod was deleted while it ran; the runner stopped the work item"
		}
		return st
	}
	st.failed, st.stopItem = true, true
	st.reason = t.Reason
	if st.reason == "" || st.reason == "Error" {
		st.reason = ReasonExitCode
	}
	if pod.Status.Reason != "" { // evicted or past its deadline: the Pod's reason is the cause
		st.reason = pod.Status.Reason
	}
	st.message = fmt.Sprintf("the sandbox container exited with code %d", t.ExitCode)
	if t.Signal != 0 {
		st.message += fmt.Sprintf(" (signal %d)", t.Signal)
	}
	if last := lastLine(t.Message); last != "" {
		st.message += ": " + truncate(last, 300)
	}
	return st
}

// stuck reports a container waiting for a reason it will not recover from in time.
func stuck(pod *corev1.Pod, now time.Time) (reason, message string, ok bool) {
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		w := cs.State.Waiting
		if w == nil || !stuckReasons[w.Reason] {
			continue
		}
		if w.Reason == "CreateContainerConfigError" && now.Sub(pod.CreationTimestamp.Time) < stuckGrace {
			continue
		}
		return w.Reason, fmt.Sprintf("container %s: %s", cs.Name, truncate(w.Message, 300)), true
	}
	return "", "", false
}

// initFailure names the init container that failed, if one did.
func initFailure(pod *corev1.Pod) (reason, message string) {
	for _, cs := range pod.Status.InitContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return "InitContainerFailed", fmt.Sprintf("init container %s exited with code %d", cs.Name, t.ExitCode)
		}
	}
	return "PodFailed", "the sandbox Pod failed"
}

func containerStatus(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

// lastLine is the last non-empty line of a termination message. The runner's own is one line; a
// runner killed before it could write one leaves the tail of its log (the container's
// FallbackToLogsOnError), whose last line is what it was doing.
func lastLine(msg string) string {
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
