// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Container and Pod reasons the process node reports, with the kubelet's spelling.
const (
	ReasonPodInitializing            = "PodInitializing"
	ReasonContainerCreating          = "ContainerCreating"
	ReasonErrImagePull               = "ErrImagePull"
	ReasonImagePullBackOff           = "ImagePullBackOff"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	ReasonCreateContainerError       = "CreateContainerError"
	ReasonCrashLoopBackOff           = "CrashLoopBackOff"
	ReasonCompleted                  = "Completed"
	ReasonError                      = "Error"
	ReasonStartError                 = "StartError"
	ReasonContainerStatusUnknown     = "ContainerStatusUnknown"
	// ReasonDeadlineExceeded is the Pod's reason when activeDeadlineSeconds ran out.
	ReasonDeadlineExceeded = "DeadlineExceeded"
	// ReasonUnsupported is the Pod's reason when it asks for something the process node cannot do
	// (a volume type, a sidecar container); the message names the field.
	ReasonUnsupported = "UnsupportedByProcessNode"

	reasonContainersNotInitialized = "ContainersNotInitialized"
	reasonContainersNotReady       = "ContainersNotReady"
	reasonPodCompleted             = "PodCompleted"
	reasonReadinessGatesNotReady   = "ReadinessGatesNotReady"
)

// podPhase decides the phase from the container statuses, following the kubelet's getPhase.
// terminal says the Pod is being stopped for good (deleted): stopped containers then end it.
func podPhase(spec *corev1.PodSpec, inits, mains []corev1.ContainerStatus, terminal bool) corev1.PodPhase {
	pendingInit, failedInit := countInits(inits)
	if failedInit > 0 && spec.RestartPolicy == corev1.RestartPolicyNever {
		return corev1.PodFailed
	}
	running, waiting, stopped, succeeded := 0, 0, 0, 0
	for _, st := range mains {
		switch {
		case st.State.Running != nil:
			running++
		case st.State.Terminated != nil:
			stopped++
			if st.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case st.LastTerminationState.Terminated != nil:
			stopped++ // waiting to restart
		default:
			waiting++
		}
	}
	switch {
	case terminal && running == 0 && waiting == 0 && pendingInit == 0:
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		return corev1.PodFailed
	case pendingInit > 0, waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped == 0:
		return corev1.PodPending
	case spec.RestartPolicy == corev1.RestartPolicyAlways:
		return corev1.PodRunning
	case stopped == succeeded:
		return corev1.PodSucceeded
	case spec.RestartPolicy == corev1.RestartPolicyNever:
		return corev1.PodFailed
	default: // OnFailure: the failed containers restart
		return corev1.PodRunning
	}
}

// countInits counts the init containers that have not finished yet and those that failed.
func countInits(inits []corev1.ContainerStatus) (pending, failed int) {
	for _, st := range inits {
		switch {
		case st.State.Terminated != nil:
			if st.State.Terminated.ExitCode != 0 {
				failed++
			}
		case st.State.Waiting != nil && st.LastTerminationState.Terminated != nil:
			if st.LastTerminationState.Terminated.ExitCode != 0 {
				failed++
			}
		default: // running, or waiting for its first run
			pending++
		}
	}
	return pending, failed
}

// isTerminalPhase reports whether a phase is final.
func isTerminalPhase(p corev1.PodPhase) bool {
	return p == corev1.PodSucceeded || p == corev1.PodFailed
}

// podConditions returns the conditions the kubelet owns, computed from the container statuses.
// PodScheduled belongs to the scheduler and is never touched.
func podConditions(pod *corev1.Pod, phase corev1.PodPhase, sandboxReady bool, inits, mains []corev1.ContainerStatus) []corev1.PodCondition {
	cond := func(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			c = corev1.PodCondition{Type: t, Status: corev1.ConditionTrue}
		}
		return c
	}
	var notInit, notReady []string
	for _, st := range inits {
		if st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			notInit = append(notInit, st.Name)
		}
	}
	for _, st := range mains {
		if !st.Ready {
			notReady = append(notReady, st.Name)
		}
	}
	terminal := isTerminalPhase(phase)
	initialized := cond(corev1.PodInitialized, len(notInit) == 0, reasonContainersNotInitialized, incomplete("incomplete", notInit))
	containersReady := cond(corev1.ContainersReady, len(notReady) == 0, reasonContainersNotReady, incomplete("unready", notReady))
	ready := cond(corev1.PodReady, len(notReady) == 0, reasonContainersNotReady, incomplete("unready", notReady))
	if gates := unreadyGates(pod); len(notReady) == 0 && len(gates) > 0 {
		ready = cond(corev1.PodReady, false, reasonReadinessGatesNotReady, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist or is not True", gates[0]))
	}
	if terminal {
		containersReady = cond(corev1.ContainersReady, false, reasonPodCompleted, "")
		ready = cond(corev1.PodReady, false, reasonPodCompleted, "")
		if len(notInit) == 0 {
			initialized.Reason = reasonPodCompleted
		}
	}
	return []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, sandboxReady, "", ""),
		initialized, ready, containersReady,
	}
}

func incomplete(what string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("containers with %s status: [%s]", what, strings.Join(names, " "))
}

func unreadyGates(pod *corev1.Pod) []string {
	var out []string
	for _, g := range pod.Spec.ReadinessGates {
		ok := false
		for _, c := range pod.Status.Conditions {
			ok = ok || (c.Type == g.ConditionType && c.Status == corev1.ConditionTrue)
		}
		if !ok {
			out = append(out, string(g.ConditionType))
		}
	}
	return out
}

// mergeConditions puts ours into existing: conditions of other types (PodScheduled,
// DisruptionTarget, readiness gates) are kept, and a condition whose status did not change keeps
// its lastTransitionTime.
func mergeConditions(existing, ours []corev1.PodCondition, now metav1.Time) []corev1.PodCondition {
	out := make([]corev1.PodCondition, 0, len(existing)+len(ours))
	owned := map[corev1.PodConditionType]bool{}
	for _, c := range ours {
		owned[c.Type] = true
	}
	for _, c := range existing {
		if !owned[c.Type] {
			out = append(out, c)
		}
	}
	for _, c := range ours {
		c.LastTransitionTime = now
		for _, old := range existing {
			if old.Type == c.Type && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
				c.LastProbeTime = old.LastProbeTime
			}
		}
		out = append(out, c)
	}
	return out
}
