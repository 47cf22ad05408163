// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// deploymentWorld is a simulator of its own, on a clock the test advances, with the manager
// restarted against it: a schedule fires when the test moves the clock past a fire time.
type deploymentWorld struct {
	sim   *simulator.Server
	url   string
	clock *simulator.Clock
	api   anthropic.Client
	*sessionFixture
}

func newDeploymentWorld(t *testing.T) *deploymentWorld {
	t.Helper()
	clock := simulator.NewRunningClock()
	s := simulator.New(simulator.Options{APIKey: simulatorKey, Now: clock.Now, ScheduleTick: 20 * time.Millisecond})
	srv := httptest.NewServer(s)
	w := &deploymentWorld{sim: s, url: srv.URL, clock: clock,
		api: anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithBaseURL(srv.URL), option.WithAPIKey(simulatorKey), option.WithMaxRetries(0))}
	w.startManager(t)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	w.sessionFixture = newSessionFixture(t)
	return w
}

// startManager (re)starts the manager against this world's simulator, looking at runs often.
func (w *deploymentWorld) startManager(t *testing.T) {
	t.Helper()
	restartManagerWith(t, func(s *managerSettings) {
		s.controllers.Factory = managedagents.NewFactory(managedagents.FactoryOptions{BaseURL: w.url, RequestsPerSecond: 200, Burst: 200})
		s.deployments.PollInterval = 300 * time.Millisecond
	})
}

// newDeployment is an AgentDeployment of the fixture's agent and environment.
func (w *deploymentWorld) newDeployment(name, prompt string) *v1alpha1.AgentDeployment {
	return &v1alpha1.AgentDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.ns, Name: name},
		Spec: v1alpha1.AgentDeploymentSpec{
			AgentRef:       &v1alpha1.AgentReference{Name: "coder"},
			EnvironmentRef: &v1alpha1.LocalObjectReference{Name: "env"},
			Prompt:         prompt,
		},
	}
}

func waitDeployment(t *testing.T, key client.ObjectKey, what string, check func(*v1alpha1.AgentDeployment) bool) *v1alpha1.AgentDeployment {
	t.Helper()
	return waitObject(t, key, &v1alpha1.AgentDeployment{}, what, check, func(d *v1alpha1.AgentDeployment) string {
		b, _ := json.Marshal(d.Status)
		return string(b)
	})
}

// runSessionsOf lists the run Sessions of a deployment that are not being deleted, by phase.
func runSessionsOf(t *testing.T, d *v1alpha1.AgentDeployment) []v1alpha1.Session {
	t.Helper()
	var list v1alpha1.SessionList
	if err := k8s.List(context.Background(), &list, client.InNamespace(d.Namespace), client.MatchingLabels{v1alpha1.LabelDeployment: d.Name}); err != nil {
		t.Fatal(err)
	}
	var out []v1alpha1.Session
	for _, s := range list.Items {
		if s.DeletionTimestamp.IsZero() {
			out = append(out, s)
		}
	}
	return out
}

func countPhases(sessions []v1alpha1.Session) map[v1alpha1.SessionPhase]int {
	out := map[v1alpha1.SessionPhase]int{}
	for _, s := range sessions {
		out[s.Status.Phase]++
	}
	return out
}

// remoteRuns lists the remote runs of a deployment.
func (w *deploymentWorld) remoteRuns(t *testing.T, deploymentID string) []anthropic.BetaManagedAgentsDeploymentRun {
	t.Helper()
	var out []anthropic.BetaManagedAgentsDeploymentRun
	pager := w.api.Beta.DeploymentRuns.ListAutoPaging(context.Background(), anthropic.BetaDeploymentRunListParams{DeploymentID: param.NewOpt(deploymentID)})
	for pager.Next() {
		out = append(out, pager.Current())
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *deploymentWorld) remoteDeployment(t *testing.T, id string) *anthropic.BetaManagedAgentsDeployment {
	t.Helper()
	d, err := w.api.Beta.Deployments.Get(context.Background(), id, anthropic.BetaDeploymentGetParams{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fireOnce moves the clock to the next minute boundary and waits for the run's Session to finish.
func (w *deploymentWorld) fireOnce(t *testing.T, d *v1alpha1.AgentDeployment, runsBefore int) {
	t.Helper()
	w.clock.Advance(time.Minute)
	eventually(t, fmt.Sprintf("run %d of %s", runsBefore+1, d.Name), func() (bool, string) {
		runs := w.remoteRuns(t, d.Status.ID)
		return len(runs) == runsBefore+1, fmt.Sprintf("%d remote runs", len(runs))
	})
}

func intPtr(n int32) *int32 { return &n }
