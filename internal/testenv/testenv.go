// SPDX-License-Identifier: Apache-2.0

// Package testenv starts a real control plane (etcd and kube-apiserver built into ./bin/k8s by
// `make tools`) with the operator's CRDs installed, for tests that must run against a real API server.
// StartWith adds, on request, kube-scheduler, kube-controller-manager (namespace and garbage
// collection) and a process node (test/processnode) on which Pods run as local processes.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// Env is a running control plane and a client for it.
type Env struct {
	Config *rest.Config
	Client client.Client
	env    *envtest.Environment
	components
}

// RepoRoot returns the repository root, found from this source file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// AssetsDir returns the folder with etcd, kube-apiserver and kubectl: $KUBEBUILDER_ASSETS, or ./bin/k8s.
func AssetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join(RepoRoot(), "bin", "k8s")
}

// Start launches etcd and kube-apiserver on 127.0.0.1 and installs the CRDs. It fails, never skips,
// when the binaries are missing: a skipped suite would be a green run that proves nothing.
func Start() (*Env, error) {
	return StartWith(Options{})
}

// StartWith is Start plus the optional components opts asks for (scheduler, process node,
// controller manager). Whatever it started is stopped again when a later part fails.
func StartWith(opts Options) (*Env, error) {
	e, err := startControlPlane(opts.CRDDir)
	if err != nil {
		return nil, err
	}
	if err := e.startComponents(opts); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

func startControlPlane(crdDir string) (*Env, error) {
	if crdDir == "" {
		crdDir = filepath.Join(RepoRoot(), "config", "crd", "bases")
	}
	assets := AssetsDir()
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return nil, fmt.Errorf("control plane binary %s missing in %s: run `make tools` first: %w", bin, assets, err)
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting control plane: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Env{Config: cfg, Client: c, env: env}, nil
}

// WriteKubeconfig writes an admin kubeconfig for the control plane into dir and returns its path,
// for processes (the manager, kubectl, helm) that talk to it like they would to a real cluster.
func (e *Env) WriteKubeconfig(dir string) (string, error) {
	user, err := e.env.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// Stop shuts the optional components and then the control plane down, and removes their data.
func (e *Env) Stop() error {
	return errors.Join(e.stopComponents(), e.env.Stop())
}
