// SPDX-License-Identifier: Apache-2.0

// Command process-node runs a process node: a stand-in for the kubelet, for tests and `make demo`
// only, that runs the containers of the Pods bound to it as local processes. It is not a container
// runtime and isolates nothing; never point it at a real cluster. See the package documentation of
// test/processnode for exactly what it does and does not do.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/anthropics/managed-agents-operator/test/processnode"
)

// keyValues is a repeatable KEY=VALUE flag.
type keyValues map[string]string

func (kv keyValues) String() string { return fmt.Sprint(map[string]string(kv)) }

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	kv[k] = v
	return nil
}

func main() {
	cfg := processnode.Config{Labels: keyValues{}, ImageRoots: keyValues{}}
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the (test) cluster to join")
	flag.StringVar(&cfg.NodeName, "name", processnode.DefaultNodeName, "the Node's name")
	flag.StringVar(&cfg.RootDir, "root-dir", "", "directory for the Pods' volumes, files and logs (required)")
	flag.StringVar(&cfg.ListenAddress, "listen-address", "127.0.0.1:0", "host:port of the kubelet API (container logs)")
	flag.Var(keyValues(cfg.Labels), "label", "a Node label KEY=VALUE (repeatable)")
	flag.Var(keyValues(cfg.ImageRoots), "image-root", "IMAGE=DIR: DIR stands in for IMAGE's filesystem (repeatable)")
	cpu := flag.String("cpu", "", "CPU capacity (default 32)")
	memory := flag.String("memory", "", "memory capacity (default 64Gi)")
	flag.DurationVar(&cfg.StopGrace, "stop-grace", 0, "how long containers get between SIGTERM and SIGKILL when the node stops (default 5s)")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	cfg.Logger = zap.New(zap.UseFlagOptions(&opts))
	if err := run(cfg, *kubeconfig, *cpu, *memory); err != nil {
		fmt.Fprintln(os.Stderr, "process-node:", err)
		os.Exit(1)
	}
}

func run(cfg processnode.Config, kubeconfig, cpu, memory string) error {
	cfg.Capacity = processnode.DefaultCapacity()
	for name, value := range map[string]string{"cpu": cpu, "memory": memory} {
		if value == "" {
			continue
		}
		q, err := resource.ParseQuantity(value)
		if err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		cfg.Capacity[corev1.ResourceName(name)] = q
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	node, err := processnode.New(cfg, restConfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		select {
		case <-node.Ready():
			fmt.Printf("process node %s is ready (kubelet API on 127.0.0.1:%d)\n", node.Name(), node.KubeletPort())
		case <-ctx.Done():
		}
	}()
	return node.Run(ctx)
}
