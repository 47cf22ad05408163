// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// logCapture keeps the manager's log lines for the secret scan.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fixture is a namespace with an agent that has the built-in tools and a SelfHosted Environment.
type fixture struct {
	ns string
}

var nsCounter int

func newFixture(t *testing.T, maxSandboxes int32, image string) *fixture {
	t.Helper()
	nsCounter++
	f := &fixture{ns: fmt.Sprintf("sandbox-%d-%d", time.Now().UnixNano()%100000, nsCounter)}
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "env-key"},
		Data: map[string][]byte{v1alpha1.DefaultEnvironmentKeySecretKey: []byte(environmentKey)}})
	create(t, &v1alpha1.Agent{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "coder"}, Spec: v1alpha1.AgentSpec{
		Model: v1alpha1.ModelConfig{ID: "claude-opus-4-8"}, System: "You are helpful.",
		Tools: []v1alpha1.Tool{{AgentToolset: &v1alpha1.AgentToolset{}}},
	}})
	create(t, &v1alpha1.Environment{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "sandboxes"}, Spec: v1alpha1.EnvironmentSpec{
		Type: v1alpha1.EnvironmentTypeSelfHosted,
		SelfHosted: &v1alpha1.SelfHostedEnvironment{
			EnvironmentKeySecretRef: v1alpha1.SecretKeyReference{Name: "env-key"},
			SandboxTemplate:         v1alpha1.SandboxTemplate{Image: image},
			MaxConcurrentSandboxes:  maxSandboxes,
			IdleTimeoutSeconds:      1,
		},
	}})
	t.Cleanup(func() {
		if !t.Failed() {
			_ = k8s.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.ns}})
		}
	})
	return f
}

func (f *fixture) session(t *testing.T, name, prompt string) *v1alpha1.Session {
	t.Helper()
	s := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name}, Spec: v1alpha1.SessionSpec{
		AgentRef: &v1alpha1.AgentReference{Name: "coder"}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "sandboxes"},
		Prompt: prompt, CompletionPolicy: v1alpha1.CompletionWhenIdle,
	}}
	create(t, s)
	return s
}

func create(t *testing.T, o client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), o); err != nil {
		t.Fatalf("create %T %s: %v", o, o.GetName(), err)
	}
}

// eventually polls check until it passes or limit runs out.
func eventually(t *testing.T, limit time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		ok, why := check()
		if ok {
			return
		}
		last = why
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s: %s", what, last)
}

func getSession(t *testing.T, s *v1alpha1.Session) *v1alpha1.Session {
	t.Helper()
	out := &v1alpha1.Session{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(s), out); err != nil {
		t.Fatal(err)
	}
	return out
}

// sandboxObjects lists the namespace's sandbox Pods and Secrets.
func sandboxObjects(t *testing.T, ns string) (pods []corev1.Pod, secrets []corev1.Secret) {
	t.Helper()
	sel := client.MatchingLabels{sandbox.LabelComponent: sandbox.ComponentSandbox}
	var pl corev1.PodList
	var sl corev1.SecretList
	if err := k8s.List(context.Background(), &pl, client.InNamespace(ns), sel); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(context.Background(), &sl, client.InNamespace(ns), sel); err != nil {
		t.Fatal(err)
	}
	return pl.Items, sl.Items
}

// waitNoSandboxObjects waits until no sandbox Pod or Secret is left in ns.
func waitNoSandboxObjects(t *testing.T, ns string) {
	t.Helper()
	eventually(t, 60*time.Second, "no sandbox Pods or Secrets left", func() (bool, string) {
		pods, secrets := sandboxObjects(t, ns)
		return len(pods) == 0 && len(secrets) == 0, fmt.Sprintf("%d Pods, %d Secrets", len(pods), len(secrets))
	})
}

// environmentID waits for the Environment's remote id.
func (f *fixture) environmentID(t *testing.T) string {
	t.Helper()
	env := &v1alpha1.Environment{}
	eventually(t, 30*time.Second, "Environment Ready", func() (bool, string) {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: "sandboxes"}, env); err != nil {
			return false, err.Error()
		}
		return meta.IsStatusConditionTrue(env.Status.Conditions, v1alpha1.ConditionReady), fmt.Sprint(env.Status.Conditions)
	})
	return env.Status.ID
}

// workItems returns the environment's work items as the simulator holds them.
func workItems(t *testing.T, envID string) []simulator.WorkInfo {
	t.Helper()
	items, err := sim.WorkItems(envID)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// settled waits until no sandbox Pod or Secret is left in ns, checks that no work item had two
// Pods at once, and returns what the watch saw.
func settled(t *testing.T, pw *podWatch, ns string) podFindings {
	t.Helper()
	waitNoSandboxObjects(t, ns)
	got := pw.findings()
	got.checkNoOverlap(t)
	return got
}
