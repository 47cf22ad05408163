// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
)

// The plugin names the sandbox container without importing the dispatcher; this keeps the names equal.
func TestSandboxContainerIsTheDispatchers(t *testing.T) {
	if SandboxContainer != sandbox.ContainerSandbox {
		t.Fatalf("plugin.SandboxContainer %q, the dispatcher's %q", SandboxContainer, sandbox.ContainerSandbox)
	}
}

func TestStatusTextShowsTheSandbox(t *testing.T) {
	started, ended := metav1.NewTime(t0.Add(-time.Minute)), metav1.NewTime(t0.Add(-10*time.Second))
	cases := []struct {
		name    string
		why     string
		sandbox *v1alpha1.SessionSandbox
		want    []string
		reject  []string
	}{
		{
			name: "no sandbox", why: "a session on a Cloud Environment has no sandbox lines at all",
			reject: []string{"Sandbox"},
		},
		{
			name: "claimed, not scheduled", why: "a Pod without a node or times says Pending and nothing it does not know",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1"},
			want:    []string{"Sandbox:      pod dev-sandbox-1, Pending\n"},
			reject:  []string{"on node", "Sandbox time", "Sandbox note"},
		},
		{
			name: "running", why: "the Pod, its node and when it started are what a user looks for first",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", NodeName: "n1", Phase: "Running", StartTime: &started},
			want:    []string{"Sandbox:      pod dev-sandbox-1, Running on node n1\n", "Sandbox time: started 2026-05-04T10:19:30Z (60s ago)\n"},
		},
		{
			name: "failed", why: "a failed Pod says why, on one line, with both times",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", NodeName: "n1", Phase: "Failed", StartTime: &started, FinishTime: &ended,
				Reason: "OOMKilled", Message: "the container used\nmore than its limit"},
			want: []string{"started 2026-05-04T10:19:30Z (60s ago), finished 2026-05-04T10:20:20Z (10s ago)",
				"Sandbox note: OOMKilled: the container used more than its limit\n"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := finished(v1alpha1.SessionRunning, "")
			s.Status.Sandbox = tc.sandbox
			out := StatusText(s, Styler{}, t0)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: %q missing from:\n%s", tc.why, w, out)
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(out, r) {
					t.Errorf("%s: %q in:\n%s", tc.why, r, out)
				}
			}
			if got := NewStatusView(s).Sandbox; got != tc.sandbox {
				t.Errorf("status -o json carries status.sandbox as it is: %+v", got)
			}
		})
	}
}

// runningPod is a sandbox Pod whose sandbox container runs.
func runningPod() *corev1.Pod {
	p := pendingPod()
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	return p
}

// pendingPod is a sandbox Pod whose init container still copies the runner in.
func pendingPod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "dev-sandbox-1"}, Status: corev1.PodStatus{
		Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: SandboxContainer,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}}}
}

func TestSandboxLogs(t *testing.T) {
	ended := metav1.NewTime(t0)
	running := &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", Phase: "Running"}
	cases := []struct {
		name    string
		why     string
		sandbox *v1alpha1.SessionSandbox
		pod     *corev1.Pod
		follow  bool
		// starts makes the Pod's container start after the first look.
		starts bool
		// want is the error; empty wants the log ("fake logs" from the fake clientset).
		want      string
		noSandbox bool
		note      string
	}{
		{name: "no sandbox", why: "a Cloud session (or one whose tools never ran) says it has none and why",
			want: "session s1 has no sandbox Pod: only a session on a SelfHosted Environment gets one", noSandbox: true},
		{name: "pod gone", why: "a Pod deleted after its work item stopped is named, with when it ended",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", Phase: v1alpha1.SandboxPhaseDeleted, FinishTime: &ended},
			want:    "no sandbox Pod: sandbox Pod dev-sandbox-1 of session s1 is gone (it ended at 2026-05-04T10:20:30Z)", noSandbox: true},
		{name: "pod running", why: "a running Pod's log is copied out", sandbox: running, pod: runningPod()},
		{name: "pod starting", why: "a Pod still starting has no log yet; the error says how to wait for it",
			sandbox: running, pod: pendingPod(), want: "sandbox Pod dev-sandbox-1 has not started its sandbox container yet (Pending: PodInitializing): pass -f to wait for it"},
		{name: "pod starting, followed", why: "-f waits for the container to start, says so once, then follows its log",
			sandbox: running, pod: pendingPod(), follow: true, starts: true, note: "waiting for sandbox Pod dev-sandbox-1 to start (Pending: PodInitializing)\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := finished(v1alpha1.SessionRunning, "")
			s.Namespace, s.Status.Sandbox = "team-a", tc.sandbox
			cs := fake.NewClientset()
			if tc.pod != nil {
				if _, err := cs.CoreV1().Pods(tc.pod.Namespace).Create(context.Background(), tc.pod, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.starts {
				looks := 0
				cs.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
					if a.GetSubresource() != "" {
						return false, nil, nil // the log
					}
					if looks++; looks > 1 {
						return true, runningPod(), nil
					}
					return false, nil, nil
				})
			}
			var out, errOut strings.Builder
			err := SandboxLogs(context.Background(), cs.CoreV1(), s, SandboxLogOptions{Follow: tc.follow, Out: &out, ErrOut: &errOut, Poll: time.Millisecond})
			if errOut.String() != tc.note {
				t.Errorf("%s: noted %q, want %q", tc.why, errOut.String(), tc.note)
			}
			if tc.want == "" {
				if err != nil || out.String() != "fake logs" {
					t.Fatalf("%s: err %v, printed %q", tc.why, err, out.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNoSandbox) != tc.noSandbox {
				t.Errorf("%s: got %v, want %q", tc.why, err, tc.want)
			}
		})
	}
}
