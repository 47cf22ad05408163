// SPDX-License-Identifier: Apache-2.0

package plugin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestTriggerFollowsTheRun proves that `trigger --follow` starts one run of an AgentDeployment, waits
// for the run's Session and prints its conversation to the end; `trigger` without --follow starts
// one more, and each run is one Session owned by the deployment.
func TestTriggerFollowsTheRun(t *testing.T) {
	d := &v1alpha1.AgentDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: teamNS, Name: "morning-summary"},
		Spec: v1alpha1.AgentDeploymentSpec{
			AgentRef: &v1alpha1.AgentReference{Name: agentName}, EnvironmentRef: &v1alpha1.LocalObjectReference{Name: envName},
			Prompt: "summarize the night",
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := k8s.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), d) })
	waitDeploymentReady(ctx, t, d)

	r := mustRun(t, "trigger", d.Name, "--follow")
	t.Logf("trigger --follow printed:\n%s", r.stdout)
	assertInOrder(t, r.stdout,
		"run requested for agentdeployment morning-summary",
		"run session morning-summary-",
		"user      summarize the night",
		"agent     echo: summarize the night",
		"Succeeded (end_turn)",
	)
	runs := runSessions(ctx, t, d)
	if len(runs) != 1 || runs[0].Labels[v1alpha1.LabelTrigger] != "Manual" || metav1.GetControllerOf(&runs[0]).UID != d.UID {
		t.Fatalf("one manual run Session owned by the deployment, got %d", len(runs))
	}

	r = mustRun(t, "trigger", d.Name)
	if !strings.HasPrefix(r.stdout, "run requested for agentdeployment morning-summary (") || strings.Contains(r.stdout, "run session") {
		t.Errorf("trigger without --follow only requests the run:\n%s", r)
	}
	deadline := time.Now().Add(waitLimit)
	for len(runSessions(ctx, t, d)) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the second trigger's run Session did not appear within %s", waitLimit)
		}
		time.Sleep(200 * time.Millisecond)
	}

	missing := kubectlClaude(t, "", "trigger", "no-such-deployment")
	if missing.code == 0 || !strings.Contains(missing.stderr, "agentdeployment no-such-deployment not found") {
		t.Errorf("triggering a missing deployment is an error that names it:\n%s", missing)
	}
}

func waitDeploymentReady(ctx context.Context, t *testing.T, d *v1alpha1.AgentDeployment) {
	t.Helper()
	for {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(d), d); err != nil {
			t.Fatal(err)
		}
		if meta.IsStatusConditionTrue(d.Status.Conditions, v1alpha1.ConditionReady) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("AgentDeployment %s never became Ready: %+v", d.Name, d.Status.Conditions)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// runSessions lists the run Sessions of a deployment.
func runSessions(ctx context.Context, t *testing.T, d *v1alpha1.AgentDeployment) []v1alpha1.Session {
	t.Helper()
	var list v1alpha1.SessionList
	if err := k8s.List(ctx, &list, client.InNamespace(d.Namespace), client.MatchingLabels{v1alpha1.LabelDeployment: d.Name}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}
