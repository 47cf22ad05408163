// SPDX-License-Identifier: Apache-2.0

// Package plugin_test runs the built kubectl-claude binary against a real API server, with the
// manager and the simulator running as real processes, the way a user runs `kubectl claude`. A
// process node (test/processnode, a stand-in for the kubelet) runs the sandbox Pods of the
// SelfHosted Environment and serves their logs to the API server, as a kubelet would.
package plugin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// The suite's shared world: one control plane, one simulator, one manager, one namespace with an
// Agent and an Environment that every test runs sessions against.
const (
	operatorNS = "operator-system"
	keySecret  = "anthropic"
	teamNS     = "team-a"
	agentName  = "coder"
	envName    = "dev"
	setupLimit = 3 * time.Minute
	// runnerImage is the image the manager copies the sandbox runner out of; the process node finds
	// it in the directory the suite builds the runner into.
	runnerImage = "managed-agents-operator:plugin-test"
	// environmentKey is the key every self-hosted environment of the simulator accepts.
	environmentKey = "simenvkey_plugin_suite"
)

var (
	k8s        client.Client
	kubeconfig string
	pluginBin  string
	manager    *testenv.Process
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

// runSuite starts everything, runs the tests and stops every process it started. Missing control
// plane binaries fail the suite: a skipped suite would be a green run that proves nothing.
func runSuite(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-claude-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	imageDir := filepath.Join(dir, "image")
	if _, err := testenv.BuildBinary(imageDir, "./cmd/sandbox-runner"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := testenv.StartWith(testenv.Options{ProcessNode: &processnode.Config{ImageRoots: map[string]string{runnerImage: imageDir}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	k8s = env.Client
	stop, err := startWorld(env, dir)
	defer stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if code != 0 && manager != nil {
		fmt.Fprintf(os.Stderr, "--- manager logs ---\n%s\n", manager.Logs())
	}
	return code
}

// startWorld builds the binaries, starts the simulator and the manager, and creates the team's
// Agent and Environment. stop ends whatever was started, even when startWorld fails.
func startWorld(env *testenv.Env, dir string) (stop func(), err error) {
	var procs []*testenv.Process
	stop = func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop(10 * time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupLimit)
	defer cancel()
	if kubeconfig, err = env.WriteKubeconfig(dir); err != nil {
		return stop, err
	}
	bins := map[string]string{}
	for _, pkg := range []string{"./cmd/manager", "./cmd/simulator", "./cmd/kubectl-claude"} {
		if bins[pkg], err = testenv.BuildBinary(dir, pkg); err != nil {
			return stop, err
		}
	}
	pluginBin = bins["./cmd/kubectl-claude"]
	sim, simURL, err := testenv.StartSimulator(ctx, bins["./cmd/simulator"], "--environment-key", environmentKey)
	if err != nil {
		return stop, err
	}
	procs = append(procs, sim)
	if err := createKeySecret(ctx); err != nil {
		return stop, err
	}
	manager, err = testenv.StartProcess("manager", bins["./cmd/manager"], []string{
		"--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:0",
		"--api-base-url", simURL, "--allow-insecure-api-url", "--api-key-secret", operatorNS + "/" + keySecret,
		"--sandbox-runner-image", runnerImage,
		// Runs of AgentDeployments show within half a second (kubectl claude trigger --follow).
		"--deployment-poll-interval", "500ms",
	}, "KUBECONFIG="+kubeconfig)
	if err != nil {
		return stop, err
	}
	procs = append(procs, manager)
	if _, err := manager.WaitForLine(ctx, "Starting manager"); err != nil {
		time.Sleep(time.Second) // the output of a process that just exited may still be on its way
		return stop, fmt.Errorf("%w\nmanager output:\n%s", err, manager.Logs())
	}
	return stop, createTeam(ctx)
}

// createKeySecret stores the API key the manager uses (the simulator accepts any key).
func createKeySecret(ctx context.Context) error {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}}); err != nil {
		return err
	}
	return k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNS, Name: keySecret},
		Data:       map[string][]byte{"api-key": []byte("sk-ant-e2e")},
	})
}
