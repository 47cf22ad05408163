// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func selfHosted(mut func(*v1alpha1.SelfHostedEnvironment)) *v1alpha1.Environment {
	env := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "env", UID: "uid-1"},
		Spec: v1alpha1.EnvironmentSpec{Type: v1alpha1.EnvironmentTypeSelfHosted, SelfHosted: &v1alpha1.SelfHostedEnvironment{
			SandboxTemplate: v1alpha1.SandboxTemplate{Image: "toolchain:1"}, IdleTimeoutSeconds: 60,
		}}}
	if mut != nil {
		mut(env.Spec.SelfHosted)
	}
	return env
}

func TestBuildPod(t *testing.T) {
	c := claim{environmentID: "env_1", workID: "work_1", sessionID: "sesn_1", lease: "2026-01-01T00:00:00Z", claimedAt: time.Now()}
	opts := PodOptions{RunnerImage: "operator:1", APIBaseURL: "https://api.example"}
	cases := []struct {
		reason string
		env    *v1alpha1.Environment
		check  func(t *testing.T, pod *corev1.Pod)
	}{
		{reason: "defaults: the runner injected, secure settings, no token, labels to find the Pod by",
			env: selfHosted(nil), check: checkDefaults},
		{reason: "the template's own security choices win over the defaults",
			env: selfHosted(func(sh *v1alpha1.SelfHostedEnvironment) {
				sh.SandboxTemplate.AutomountServiceAccountToken = ptr.To(true)
				sh.SandboxTemplate.PodSecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)}
				sh.SandboxTemplate.RuntimeClassName = ptr.To("gvisor")
			}), check: func(t *testing.T, pod *corev1.Pod) {
				if !*pod.Spec.AutomountServiceAccountToken || *pod.Spec.SecurityContext.RunAsUser != 1000 || *pod.Spec.RuntimeClassName != "gvisor" {
					t.Errorf("template ignored: %+v", pod.Spec)
				}
			}},
		{reason: "a workspace mount path and a deadline come from the spec",
			env: selfHosted(func(sh *v1alpha1.SelfHostedEnvironment) {
				sh.Workspace = &v1alpha1.SandboxWorkspace{MountPath: "/src"}
				sh.ActiveDeadlineSeconds = ptr.To[int64](600)
			}), check: func(t *testing.T, pod *corev1.Pod) {
				if pod.Spec.Containers[0].WorkingDir != "/src" || *pod.Spec.ActiveDeadlineSeconds != 600 {
					t.Errorf("workspace %s deadline %v", pod.Spec.Containers[0].WorkingDir, pod.Spec.ActiveDeadlineSeconds)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			pod := buildPod(tc.env, c, opts)
			for _, e := range pod.Spec.Containers[0].Env {
				if strings.HasSuffix(e.Name, "_KEY") || e.Name == "ANTHROPIC_WORK_SECRET" || strings.Contains(e.Value, "secret-value") {
					t.Errorf("credential in the Pod spec: %s", e.Name)
				}
			}
			tc.check(t, pod)
		})
	}
}

// The Secret is created before its Pod, as the mark of the claim, so its owner is the Environment.
func TestBuildSecretIsOwnedByItsEnvironment(t *testing.T) {
	env := &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "ns", UID: "env-uid"}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns",
		Labels: map[string]string{LabelWorkID: "work_1"}, Annotations: map[string]string{AnnotationClaimedAt: "2026-01-01T00:00:00Z"}}}
	s := buildSecret(env, pod, "secret-value", "lease")
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != "env-uid" || s.OwnerReferences[0].Kind != "Environment" ||
		string(s.Data[secretKeyWorkSecret]) != "secret-value" || !*s.Immutable || s.Name != "p" ||
		s.Labels[LabelWorkID] != "work_1" || s.Annotations[AnnotationClaimedAt] == "" {
		t.Errorf("secret: %+v", s)
	}
}

func TestPodNameIsPerClaim(t *testing.T) {
	a, b := podName("env", "work_1", "lease-1"), podName("env", "work_1", "lease-2")
	if a == b || len(podName(strings.Repeat("e", 250), "w", "l")) > 63 {
		t.Errorf("names %s %s", a, b)
	}
}

func checkDefaults(t *testing.T, pod *corev1.Pod) {
	ctr := pod.Spec.Containers[0]
	if ctr.Command[0] != runnerPath || pod.Spec.InitContainers[0].Image != "operator:1" || ctr.Image != "toolchain:1" {
		t.Errorf("runner not injected: %+v", ctr.Command)
	}
	if *pod.Spec.AutomountServiceAccountToken || !*pod.Spec.SecurityContext.RunAsNonRoot ||
		*ctr.SecurityContext.AllowPrivilegeEscalation || ctr.SecurityContext.Capabilities.Drop[0] != "ALL" {
		t.Errorf("insecure defaults: %+v", pod.Spec)
	}
	if pod.Labels[LabelWorkID] != "work_1" || pod.Labels[LabelSessionID] != "sesn_1" || pod.Labels[LabelEnvironment] != "env" {
		t.Errorf("labels: %v", pod.Labels)
	}
	if ctr.WorkingDir != "/workspace" || pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("workspace or restart policy: %s %s", ctr.WorkingDir, pod.Spec.RestartPolicy)
	}
}
