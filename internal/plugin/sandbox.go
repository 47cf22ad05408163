// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// SandboxContainer is the container of a sandbox Pod that runs the agent's tools (the operator's
// runner in the user's image). The plugin does not import internal/sandbox, which would pull the
// dispatcher and the SDK into the plugin; a test keeps the two names equal.
const SandboxContainer = "sandbox"

// ErrNoSandbox is wrapped by SandboxLogs' error when the Session has no sandbox Pod to read.
var ErrNoSandbox = errors.New("no sandbox Pod")

// sandboxLines renders status.sandbox for `kubectl claude status`: the Pod, where and how it runs,
// when it started and ended, and why it failed or waits.
func sandboxLines(sb *v1alpha1.SessionSandbox, now time.Time) [][2]string {
	if sb == nil {
		return nil
	}
	phase := sb.Phase
	if phase == "" {
		phase = string(corev1.PodPending)
	}
	pod := "pod " + sb.PodName + ", " + phase
	if sb.NodeName != "" {
		pod += " on node " + sb.NodeName
	}
	lines := [][2]string{{"Sandbox", pod}}
	var times []string
	if sb.StartTime != nil {
		times = append(times, "started "+ago(sb.StartTime, now))
	}
	if sb.FinishTime != nil {
		times = append(times, "finished "+ago(sb.FinishTime, now))
	}
	if len(times) > 0 {
		lines = append(lines, [2]string{"Sandbox time", strings.Join(times, ", ")})
	}
	if sb.Reason != "" {
		why := sb.Reason
		if sb.Message != "" {
			why += ": " + oneLine(sb.Message)
		}
		lines = append(lines, [2]string{"Sandbox note", why})
	}
	return lines
}

// ago formats a time as RFC 3339 in UTC with how long ago it was.
func ago(t *metav1.Time, now time.Time) string {
	return t.UTC().Format(time.RFC3339) + " (" + duration.HumanDuration(now.Sub(t.Time)) + " ago)"
}

// SandboxLogOptions say how SandboxLogs reads a sandbox Pod's log.
type SandboxLogOptions struct {
	// Follow keeps copying until the container ends or the context is done, and first waits for a
	// Pod that has not started its sandbox container yet.
	Follow bool
	// Out receives the log; ErrOut a note while Follow waits for the container to start.
	Out, ErrOut io.Writer
	// Poll is how often a waiting Follow looks at the Pod again; zero means one second.
	Poll time.Duration
}

// SandboxLogs copies the log of a Session's sandbox Pod (its sandbox container) to o.Out. It reads
// the Pod log subresource, as `kubectl logs` does, so it needs get on pods and pods/log in the
// Session's namespace.
func SandboxLogs(ctx context.Context, pods corev1client.PodsGetter, sess *v1alpha1.Session, o SandboxLogOptions) error {
	sb := sess.Status.Sandbox
	if sb == nil || sb.PodName == "" {
		return fmt.Errorf("session %s has %w: only a session on a SelfHosted Environment gets one, once its first tool call is claimed", sess.Name, ErrNoSandbox)
	}
	pod, err := startedPod(ctx, pods, sess, o)
	if err != nil {
		return err
	}
	stream, err := pods.Pods(sess.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: SandboxContainer, Follow: o.Follow}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("reading the log of sandbox Pod %s (%s): %w", pod.Name, pod.Status.Phase, err)
	}
	defer func() { _ = stream.Close() }()
	if _, err := io.Copy(o.Out, stream); err != nil && ctx.Err() == nil {
		return fmt.Errorf("reading the log of sandbox Pod %s: %w", pod.Name, err)
	}
	return nil
}

// startedPod reads the session's sandbox Pod once its sandbox container has started (or ended).
// Without Follow a Pod that has not started is an error that says how to wait for it; with Follow
// it is polled, with one note on ErrOut, until it starts, goes, or ctx ends.
func startedPod(ctx context.Context, pods corev1client.PodsGetter, sess *v1alpha1.Session, o SandboxLogOptions) (*corev1.Pod, error) {
	sb := sess.Status.Sandbox
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	noted := false
	for {
		pod, err := pods.Pods(sess.Namespace).Get(ctx, sb.PodName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w: sandbox Pod %s of session %s is gone (%s), and its log with it: the operator deletes a sandbox Pod when its work item stops",
				ErrNoSandbox, sb.PodName, sess.Name, gone(sb))
		}
		if err != nil {
			return nil, err
		}
		waiting := notStarted(pod)
		switch {
		case waiting == "":
			return pod, nil
		case !o.Follow:
			return nil, fmt.Errorf("sandbox Pod %s has not started its %s container yet (%s): pass -f to wait for it", pod.Name, SandboxContainer, waiting)
		case !noted && o.ErrOut != nil:
			fmt.Fprintf(o.ErrOut, "waiting for sandbox Pod %s to start (%s)\n", pod.Name, waiting)
			noted = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// notStarted says why a Pod's sandbox container has neither started nor ended (its waiting reason,
// else the Pod's phase), or "" once it has.
func notStarted(pod *corev1.Pod) string {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != SandboxContainer {
			continue
		}
		if cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil {
			return ""
		}
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return string(pod.Status.Phase) + ": " + w.Reason
		}
	}
	if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
		return "" // ended before the container ran: the log request says what there is
	}
	return orPhase(pod.Status.Phase)
}

func orPhase(p corev1.PodPhase) string {
	if p == "" {
		return string(corev1.PodPending)
	}
	return string(p)
}

// gone says when a sandbox Pod was last seen ending, for the error about a Pod that no longer exists.
func gone(sb *v1alpha1.SessionSandbox) string {
	if sb.FinishTime != nil {
		return "it ended at " + sb.FinishTime.UTC().Format(time.RFC3339)
	}
	return "its last known phase was " + sb.Phase
}
