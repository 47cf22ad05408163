// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// TestSamplesBecomeReady proves the Agent, Environment and AgentDeployment in config/samples work end to end against
// the simulator: what the README tells users to apply actually becomes Ready.
func TestSamplesBecomeReady(t *testing.T) {
	ns := newNamespace(t)
	samples := filepath.Join(testenv.RepoRoot(), "config", "samples")

	agent := &v1alpha1.Agent{}
	readSample(t, filepath.Join(samples, "claude_v1alpha1_agent.yaml"), agent)
	agent.Namespace = ns
	agent.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, agent)
	key := client.ObjectKeyFromObject(agent)
	waitAgent(t, key, "the sample Agent Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	// Resyncs compare the echoed agent, with every server-filled default, against the spec: a
	// false drift would show up here as a new version.
	time.Sleep(3 * time.Second)
	if a := waitAgent(t, key, "latest", func(*v1alpha1.Agent) bool { return true }); a.Status.Version != 1 {
		t.Errorf("the sample Agent moved to version %d with no spec change: the drift check sees false differences", a.Status.Version)
	}

	env := &v1alpha1.Environment{}
	readSample(t, filepath.Join(samples, "claude_v1alpha1_environment.yaml"), env)
	env.Namespace = ns
	create(t, env)
	waitEnvironment(t, client.ObjectKeyFromObject(env), "the sample Environment Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })

	deployment := &v1alpha1.AgentDeployment{}
	readSample(t, filepath.Join(samples, "claude_v1alpha1_agentdeployment.yaml"), deployment)
	deployment.Namespace = ns
	create(t, deployment)
	waitDeployment(t, client.ObjectKeyFromObject(deployment), "the sample AgentDeployment Ready and scheduled", func(d *v1alpha1.AgentDeployment) bool {
		return isReady(d.Status.Conditions) && d.Status.NextScheduleTime != nil
	})
}

func readSample(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
