// SPDX-License-Identifier: Apache-2.0

package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/anthropics/managed-agents-operator/test/processnode"
)

const (
	// componentStartTimeout bounds how long kube-scheduler, kube-controller-manager or the process
	// node may take to become ready.
	componentStartTimeout = 90 * time.Second
	// componentStopGrace is how long a control-plane process gets after SIGTERM.
	componentStopGrace = 10 * time.Second
)

// Options chooses what runs next to etcd and kube-apiserver. The zero value is the plain control
// plane that Start gives: no scheduler, no controllers, no node, so a Pod stays Pending forever.
type Options struct {
	// Scheduler runs kube-scheduler (./bin/k8s/kube-scheduler), which binds Pods to nodes.
	Scheduler bool
	// ProcessNode runs a process node (test/processnode, a stand-in for the kubelet that runs
	// each container as a local process) inside this test process, and implies Scheduler. An
	// empty RootDir is a temporary directory that Stop removes. Env.Node is the running node.
	ProcessNode *processnode.Config
	// ControllerManager runs kube-controller-manager (./bin/k8s/kube-controller-manager) with the
	// namespace and garbage-collector controllers, so that deleting a namespace deletes what is
	// in it and deleting an owner deletes its dependents.
	ControllerManager bool
	// CRDDir is the folder of CRD manifests to install; empty is the repository's
	// config/crd/bases. A before/after benchmark installs the CRDs of the commit it measures.
	CRDDir string
}

// components are the optional parts of a running control plane.
type components struct {
	workDir    string
	scheduler  *Process
	controller *Process
	// Node is the running process node, when Options.ProcessNode asked for one.
	Node     *processnode.Node
	stopNode context.CancelFunc
	nodeDone chan error
}

// startComponents starts what opts asks for, in dependency order.
func (e *Env) startComponents(opts Options) error {
	if opts.ProcessNode == nil && !opts.Scheduler && !opts.ControllerManager {
		return nil
	}
	var err error
	if e.workDir, err = os.MkdirTemp("", "managed-agents-controlplane-"); err != nil {
		return err
	}
	kubeconfig, err := e.WriteKubeconfig(e.workDir)
	if err != nil {
		return err
	}
	if opts.ControllerManager {
		if e.controller, err = startControllerManager(kubeconfig); err != nil {
			return err
		}
	}
	if opts.Scheduler || opts.ProcessNode != nil {
		if e.scheduler, err = startScheduler(kubeconfig); err != nil {
			return err
		}
	}
	if opts.ProcessNode != nil {
		return e.startNode(*opts.ProcessNode)
	}
	return nil
}

// startScheduler runs kube-scheduler against the control plane and waits for its /readyz.
func startScheduler(kubeconfig string) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", kubeconfig,
		"--authentication-kubeconfig", kubeconfig,
		"--authorization-kubeconfig", kubeconfig,
		"--leader-elect=false",
		"--bind-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(port),
	}
	return startComponent("kube-scheduler", args, fmt.Sprintf("https://127.0.0.1:%d/readyz", port))
}

// startControllerManager runs kube-controller-manager with the namespace and garbage-collector
// controllers only: the others (node lifecycle, service accounts, replica sets...) would act on
// objects that tests create and expect to stay as they made them.
func startControllerManager(kubeconfig string) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", kubeconfig,
		"--authentication-kubeconfig", kubeconfig,
		"--authorization-kubeconfig", kubeconfig,
		"--controllers", "namespace,garbagecollector",
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--bind-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(port),
	}
	return startComponent("kube-controller-manager", args, fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
}

// startComponent starts a control-plane binary from the assets folder and waits until healthURL
// answers 200. The components serve HTTPS with a self-signed certificate, so it is not verified.
func startComponent(name string, args []string, healthURL string) (*Process, error) {
	bin := filepath.Join(AssetsDir(), name)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s missing in %s: run `make tools` first: %w", name, AssetsDir(), err)
	}
	p, err := StartProcess(name, bin, args, "KUBECONFIG=")
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a local test component's self-signed certificate
	}}
	deadline := time.Now().Add(componentStartTimeout)
	for {
		if p.Exited() {
			return nil, fmt.Errorf("%s exited:\n%s", name, p.Tail(40))
		}
		resp, err := client.Get(healthURL)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.Stop(componentStopGrace)
			return nil, fmt.Errorf("%s was not ready after %s (last error: %w):\n%s", name, componentStartTimeout, err, p.Tail(40))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startNode runs a process node in this process and waits until it is Ready and schedulable.
func (e *Env) startNode(cfg processnode.Config) error {
	if cfg.RootDir == "" {
		cfg.RootDir = filepath.Join(e.workDir, "node")
	}
	node, err := processnode.New(cfg, e.Config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Node, e.stopNode, e.nodeDone = node, cancel, make(chan error, 1)
	go func() { e.nodeDone <- node.Run(ctx) }()
	select {
	case <-node.Ready():
		return nil
	case err := <-e.nodeDone:
		e.nodeDone <- err // for stopComponents
		return fmt.Errorf("process node: %w", err)
	case <-time.After(componentStartTimeout):
		return errors.New("process node was not ready in time")
	}
}

// stopComponents stops the node first (it stops every container process it started), then the
// scheduler and the controller manager, and removes the work directory.
func (e *Env) stopComponents() error {
	var errs []error
	if e.stopNode != nil {
		e.stopNode()
		if err := <-e.nodeDone; err != nil {
			errs = append(errs, fmt.Errorf("process node: %w", err))
		}
		if strays := processnode.StrayProcesses(e.Node.Name()); len(strays) > 0 {
			errs = append(errs, fmt.Errorf("process node %s left processes running: %v", e.Node.Name(), strays))
		}
	}
	e.scheduler.Stop(componentStopGrace)
	e.controller.Stop(componentStopGrace)
	if e.workDir != "" {
		errs = append(errs, os.RemoveAll(e.workDir))
	}
	return errors.Join(errs...)
}

// freePort returns a TCP port that was free a moment ago on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
