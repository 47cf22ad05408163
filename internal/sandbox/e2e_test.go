// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
)

// A self-hosted Session's bash command runs in its sandbox Pod's workspace: the work item is
// claimed once, one Pod runs it, the output is in the conversation, and the Pod and its Secret are
// gone once the item stopped.
func TestSandboxRunsTheAgentsCommand(t *testing.T) {
	f := newFixture(t, 5, "ubuntu:24.04")
	envID := f.environmentID(t)
	sess := f.session(t, "hello", "[[bash:echo hi-from-the-sandbox > f; cat f; pwd]]")

	var podName string
	eventually(t, 60*time.Second, "a sandbox Pod", func() (bool, string) {
		pods, secrets := sandboxObjects(t, f.ns)
		if len(pods) > 0 {
			podName = pods[0].Name
			checkPod(t, &pods[0], secrets)
		}
		return len(pods) == 1, fmt.Sprintf("%d Pods", len(pods))
	})
	final := waitFinished(t, sess)
	if final.Status.Phase != v1alpha1.SessionSucceeded {
		t.Fatalf("phase %s, want Succeeded (%+v)", final.Status.Phase, final.Status.Conditions)
	}
	if conv := conversation(final); !strings.Contains(conv, "it printed:\nhi-from-the-sandbox") {
		t.Errorf("the conversation does not quote the command's output: %q", conv)
	}
	waitNoSandboxObjects(t, f.ns)
	items, err := sim.WorkItems(envID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Deliveries != 1 || items[0].LeaseRequeues != 0 || items[0].State != "stopped" {
		t.Errorf("want one item, delivered once, never re-queued, stopped; got %+v", items)
	}
	eventually(t, 20*time.Second, "status.sandbox names the Pod", func() (bool, string) {
		sb := getSession(t, sess).Status.Sandbox
		return sb != nil && sb.PodName == podName && sb.NodeName != "" && sb.StartTime != nil, fmt.Sprintf("%+v", sb)
	})
}

// checkPod asserts the secure defaults and that the work secret is only in the Secret volume.
func checkPod(t *testing.T, pod *corev1.Pod, secrets []corev1.Secret) {
	t.Helper()
	checkSecurity(t, pod)
	for _, s := range secrets {
		if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Environment" || s.Name != pod.Name {
			t.Errorf("secret %s is not the Pod's, owned by its Environment: %+v", s.Name, s.OwnerReferences)
		}
		if strings.Contains(podString(pod), string(s.Data["work-secret"])) {
			t.Errorf("the work secret is in the Pod object")
		}
	}
	if pod.Labels[sandbox.LabelSessionID] == "" || pod.Labels[sandbox.LabelWorkID] == "" {
		t.Errorf("pod lacks its labels: %v", pod.Labels)
	}
}

// checkSecurity asserts the operator's secure defaults.
func checkSecurity(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	spec := pod.Spec
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken should be false")
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.SeccompProfile == nil {
		t.Errorf("pod security context lacks the defaults: %+v", sc)
	}
	c := spec.Containers[0]
	if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context lacks the defaults: %+v", sc)
	}
	for _, e := range c.Env {
		if e.Name == "ANTHROPIC_WORK_SECRET" || e.Name == "ANTHROPIC_ENVIRONMENT_KEY" {
			t.Errorf("credential %s in the Pod spec", e.Name)
		}
	}
}

func podString(pod *corev1.Pod) string { return fmt.Sprintf("%+v", *pod) }

// waitFinished waits for a Session to reach a final or finished phase.
func waitFinished(t *testing.T, sess *v1alpha1.Session) *v1alpha1.Session {
	t.Helper()
	return waitFinishedWithin(t, sess, 90*time.Second)
}

// waitFinishedWithin waits up to limit for a Session to reach a final or finished phase.
func waitFinishedWithin(t *testing.T, sess *v1alpha1.Session, limit time.Duration) *v1alpha1.Session {
	t.Helper()
	var out *v1alpha1.Session
	eventually(t, limit, "Session "+sess.Name+" finished", func() (bool, string) {
		out = getSession(t, sess)
		return out.Status.Phase.Finished(), string(out.Status.Phase)
	})
	return out
}

// conversation joins the summaries of the Session's recent events.
func conversation(s *v1alpha1.Session) string {
	var b strings.Builder
	for _, e := range s.Status.RecentEvents {
		b.WriteString(e.Type + ": " + e.Summary + "\n")
	}
	return b.String()
}
