// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// podListCounter counts the Pod Lists made through it.
type podListCounter struct {
	client.Reader
	podLists int
}

func (r *podListCounter) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*corev1.PodList); ok {
		r.podLists++
	}
	return r.Reader.List(ctx, list, opts...)
}

// ForSession lists sandbox Pods only for Sessions whose Environment is SelfHosted: every Session
// reconcile calls it, and a Cloud Session has no sandbox to look for.
func TestForSessionListsPodsOnlyForSelfHostedSessions(t *testing.T) {
	cloud := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cloud"},
		Spec: v1alpha1.EnvironmentSpec{Type: v1alpha1.EnvironmentTypeCloud}, Status: v1alpha1.EnvironmentStatus{ID: "env_cloud"}}
	selfHosted := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sh"},
		Spec: v1alpha1.EnvironmentSpec{Type: v1alpha1.EnvironmentTypeSelfHosted}, Status: v1alpha1.EnvironmentStatus{ID: "env_sh"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sh-sandbox-1",
		Labels: podLabels("sh", "sesn_sh", "work_1")}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(cloud, selfHosted, pod).Build()
	session := func(ref, envID, id string) *v1alpha1.Session {
		s := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s"}}
		if ref != "" {
			s.Spec.EnvironmentRef = &v1alpha1.LocalObjectReference{Name: ref}
		}
		s.Spec.EnvironmentID, s.Status.ID, s.Status.EnvironmentID = envID, id, envID
		return s
	}
	type testCase struct {
		name     string
		sess     *v1alpha1.Session
		podLists int
		wantPod  string
	}
	cases := []testCase{
		{name: "CloudByRef", sess: session("cloud", "", "sesn_c"), podLists: 0},
		{name: "CloudByID", sess: session("", "env_cloud", "sesn_c"), podLists: 0},
		{name: "MissingEnvironment", sess: session("gone", "", "sesn_c"), podLists: 0},
		{name: "SelfHostedByRef", sess: session("sh", "", "sesn_sh"), podLists: 1, wantPod: pod.Name},
		{name: "SelfHostedByID", sess: session("", "env_sh", "sesn_sh"), podLists: 1, wantPod: pod.Name},
	}
	refused := session("sh", "", "sesn_sh")
	later := metav1.NewTime(time.Now().Add(time.Hour))
	refused.Status.Sandbox = &v1alpha1.SessionSandbox{PodName: "sh-sandbox-2", Phase: string(corev1.PodFailed),
		Reason: ReasonPodRefused, Message: "exceeded quota", FinishTime: &later}
	// A refusal newer than the session's last Pod (still ending) stays what its status shows.
	cases = append(cases, testCase{name: "RefusedAfterAnOlderPod", sess: refused, podLists: 1, wantPod: "sh-sandbox-2"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &podListCounter{Reader: c}
			got := ForSession(context.Background(), r, tc.sess)
			if r.podLists != tc.podLists {
				t.Errorf("%d Pod Lists, want %d", r.podLists, tc.podLists)
			}
			if name := podNameOf(got); name != tc.wantPod {
				t.Errorf("sandbox Pod %q, want %q", name, tc.wantPod)
			}
		})
	}
}

func podNameOf(sb *v1alpha1.SessionSandbox) string {
	if sb == nil {
		return ""
	}
	return sb.PodName
}
