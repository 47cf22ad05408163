// SPDX-License-Identifier: Apache-2.0

// Package harness is the shared world of the suites that run the operator the way its users do: the
// manager and the simulator as processes built from this repository, kubectl and helm as the real
// tools from ./bin, and a real kube-apiserver and etcd. Every check goes through those tools or the
// simulator's HTTP API, never through the operator's Go packages.
//
// A suite declares `var suite harness.Suite` and calls `os.Exit(suite.Run(m, "name"))` from TestMain.
// A missing binary fails the suite and never skips it: `make tools` builds them. A suite that needs
// Pods to run, or namespaces to really go away, sets Suite.ControlPlane first, for example
// `harness.Suite{ControlPlane: testenv.Options{ProcessNode: &processnode.Config{}, ControllerManager: true}}`.
package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
	"github.com/anthropics/managed-agents-operator/test/processnode"
)

const (
	// cmdTimeout bounds one kubectl or helm invocation.
	cmdTimeout = 90 * time.Second
	// stopGrace is how long a process gets to exit after SIGTERM before it is killed.
	stopGrace = 20 * time.Second
)

// Suite is one control plane and the binaries every test of a package shares.
type Suite struct {
	// env is the running kube-apiserver and etcd.
	env *testenv.Env
	// AdminKubeconfig is a system:masters kubeconfig for the control plane.
	AdminKubeconfig string
	// workDir holds the built binaries, kubeconfigs and helm's state; removed after the run.
	workDir string

	// ManagerBin and SimulatorBin are built from this repository into the work directory; KubectlBin and HelmBin
	// are the tools `make tools` built.
	ManagerBin, SimulatorBin, KubectlBin, HelmBin string
	// ChartDir is the operator's Helm chart in this repository.
	ChartDir string
	// ControlPlane chooses the optional control-plane parts (kube-scheduler, kube-controller-manager,
	// a process node that runs Pods as local processes); set it before Run. The zero value is
	// etcd and kube-apiserver only.
	ControlPlane testenv.Options
}

// Node is the process node that runs the suite's Pods, when ControlPlane.ProcessNode asked for one.
func (s *Suite) Node() *processnode.Node {
	return s.env.Node
}

// Run builds the manager and the simulator, starts the control plane, runs the tests and stops
// everything it started. It returns the exit code for os.Exit; name prefixes its own errors.
func (s *Suite) Run(m *testing.M, name string) int {
	if err := s.start(name); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		s.stop(name)
		return 1
	}
	defer s.stop(name)
	return m.Run()
}

func (s *Suite) start(name string) error {
	root := testenv.RepoRoot()
	s.KubectlBin = filepath.Join(testenv.AssetsDir(), "kubectl")
	s.HelmBin = filepath.Join(root, "bin", "helm")
	s.ChartDir = filepath.Join(root, "charts", "managed-agents-operator")
	for _, bin := range []string{s.KubectlBin, s.HelmBin} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%s is missing: run `make tools` first: %w", bin, err)
		}
	}
	var err error
	if s.workDir, err = os.MkdirTemp("", "managed-agents-"+name+"-"); err != nil {
		return err
	}
	// Helm keeps its caches and repository list here, not in the user's home.
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		_ = os.Setenv(v, filepath.Join(s.workDir, "helm", v))
	}
	if s.ManagerBin, err = testenv.BuildBinary(s.workDir, "./cmd/manager"); err != nil {
		return err
	}
	if s.SimulatorBin, err = testenv.BuildBinary(s.workDir, "./cmd/simulator"); err != nil {
		return err
	}
	if s.env, err = testenv.StartWith(s.ControlPlane); err != nil {
		return err
	}
	s.AdminKubeconfig, err = s.env.WriteKubeconfig(s.workDir)
	return err
}

// stop ends the control plane and removes the work directory, whatever start got to.
func (s *Suite) stop(name string) {
	if s.env != nil {
		if err := s.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: stopping the control plane: %v\n", name, err)
		}
	}
	if s.workDir != "" {
		_ = os.RemoveAll(s.workDir)
	}
}
