// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
)

// sandboxFlags configure the sandbox Pods of SelfHosted Environments.
type sandboxFlags struct {
	runnerImage      string
	runnerPullPolicy string
	startTimeout     time.Duration
	terminationLog   string
}

func (f *sandboxFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.runnerImage, "sandbox-runner-image", "ghcr.io/anthropics/managed-agents-operator:latest",
		"Image that sandbox Pods' init container copies the sandbox runner out of (the operator's own image, which holds /sandbox-runner).")
	fs.StringVar(&f.runnerPullPolicy, "sandbox-runner-image-pull-policy", "", "Pull policy of that init container (Always, IfNotPresent, Never); empty lets Kubernetes decide.")
	fs.DurationVar(&f.startTimeout, "sandbox-start-timeout", 5*time.Minute,
		"How long a sandbox Pod may take to start (scheduling, image pulls) before its work item is stopped; at most 9m, which the claim's lease covers.")
	fs.StringVar(&f.terminationLog, "sandbox-termination-log", "/dev/termination-log", "Where the sandbox runner writes its outcome (the container's terminationMessagePath); empty writes none.")
}

func (f *sandboxFlags) setup(ctx context.Context, mgr ctrl.Manager, factory *managedagents.Factory, apiBaseURL string) error {
	s := &sandbox.Supervisor{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Factory: factory,
		Recorder: mgr.GetEventRecorder("sandbox-dispatcher"),
		Options: sandbox.Options{
			StartTimeout: f.startTimeout,
			Pod: sandbox.PodOptions{
				RunnerImage: f.runnerImage, RunnerImagePullPolicy: corev1.PullPolicy(f.runnerPullPolicy),
				APIBaseURL: apiBaseURL, TerminationLog: f.terminationLog,
			},
		},
	}
	return s.SetupWithManager(ctx, mgr)
}

// withSandboxPods limits the cache's Pods to sandbox Pods (see sandbox.CacheByObject).
func withSandboxPods(opts cache.Options) cache.Options {
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	for obj, by := range sandbox.CacheByObject() {
		opts.ByObject[obj] = by
	}
	return opts
}
