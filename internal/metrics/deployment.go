// SPDX-License-Identifier: Apache-2.0

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Run results of DeploymentRuns.
const (
	// RunStarted: a run started a session, which got its Session.
	RunStarted = "started"
	// RunSucceeded: a run's Session finished Succeeded.
	RunSucceeded = "succeeded"
	// RunFailed: a run could not start a session, or its Session finished Failed, TimedOut or
	// Terminated.
	RunFailed = "failed"
)

// DeploymentRuns counts AgentDeployment runs by namespace, AgentDeployment name and result
// (started, succeeded, failed). Runs are labelled by deployment (a bounded set the cluster's users
// create), never by run or session.
var DeploymentRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: namespace, Subsystem: "deployments", Name: "runs_total",
	Help: "AgentDeployment runs by namespace, deployment and result (started, succeeded, failed).",
}, []string{"namespace", "deployment", "result"})

func init() {
	ctrlmetrics.Registry.MustRegister(DeploymentRuns)
}
