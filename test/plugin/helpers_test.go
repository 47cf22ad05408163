// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// commandLimit bounds one plugin invocation; waitLimit bounds waiting for a session state.
const (
	commandLimit = 90 * time.Second
	waitLimit    = 60 * time.Second
)

// team is the Agent (built-in tools that ask for confirmation, plus a custom tool) and the
// Environment every test uses.
const team = `
apiVersion: claude.anthropic.com/v1alpha1
kind: Agent
metadata: {name: coder, namespace: team-a}
spec:
  model: {id: claude-opus-4-8}
  tools:
    - agentToolset: {}
    - custom:
        name: open_ticket
        description: Open a ticket in the tracker
        inputSchema: {type: object}
---
apiVersion: claude.anthropic.com/v1alpha1
kind: Environment
metadata: {name: dev, namespace: team-a}
spec: {}
`

// createTeam creates the team namespace, Agent and Environment, and waits until both are Ready.
func createTeam(ctx context.Context) error {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: teamNS}}); err != nil {
		return err
	}
	docs := strings.Split(team, "\n---\n")
	agent, env := &v1alpha1.Agent{}, &v1alpha1.Environment{}
	for i, obj := range []client.Object{agent, env} {
		if err := yaml.UnmarshalStrict([]byte(docs[i]), obj); err != nil {
			return err
		}
		if err := k8s.Create(ctx, obj); err != nil {
			return err
		}
	}
	for _, obj := range []client.Object{agent, env} {
		if err := waitReady(ctx, obj); err != nil {
			return err
		}
	}
	return nil
}

// waitReady polls until an Agent, Environment, Vault, Skill or MemoryStore has Ready=True.
func waitReady(ctx context.Context, obj client.Object) error {
	for {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		var conds []metav1.Condition
		switch o := obj.(type) {
		case *v1alpha1.Agent:
			conds = o.Status.Conditions
		case *v1alpha1.Environment:
			conds = o.Status.Conditions
		case *v1alpha1.Vault:
			conds = o.Status.Conditions
		case *v1alpha1.Skill:
			conds = o.Status.Conditions
		case *v1alpha1.MemoryStore:
			conds = o.Status.Conditions
		}
		if meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReady) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s never became Ready: %v", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), conds)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// result is what one plugin invocation printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// kubectlClaude runs the built plugin in the team namespace with the suite's kubeconfig.
func kubectlClaude(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, pluginBin, append([]string{"-n", teamNS}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("kubectl claude %v did not finish within %s\n%s", args, commandLimit, r)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("kubectl claude %v: %v", args, err)
	}
	return r
}

// mustRun runs the plugin and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := kubectlClaude(t, "", args...)
	if r.code != 0 {
		t.Fatalf("kubectl claude %v failed:\n%s", args, r)
	}
	return r
}

// startSession runs `kubectl claude run` without --follow and returns the printed name.
func startSession(t *testing.T, prompt string) string {
	t.Helper()
	r := mustRun(t, "run", "--agent", agentName, "--env", envName, "--prompt", prompt)
	name := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(name, agentName+"-") || strings.Contains(name, "\n") {
		t.Fatalf("run prints the generated session name and nothing else on stdout, got %q", r.stdout)
	}
	return name
}

// session reads a Session of the team namespace.
func session(t *testing.T, name string) *v1alpha1.Session {
	t.Helper()
	s := &v1alpha1.Session{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: teamNS, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls a Session until cond holds.
func waitFor(t *testing.T, name, what string, cond func(*v1alpha1.Session) bool) *v1alpha1.Session {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		s := session(t, name)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s: %s did not happen within %s; status: %+v", name, what, waitLimit, s.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitPhase waits until a Session reaches a phase.
func waitPhase(t *testing.T, name string, phase v1alpha1.SessionPhase) {
	t.Helper()
	waitFor(t, name, "phase "+string(phase), func(s *v1alpha1.Session) bool { return s.Status.Phase == phase })
}

// waitPending waits until a Session waits for an answer and returns the pending action.
func waitPending(t *testing.T, name string, kind v1alpha1.PendingActionKind) v1alpha1.PendingAction {
	t.Helper()
	s := waitFor(t, name, "a pending "+string(kind), func(s *v1alpha1.Session) bool {
		return s.Status.Phase == v1alpha1.SessionRequiresAction && len(s.Status.PendingActions) == 1 && s.Status.PendingActions[0].Kind == kind
	})
	return s.Status.PendingActions[0]
}

// assertInOrder fails unless every want appears in text, each after the one before.
func assertInOrder(t *testing.T, text string, wants ...string) {
	t.Helper()
	rest := text
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("%q is missing or out of order in:\n%s", w, text)
		}
		rest = rest[i+len(w):]
	}
}

// assertContains fails unless text holds every want.
func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%q is missing from:\n%s", w, text)
		}
	}
}

// waitEvent waits until a Kubernetes Event with this reason exists for a Session.
func waitEvent(t *testing.T, name, reason string) {
	t.Helper()
	uid := session(t, name).UID
	deadline := time.Now().Add(waitLimit)
	for {
		list := &corev1.EventList{}
		err := k8s.List(context.Background(), list, client.InNamespace(teamNS), client.MatchingFields{"involvedObject.uid": string(uid)})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range list.Items {
			if ev.Reason == reason {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s has no %s Event after %s", name, reason, waitLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
