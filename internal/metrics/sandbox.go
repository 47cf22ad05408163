// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of self-hosted Environments' sandbox Pods. Labelled by namespace and Environment name
// (a bounded set the cluster's users create), never by session or work item.
var (
	// SandboxQueueDepth is each self-hosted environment's work queue depth, as the API last said.
	SandboxQueueDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "sandbox", Name: "queue_depth",
		Help: "Work items waiting in a self-hosted environment's queue.",
	}, []string{"namespace", "environment"})

	// SandboxPods counts sandbox Pods by phase (Pending, Running, Ended).
	SandboxPods = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "sandbox", Name: "pods",
		Help: "Sandbox Pods of a self-hosted environment by phase.",
	}, []string{"namespace", "environment", "phase"})

	// SandboxClaims counts the work items the dispatchers claimed.
	SandboxClaims = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sandbox", Name: "claims_total",
		Help: "Work items claimed by the dispatcher of a self-hosted environment.",
	}, []string{"namespace", "environment"})

	// SandboxStartLatency is the time from a work item's claim to its sandbox container running.
	SandboxStartLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "sandbox", Name: "claim_to_running_seconds",
		Help:    "Time from claiming a work item to its sandbox container running.",
		Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300},
	})

	// SandboxFailures counts sandbox Pods that failed, by reason (ImagePullBackOff, OOMKilled,
	// Evicted, DeadlineExceeded, StartTimeout, ExitCode, LeaseLost, ...).
	SandboxFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sandbox", Name: "failures_total",
		Help: "Sandbox Pods that failed, by reason.",
	}, []string{"reason"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(SandboxQueueDepth, SandboxPods, SandboxClaims, SandboxStartLatency, SandboxFailures)
}

// ForgetSandboxEnvironment drops the gauges of an Environment whose dispatcher stopped.
func ForgetSandboxEnvironment(ns, env string) {
	SandboxQueueDepth.DeleteLabelValues(ns, env)
	SandboxPods.DeletePartialMatch(prometheus.Labels{"namespace": ns, "environment": env})
}
