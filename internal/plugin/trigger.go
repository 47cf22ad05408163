// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Trigger asks an AgentDeployment for one run now: it sets spec.runRequest to a new value (the
// time), which the operator acts on exactly once. It returns the deployment and the value set.
func Trigger(ctx context.Context, c client.Client, key types.NamespacedName, now time.Time) (*v1alpha1.AgentDeployment, string, error) {
	d := &v1alpha1.AgentDeployment{}
	if err := c.Get(ctx, key, d); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", fmt.Errorf("agentdeployment %s not found in namespace %s", key.Name, key.Namespace)
		}
		return nil, "", err
	}
	if !d.DeletionTimestamp.IsZero() {
		return nil, "", fmt.Errorf("agentdeployment %s is being deleted", key.Name)
	}
	value := now.UTC().Format(time.RFC3339Nano)
	if value == d.Spec.RunRequest {
		value += "-1"
	}
	patch := fmt.Appendf(nil, `{"spec":{"runRequest":%q}}`, value)
	if err := c.Patch(ctx, d, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return nil, "", err
	}
	return d, value, nil
}

// triggerPoll is how often WaitForRun looks at the deployment and its run Sessions.
const triggerPoll = 500 * time.Millisecond

// WaitForRun waits until the operator started the run for the run request value and the run's
// Session exists, and returns the Session's name. A run the API could not start, or a request the
// operator could not act on, is an error that says why.
func WaitForRun(ctx context.Context, c client.Client, key types.NamespacedName, value string) (string, error) {
	t := time.NewTicker(triggerPoll)
	defer t.Stop()
	for {
		name, err := runSessionFor(ctx, c, key, value)
		if name != "" || err != nil {
			return name, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// errRunRefused marks a run request the operator could not act on.
var errRunRefused = errors.New("the run request was not acted on")

// runSessionFor returns the name of the run Session of the request, "" while there is none yet.
func runSessionFor(ctx context.Context, c client.Client, key types.NamespacedName, value string) (string, error) {
	d := &v1alpha1.AgentDeployment{}
	if err := c.Get(ctx, key, d); err != nil {
		return "", err
	}
	if d.Status.RunRequest != value || d.Status.RunRequestRunID == "" {
		if synced := meta.FindStatusCondition(d.Status.Conditions, v1alpha1.ConditionSynced); synced != nil &&
			synced.Status == "False" && synced.ObservedGeneration == d.Generation && synced.Reason != "RateLimited" && synced.Reason != "APIUnavailable" {
			return "", fmt.Errorf("%w: %s: %s", errRunRefused, synced.Reason, synced.Message)
		}
		return "", nil
	}
	run := d.Status.RunRequestRunID
	if last := d.Status.LastRun; last != nil && last.ID == run && last.Error != "" {
		return "", fmt.Errorf("run %s could not start a session: %s", run, last.Error)
	}
	var list v1alpha1.SessionList
	if err := c.List(ctx, &list, client.InNamespace(key.Namespace), client.MatchingLabels{v1alpha1.LabelDeployment: key.Name, v1alpha1.LabelRun: run}); err != nil {
		return "", err
	}
	if len(list.Items) == 0 {
		return "", nil
	}
	return list.Items[0].Name, nil
}
