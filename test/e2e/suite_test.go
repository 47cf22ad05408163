// Package e2e runs the operator the way its users do. The manager and the simulator are real
// processes built from this repository; kubectl and helm are the real tools from ./bin; all of them
// talk to a real kube-apiserver and etcd. Every check goes through kubectl, helm or the simulator's
// HTTP API, never through the operator's Go packages.
//
// The suite fails, and never skips, when a binary is missing: `make tools` builds them.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/anthropics/managed-agents-operator/internal/testenv"
)

var (
	// env is the control plane shared by every test of the package.
	env *testenv.Env
	// adminKubeconfig is a system:masters kubeconfig for env.
	adminKubeconfig string
	// workDir holds the built binaries, kubeconfigs and helm's state; removed after the run.
	workDir string

	managerBin   string
	simulatorBin string
	kubectlBin   string
	helmBin      string
	chartDir     string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	root := testenv.RepoRoot()
	kubectlBin = filepath.Join(testenv.AssetsDir(), "kubectl")
	helmBin = filepath.Join(root, "bin", "helm")
	chartDir = filepath.Join(root, "charts", "managed-agents-operator")
	for _, bin := range []string{kubectlBin, helmBin} {
		if _, err := os.Stat(bin); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is missing: run `make tools` first: %v\n", bin, err)
			return 1
		}
	}
	var err error
	if workDir, err = os.MkdirTemp("", "managed-agents-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(workDir) }()
	// Helm keeps its caches and repository list here, not in the user's home.
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		_ = os.Setenv(v, filepath.Join(workDir, "helm", v))
	}

	for _, b := range []struct {
		pkg string
		out *string
	}{{"./cmd/manager", &managerBin}, {"./cmd/simulator", &simulatorBin}} {
		if *b.out, err = testenv.BuildBinary(workDir, b.pkg); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}

	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping the control plane:", err)
		}
	}()
	if adminKubeconfig, err = env.WriteKubeconfig(workDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}
