// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/plugin"
)

// sandboxIdle is how long a sandbox Pod waits for a follow-up after its session's turn: long enough
// to read its log with the plugin, short enough that the test then sees it go.
const sandboxIdle = 15

// selfHostedOnce creates the suite's SelfHosted Environment once for the tests that use it.
var selfHostedOnce sync.Once

// selfHostedEnv returns the name of a SelfHosted Environment whose sandboxes run on the process
// node, creating it and its environment key Secret on first use. The team's Agent runs built-in
// tools without asking.
func selfHostedEnv(t *testing.T) string {
	t.Helper()
	selfHostedOnce.Do(func() { selfHosted(t) })
	return "sandboxes"
}

// selfHosted creates the SelfHosted Environment and its environment key Secret and waits until the
// Environment is Ready.
func selfHosted(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	objs := []client.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, Name: "sandbox-key"},
			Data: map[string][]byte{v1alpha1.DefaultEnvironmentKeySecretKey: []byte(environmentKey)}},
		&v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, Name: "sandboxes"}, Spec: v1alpha1.EnvironmentSpec{
			Type: v1alpha1.EnvironmentTypeSelfHosted,
			SelfHosted: &v1alpha1.SelfHostedEnvironment{
				EnvironmentKeySecretRef: v1alpha1.SecretKeyReference{Name: "sandbox-key"},
				SandboxTemplate:         v1alpha1.SandboxTemplate{Image: "ubuntu:24.04"},
				IdleTimeoutSeconds:      sandboxIdle,
			},
		}},
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	for _, o := range objs[1:] {
		if err := waitReady(wctx, o); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSandboxStatusAndLogs proves that `status` shows a self-hosted session's sandbox Pod (name,
// node, phase, times; in text and JSON), that `logs --sandbox` prints that Pod's log through the
// API server's pods/log (which the process node serves like a kubelet), and that both say so
// plainly once the Pod is gone, or when a session never had one.
func TestSandboxStatusAndLogs(t *testing.T) {
	r := mustRun(t, "run", "--agent", agentName, "--env", selfHostedEnv(t), "--prompt", "[[bash:echo sandbox-says-hi]]")
	name := strings.TrimSpace(r.stdout)
	s := waitFor(t, name, "the turn to end with the sandbox running", func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionSucceeded && s.Status.Sandbox != nil && s.Status.Sandbox.Phase == string(corev1.PodRunning)
	})
	sb := s.Status.Sandbox
	assertContains(t, mustRun(t, "logs", name).stdout, "sandbox-says-hi")

	text := mustRun(t, "status", name).stdout
	t.Logf("status printed:\n%s", text)
	assertContains(t, text, "Sandbox:      pod "+sb.PodName+", Running on node "+sb.NodeName, "Sandbox time: started ")
	var view plugin.StatusView
	if err := json.Unmarshal([]byte(mustRun(t, "status", name, "-o", "json").stdout), &view); err != nil {
		t.Fatal(err)
	}
	if view.Sandbox == nil || view.Sandbox.PodName != sb.PodName || view.Sandbox.WorkID == "" {
		t.Errorf("status -o json carries the sandbox: %+v", view.Sandbox)
	}

	logs := mustRun(t, "logs", name, "--sandbox")
	t.Logf("logs --sandbox printed:\n%s", logs.stdout)
	assertContains(t, logs.stdout, "Handling work item", sb.WorkID)
	assertSecretsAbsent(t, logs.stdout+logs.stderr, sb.PodName)

	// The runner exits after the idle timeout and the operator deletes the Pod.
	waitFor(t, name, "the sandbox Pod deleted", func(s *v1alpha1.Session) bool {
		return s.Status.Sandbox != nil && s.Status.Sandbox.Phase == v1alpha1.SandboxPhaseDeleted
	})
	waitPodGone(t, sb.PodName)
	assertContains(t, mustRun(t, "status", name).stdout, "Sandbox:      pod "+sb.PodName+", Deleted", "finished ")
	after := kubectlClaude(t, "", "logs", name, "--sandbox")
	if after.code == 0 || !strings.Contains(after.stderr, "sandbox Pod "+sb.PodName+" of session "+name+" is gone (it ended at ") {
		t.Errorf("logs --sandbox of a deleted Pod says it is gone:\n%s", after)
	}

	cloud := startSession(t, "no sandbox here")
	waitPhase(t, cloud, v1alpha1.SessionSucceeded)
	none := kubectlClaude(t, "", "logs", cloud, "--sandbox")
	if none.code == 0 || !strings.Contains(none.stderr, "error: session "+cloud+" has no sandbox Pod: only a session on a SelfHosted Environment gets one") {
		t.Errorf("logs --sandbox of a Cloud session says it has no sandbox:\n%s", none)
	}
	if strings.Contains(mustRun(t, "status", cloud).stdout, "Sandbox") {
		t.Error("status of a Cloud session shows a sandbox")
	}
}

// waitPodGone waits until a Pod no longer exists.
func waitPodGone(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: teamNS, Name: name}, &corev1.Pod{})
		if client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Pod %s still exists after %s", name, waitLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertSecretsAbsent fails when the output holds the work item's credentials: the per-item
// Secret's values must never reach the Pod's log.
func assertSecretsAbsent(t *testing.T, out, podName string) {
	t.Helper()
	secret := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: teamNS, Name: podName}, secret); err != nil {
		t.Logf("the sandbox's Secret is already gone (%v); nothing to scan for", err)
		return
	}
	for key, value := range secret.Data {
		if len(value) >= 8 && strings.Contains(out, string(value)) {
			t.Errorf("the sandbox log shows the Secret's %s", key)
		}
	}
	if strings.Contains(out, environmentKey) {
		t.Error("the sandbox log shows the environment key")
	}
}

// TestSandboxLogsFollow proves that `logs --sandbox -f` follows the sandbox Pod's log through the
// API server until the runner exits: it prints what the runner logs after the command started
// (the tool's dispatch and the runner's exit), and returns on its own once the container ended.
func TestSandboxLogsFollow(t *testing.T) {
	r := mustRun(t, "run", "--agent", agentName, "--env", selfHostedEnv(t), "--prompt", "[[bash:sleep 2; echo followed]]")
	name := strings.TrimSpace(r.stdout)
	waitFor(t, name, "a sandbox Pod", func(s *v1alpha1.Session) bool { return s.Status.Sandbox != nil && s.Status.Sandbox.PodName != "" })
	start := time.Now()
	logs := mustRun(t, "logs", name, "--sandbox", "-f")
	t.Logf("logs --sandbox -f returned after %s:\n%s%s", time.Since(start).Round(time.Millisecond), logs.stdout, logs.stderr)
	assertInOrder(t, logs.stdout, "Handling work item", "dispatched tool", "Work item finished")
}
