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
	"k8s.io/client-go/kubernetes/fake"

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

func TestSandboxLogs(t *testing.T) {
	ended := metav1.NewTime(t0)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "dev-sandbox-1"}}
	cases := []struct {
		name      string
		why       string
		sandbox   *v1alpha1.SessionSandbox
		pods      []*corev1.Pod
		want      string
		noSandbox bool
	}{
		{name: "no sandbox", why: "a Cloud session (or one whose tools never ran) says it has none and why",
			want: "session s1 has no sandbox Pod: only a session on a SelfHosted Environment gets one", noSandbox: true},
		{name: "pod gone", why: "a Pod deleted after its work item stopped is named, with when it ended",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", Phase: v1alpha1.SandboxPhaseDeleted, FinishTime: &ended},
			want:    "no sandbox Pod: sandbox Pod dev-sandbox-1 of session s1 is gone (it ended at 2026-05-04T10:20:30Z)", noSandbox: true},
		{name: "pod there", why: "an existing Pod's log is copied out (the fake clientset answers every log request the same)",
			sandbox: &v1alpha1.SessionSandbox{PodName: "dev-sandbox-1", Phase: "Running"}, pods: []*corev1.Pod{pod}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := finished(v1alpha1.SessionRunning, "")
			s.Namespace, s.Status.Sandbox = "team-a", tc.sandbox
			cs := fake.NewClientset()
			for _, p := range tc.pods {
				if _, err := cs.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			var out strings.Builder
			err := SandboxLogs(context.Background(), cs.CoreV1(), s, false, &out)
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
