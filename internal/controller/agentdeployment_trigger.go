// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// noManualRun is the run-request-after value when the deployment had no manual run before the request.
const noManualRun = "none"

// runRequested reports whether spec.runRequest asks for a run that has not been started.
func runRequested(d *v1alpha1.AgentDeployment) bool {
	return d.Spec.RunRequest != "" && d.Spec.RunRequest != d.Status.RunRequest
}

// actOnRunRequest starts the one run that spec.runRequest asks for. Run takes no parameters, so the
// request is recorded on the remote deployment first: its value, and the newest manual run before
// it. A request found recorded there was acted on by an earlier reconcile that did not get to write
// status (its Run's answer was lost, or the process stopped): its run is the first manual run after
// the recorded one, and only when there is none is Run called. Each value starts one run.
func (r *agentDeploymentReconciler) actOnRunRequest(ctx context.Context, d *v1alpha1.AgentDeployment, api managedagents.Client, remote *managedagents.Deployment) error {
	value, id := d.Spec.RunRequest, d.Status.ID
	log := logf.FromContext(ctx)
	if remote.Metadata[v1alpha1.MetadataKeyRunRequest] == value {
		run, err := firstManualRunAfter(ctx, api, id, remote.Metadata[v1alpha1.MetadataKeyRunRequestAfter])
		if err != nil {
			return err
		}
		if run != "" {
			log.Info("Found the run started earlier for this run request", "runRequest", value, "runID", run)
			d.Status.RunRequest, d.Status.RunRequestRunID = value, run
			return nil
		}
	} else if err := recordRunRequest(ctx, api, id, value); err != nil {
		return err
	}
	run, err := api.RunDeployment(ctx, id)
	if err != nil {
		return err
	}
	d.Status.RunRequest, d.Status.RunRequestRunID = value, run.ID
	log.Info("Started a run on request", "runRequest", value, "runID", run.ID, "deploymentID", id)
	r.event(d, corev1.EventTypeNormal, ReasonTriggered, "Run", "Started run %s for spec.runRequest %q", run.ID, value)
	return nil
}

// recordRunRequest writes the request and the newest manual run before it into the remote
// deployment's metadata (a patch: other keys stay).
func recordRunRequest(ctx context.Context, api managedagents.Client, id, value string) error {
	after := noManualRun
	err := api.ListDeploymentRuns(ctx, id, managedagents.RunQuery{Trigger: managedagents.TriggerManual}, func(run managedagents.DeploymentRun) bool {
		after = run.CreatedAt.UTC().Format(time.RFC3339Nano)
		return false // newest first: the first is the newest
	})
	if err != nil {
		return err
	}
	_, err = api.UpdateDeployment(ctx, id, anthropic.BetaDeploymentUpdateParams{Metadata: map[string]string{
		v1alpha1.MetadataKeyRunRequest: value, v1alpha1.MetadataKeyRunRequestAfter: after,
	}})
	return err
}

// firstManualRunAfter returns the id of the oldest manual run created after the recorded time, or "".
func firstManualRunAfter(ctx context.Context, api managedagents.Client, id, after string) (string, error) {
	q := managedagents.RunQuery{Trigger: managedagents.TriggerManual}
	if after != noManualRun {
		t, err := time.Parse(time.RFC3339Nano, after)
		if err != nil {
			// Not a time the operator wrote: someone changed the record. Start the run.
			return "", nil //nolint:nilerr // an unreadable record means no run is known
		}
		q.CreatedAfter = t
	}
	var oldest string
	err := api.ListDeploymentRuns(ctx, id, q, func(run managedagents.DeploymentRun) bool {
		oldest = run.ID // newest first: the last one seen is the oldest
		return true
	})
	return oldest, err
}
