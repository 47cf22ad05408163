// SPDX-License-Identifier: Apache-2.0

package processnode

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func waitingSt(reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func runningSt() corev1.ContainerStatus {
	return corev1.ContainerStatus{Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func exitedSt(code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
}

func restartingSt(code int32) corev1.ContainerStatus {
	st := waitingSt(ReasonCrashLoopBackOff)
	st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: code}
	return st
}

func TestPodPhase(t *testing.T) {
	type sts = []corev1.ContainerStatus
	cases := []struct {
		reason   string
		policy   corev1.RestartPolicy
		inits    sts
		mains    sts
		terminal bool
		want     corev1.PodPhase
	}{
		{"nothing started yet", corev1.RestartPolicyNever, nil, sts{waitingSt(ReasonContainerCreating)}, false, corev1.PodPending},
		{"an init container still runs", corev1.RestartPolicyNever, sts{runningSt()}, sts{waitingSt(ReasonPodInitializing)}, false, corev1.PodPending},
		{"an init container failed under Never: the Pod fails", corev1.RestartPolicyNever, sts{exitedSt(1)}, sts{waitingSt(ReasonPodInitializing)}, false, corev1.PodFailed},
		{"an init container failed under OnFailure: it restarts, the Pod waits", corev1.RestartPolicyOnFailure, sts{restartingSt(1)}, sts{waitingSt(ReasonPodInitializing)}, false, corev1.PodPending},
		{"an image that cannot be pulled keeps the Pod Pending", corev1.RestartPolicyNever, nil, sts{waitingSt(ReasonErrImagePull)}, false, corev1.PodPending},
		{"one container waits while another runs: still Pending, as the kubelet says", corev1.RestartPolicyNever, nil, sts{runningSt(), waitingSt(ReasonImagePullBackOff)}, false, corev1.PodPending},
		{"all running", corev1.RestartPolicyNever, sts{exitedSt(0)}, sts{runningSt(), runningSt()}, false, corev1.PodRunning},
		{"one exited, one runs", corev1.RestartPolicyNever, nil, sts{exitedSt(0), runningSt()}, false, corev1.PodRunning},
		{"all exited 0 under Never", corev1.RestartPolicyNever, nil, sts{exitedSt(0), exitedSt(0)}, false, corev1.PodSucceeded},
		{"one exited non-zero under Never", corev1.RestartPolicyNever, nil, sts{exitedSt(0), exitedSt(2)}, false, corev1.PodFailed},
		{"all exited 0 under OnFailure", corev1.RestartPolicyOnFailure, nil, sts{exitedSt(0)}, false, corev1.PodSucceeded},
		{"a failed container restarting under OnFailure keeps the Pod Running", corev1.RestartPolicyOnFailure, nil, sts{restartingSt(1)}, false, corev1.PodRunning},
		{"Always never finishes on its own", corev1.RestartPolicyAlways, nil, sts{restartingSt(0)}, false, corev1.PodRunning},
		{"a deleted Pod whose containers all succeeded", corev1.RestartPolicyAlways, nil, sts{exitedSt(0)}, true, corev1.PodSucceeded},
		{"a deleted Pod whose container was killed", corev1.RestartPolicyAlways, nil, sts{exitedSt(143)}, true, corev1.PodFailed},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			got := podPhase(&corev1.PodSpec{RestartPolicy: tc.policy}, tc.inits, tc.mains, tc.terminal)
			if got != tc.want {
				t.Errorf("podPhase = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPodConditions(t *testing.T) {
	pod := &corev1.Pod{}
	init := exitedSt(0)
	init.Name = "init"
	main := waitingSt(ReasonPodInitializing)
	main.Name = "main"
	conds := podConditions(pod, corev1.PodPending, true, []corev1.ContainerStatus{init}, []corev1.ContainerStatus{main})
	want := map[corev1.PodConditionType]struct {
		status corev1.ConditionStatus
		reason string
	}{
		corev1.PodReadyToStartContainers: {corev1.ConditionTrue, ""},
		corev1.PodInitialized:            {corev1.ConditionTrue, ""},
		corev1.ContainersReady:           {corev1.ConditionFalse, reasonContainersNotReady},
		corev1.PodReady:                  {corev1.ConditionFalse, reasonContainersNotReady},
	}
	for _, c := range conds {
		if w := want[c.Type]; c.Status != w.status || c.Reason != w.reason {
			t.Errorf("%s = %s/%s, want %s/%s", c.Type, c.Status, c.Reason, w.status, w.reason)
		}
	}
	done := podConditions(pod, corev1.PodSucceeded, true, []corev1.ContainerStatus{init}, []corev1.ContainerStatus{exitedSt(0)})
	for _, c := range done {
		if c.Type == corev1.PodReady && (c.Status != corev1.ConditionFalse || c.Reason != reasonPodCompleted) {
			t.Errorf("a finished Pod is not Ready with reason PodCompleted: %+v", c)
		}
	}
}

func TestMergeConditionsKeepsForeignAndTransitionTimes(t *testing.T) {
	then := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	now := metav1.Now()
	existing := []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: then},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: then},
		{Type: corev1.PodInitialized, Status: corev1.ConditionFalse, LastTransitionTime: then},
	}
	ours := []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionFalse},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue},
	}
	got := map[corev1.PodConditionType]corev1.PodCondition{}
	for _, c := range mergeConditions(existing, ours, now) {
		got[c.Type] = c
	}
	if _, ok := got[corev1.PodScheduled]; !ok {
		t.Error("the scheduler's PodScheduled condition was dropped")
	}
	if ready := got[corev1.PodReady]; !ready.LastTransitionTime.Equal(&then) {
		t.Error("an unchanged condition lost its lastTransitionTime")
	}
	if initialized := got[corev1.PodInitialized]; !initialized.LastTransitionTime.Equal(&now) {
		t.Error("a changed condition kept its old lastTransitionTime")
	}
}

func TestRestartPolicyAndBackoff(t *testing.T) {
	cases := []struct {
		reason string
		policy corev1.RestartPolicy
		init   bool
		code   int32
		want   bool
	}{
		{"Always restarts a main container that succeeded", corev1.RestartPolicyAlways, false, 0, true},
		{"OnFailure keeps a success", corev1.RestartPolicyOnFailure, false, 0, false},
		{"OnFailure restarts a failure", corev1.RestartPolicyOnFailure, false, 1, true},
		{"Never keeps a failure", corev1.RestartPolicyNever, false, 1, false},
		{"an init container that succeeded never reruns, even under Always", corev1.RestartPolicyAlways, true, 0, false},
		{"an init container that failed reruns under Always", corev1.RestartPolicyAlways, true, 1, true},
		{"an init container that failed under Never fails the Pod", corev1.RestartPolicyNever, true, 1, false},
	}
	for _, tc := range cases {
		if got := shouldRestart(tc.policy, tc.init, tc.code); got != tc.want {
			t.Errorf("%s: shouldRestart = %v", tc.reason, got)
		}
	}
	var got []time.Duration
	for n := 1; n <= 7; n++ {
		got = append(got, backoff(n, time.Second, 10*time.Second))
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("back-off after 1..7 failures = %v, want %v", got, want)
		}
	}
}

func TestImagePullFails(t *testing.T) {
	for image, want := range map[string]bool{
		"invalid.example/team/sandbox:1":    true,
		"registry.local/sandbox:pull-fails": true,
		"busybox:1.36":                      false,
		"example.com/pull-fails:1":          false,
	} {
		if got := imagePullFails(image); got != want {
			t.Errorf("imagePullFails(%q) = %v, want %v", image, got, want)
		}
	}
}
