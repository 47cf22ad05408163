// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

// Simulator is a running simulator process that accepts exactly one API key.
type Simulator struct {
	// URL is the simulator's base URL, for the manager's --api-base-url.
	URL string
	// APIKey is the one key the simulator accepts.
	APIKey string
	// Proc is the process, for its logs.
	Proc *testenv.Process
}

// StartSimulator starts the simulator binary on a free port with a pause between a turn's events;
// it is stopped when the test ends.
func (s *Suite) StartSimulator(t *testing.T, apiKey string, stepDelay time.Duration) *Simulator {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, url, err := testenv.StartSimulator(ctx, s.SimulatorBin, "--api-key", apiKey, "--step-delay", stepDelay.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop(stopGrace) })
	return &Simulator{URL: url, APIKey: apiKey, Proc: proc}
}

// SimulatorStats is what the simulator counted: requests keyed like "POST /v1/sessions", and how
// many sessions it holds.
type SimulatorStats struct {
	Requests map[string]int64 `json:"requests"`
	Sessions int              `json:"sessions"`
}

// Stats reads the simulator's counters.
func (sim *Simulator) Stats(t *testing.T) SimulatorStats {
	t.Helper()
	code, body, err := HTTPGet(sim.URL+"/_simulator/stats", nil)
	var out SimulatorStats
	if err != nil || code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("simulator stats: %d %v %s", code, err, body)
	}
	return out
}

// Get reads a remote object from the simulator's API the way the SDK does, and returns the HTTP
// status with the decoded body.
func (sim *Simulator) Get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	code, body, err := HTTPGet(sim.URL+path, map[string]string{
		"x-api-key":      sim.APIKey,
		"anthropic-beta": "managed-agents-2026-04-01",
	})
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return code, out
}

// Manager is a running manager process with its metrics URL.
type Manager struct {
	// Proc is the process, for its logs.
	Proc *testenv.Process
	// MetricsURL is the manager's /metrics on 127.0.0.1.
	MetricsURL string
}

// StartManager runs the manager binary with a kubeconfig and extra flags, waits until /readyz
// answers, and stops it when the test ends. ANTHROPIC_* variables of the caller are cleared so
// that only the flags and Secrets under test configure it.
func (s *Suite) StartManager(t *testing.T, kubeconfig string, args ...string) *Manager {
	t.Helper()
	metrics, probe := FreePort(t), FreePort(t)
	args = append([]string{
		"--kubeconfig", kubeconfig,
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
	}, args...)
	proc, err := testenv.StartProcess("manager", s.ManagerBin, args, "ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=", "KUBECONFIG=")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		proc.Stop(stopGrace)
		if t.Failed() {
			t.Logf("manager log (tail):\n%s", proc.Tail(200))
		}
	})
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", probe)
	testenv.WaitFor(t, time.Minute, "the manager's /readyz", func() (bool, string) {
		if proc.Exited() {
			t.Fatalf("the manager exited:\n%s", proc.Logs())
		}
		code, body, err := HTTPGet(readyz, nil)
		return err == nil && code == http.StatusOK, fmt.Sprintf("%d %v %s", code, err, body)
	})
	return &Manager{Proc: proc, MetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)}
}
