// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestClassify(t *testing.T) {
	now := time.Now()
	created := metav1.NewTime(now.Add(-5 * time.Second))
	old := metav1.NewTime(now.Add(-10 * time.Minute))
	main := func(s corev1.ContainerState) []corev1.ContainerStatus {
		return []corev1.ContainerStatus{{Name: ContainerSandbox, State: s}}
	}
	exit := func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	waiting := func(reason string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "m"}}
	}
	cases := []struct {
		reason   string
		created  metav1.Time
		deleting bool
		status   corev1.PodStatus
		want     podState
	}{
		{reason: "a Pod still pulling its image is pending", created: created,
			status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: main(waiting("ContainerCreating"))},
			want:   podState{}},
		{reason: "a running sandbox is left alone", created: created,
			status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: main(corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})},
			want:   podState{running: true}},
		{reason: "exit 0: the runner stopped the item itself", created: created,
			status: corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: main(exit(0, "Completed"))},
			want:   podState{ended: true}},
		{reason: "a lost lease is not ours to stop: the item may be held by another worker", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: main(exit(runnerExitLeaseLost, "Error"))},
			want:   podState{ended: true, failed: true, reason: ReasonLeaseLost}},
		{reason: "an interrupted runner stopped the item on its way out", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: main(exit(runnerExitInterrupted, "Error"))},
			want:   podState{ended: true, failed: true, reason: "Interrupted"}},
		{reason: "an interrupted runner of a Pod being deleted: someone deleted it", created: created, deleting: true,
			status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: main(exit(runnerExitInterrupted, "Error"))},
			want:   podState{ended: true, failed: true, reason: ReasonPodGone}},
		{reason: "an interrupted runner of an evicted Pod: the eviction is the cause", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", ContainerStatuses: main(exit(runnerExitInterrupted, "Error"))},
			want:   podState{ended: true, failed: true, reason: "Evicted"}},
		{reason: "a runner killed at the Pod's deadline: the deadline is the cause, the item must be stopped", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "DeadlineExceeded", ContainerStatuses: main(exit(137, "Error"))},
			want:   podState{ended: true, failed: true, stopItem: true, reason: "DeadlineExceeded"}},
		{reason: "OOMKilled: the runner could not stop the item", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: main(exit(137, "OOMKilled"))},
			want:   podState{ended: true, failed: true, stopItem: true, reason: "OOMKilled"}},
		{reason: "killed: exit code 137 with reason Error", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: main(exit(137, "Error"))},
			want:   podState{ended: true, failed: true, stopItem: true, reason: ReasonExitCode}},
		{reason: "evicted: the Pod's reason, no container ended", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", ContainerStatuses: main(waiting("ContainerCreating"))},
			want:   podState{ended: true, failed: true, stopItem: true, reason: "Evicted"}},
		{reason: "the Pod's deadline", created: created,
			status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "DeadlineExceeded"},
			want:   podState{ended: true, failed: true, stopItem: true, reason: "DeadlineExceeded"}},
		{reason: "an image that cannot be pulled will not start", created: created,
			status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: main(waiting("ImagePullBackOff"))},
			want:   podState{ended: true, failed: true, stopItem: true, reason: "ImagePullBackOff"}},
		{reason: "a config error right after creation may be a Secret about to appear", created: created,
			status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: main(waiting("CreateContainerConfigError"))},
			want:   podState{}},
		{reason: "a Pod that does not start within the start timeout is given up before its lease lapses", created: old,
			status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
				Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/1 nodes"}}},
			want: podState{ended: true, failed: true, stopItem: true, unschedulable: true, reason: ReasonStartTimeout}},
		{reason: "an unschedulable Pod within the timeout waits, and says why", created: created,
			status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
				Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/1 nodes"}}},
			want: podState{unschedulable: true, reason: ReasonUnschedulable}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: tc.created}, Status: tc.status}
			if tc.deleting {
				pod.DeletionTimestamp = &created
			}
			got := classify(pod, now, time.Minute)
			got.message, got.startedAt = "", time.Time{}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTerminationMessageLastLine(t *testing.T) {
	cases := []struct{ why, msg, want string }{
		{why: "the runner's own outcome is one line", msg: "Failed: the session is gone\n", want: "Failed: the session is gone"},
		{why: "a killed runner leaves its log's tail: the last line says what it was doing",
			msg: "{\"msg\":\"Handling work item\"}\n{\"msg\":\"executing tool\"}\n\n", want: "{\"msg\":\"executing tool\"}"},
		{why: "no message", msg: "", want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			if got := lastLine(tc.msg); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
