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

// SandboxLogs copies the log of a Session's sandbox Pod (its sandbox container) to w, and with
// follow keeps copying until the container ends or ctx is done. It reads the Pod log subresource,
// as `kubectl logs` does, so it needs get on pods/log in the Session's namespace.
func SandboxLogs(ctx context.Context, pods corev1client.PodsGetter, sess *v1alpha1.Session, follow bool, w io.Writer) error {
	sb := sess.Status.Sandbox
	if sb == nil || sb.PodName == "" {
		return fmt.Errorf("session %s has %w: only a session on a SelfHosted Environment gets one, once its first tool call is claimed", sess.Name, ErrNoSandbox)
	}
	pod, err := pods.Pods(sess.Namespace).Get(ctx, sb.PodName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%w: sandbox Pod %s of session %s is gone (%s), and its log with it: the operator deletes a sandbox Pod when its work item stops",
			ErrNoSandbox, sb.PodName, sess.Name, gone(sb))
	}
	if err != nil {
		return err
	}
	stream, err := pods.Pods(sess.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: SandboxContainer, Follow: follow}).Stream(ctx)
	if err != nil {
		return fmt.Errorf("reading the log of sandbox Pod %s (%s): %w", pod.Name, pod.Status.Phase, err)
	}
	defer func() { _ = stream.Close() }()
	if _, err := io.Copy(w, stream); err != nil && ctx.Err() == nil {
		return fmt.Errorf("reading the log of sandbox Pod %s: %w", pod.Name, err)
	}
	return nil
}

// gone says when a sandbox Pod was last seen ending, for the error about a Pod that no longer exists.
func gone(sb *v1alpha1.SessionSandbox) string {
	if sb.FinishTime != nil {
		return "it ended at " + sb.FinishTime.UTC().Format(time.RFC3339)
	}
	return "its last known phase was " + sb.Phase
}
