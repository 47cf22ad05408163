// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/schedule"
)

// deploymentRemote is the AgentDeployment's translation for the lifecycle driver: its spec to a
// remote deployment, with spec.suspend as the remote paused state. The runs are not the driver's:
// agentdeployment_runs.go follows them after each sync.
type deploymentRemote struct {
	// client reads the Agents, Environments, Vaults and MemoryStores the spec names (cached).
	client client.Client
	// reader reads the Secrets of GitHub tokens without caching every Secret.
	reader client.Reader
}

var _ remoteKind[*v1alpha1.AgentDeployment] = deploymentRemote{}

func (deploymentRemote) fields(d *v1alpha1.AgentDeployment) managedFields {
	st := &d.Status
	deletion := releaseArchive
	if d.Spec.DeletionPolicy == v1alpha1.AgentDeploymentDeletionRetain {
		deletion = releaseRetain
	}
	return managedFields{
		ID: &st.ID, ObservedGeneration: &st.ObservedGeneration, ConfigHash: &st.ConfigHash,
		LastSyncTime: &st.LastSyncTime, Conditions: &st.Conditions, Status: st,
		APIKeySecretRef: d.Spec.APIKeySecretRef, Deletion: deletion,
	}
}

func (r deploymentRemote) connect(ctx context.Context, d *v1alpha1.AgentDeployment, api managedagents.Client) (remoteConnection, error) {
	if err := checkSchedule(d.Spec.Schedule); err != nil {
		return nil, err
	}
	in, err := r.resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	// The tokens count as desired state (a rotated token is sent again) but only as a hash.
	return &deploymentConnection{api: api, obj: d, in: in, hash: configHash(d.Spec.Schedule, specWithoutRunRequest(d), in.AgentID,
		in.AgentVersion, in.EnvironmentID, in.VaultIDs, in.MemoryStoreIDs, configHash(in.GitHubTokens), in.Owner)}, nil
}

// specWithoutRunRequest is the spec less what does not change the remote deployment: a run request
// is acted on by the run step, and must not make the driver compare the deployment again.
func specWithoutRunRequest(d *v1alpha1.AgentDeployment) v1alpha1.AgentDeploymentSpec {
	spec := *d.Spec.DeepCopy()
	spec.RunRequest = ""
	spec.SuccessfulRunsHistoryLimit, spec.FailedRunsHistoryLimit = nil, nil
	return spec
}

// checkSchedule checks what admission cannot: the fields' values and the time zone's existence.
func checkSchedule(s *v1alpha1.DeploymentSchedule) error {
	if s == nil {
		return nil
	}
	_, err := schedule.Parse(s.Cron, scheduleZone(s))
	var serr *schedule.Error
	if errors.As(err, &serr) {
		field := "schedule.cron"
		if serr.Field == schedule.FieldTimeZone {
			field = "schedule.timeZone"
		}
		return &managedagents.InvalidSpecError{Field: field, Message: serr.Message}
	}
	return err
}

func (deploymentRemote) findByUID(ctx context.Context, api managedagents.Client, uid types.UID) (string, error) {
	remote, err := api.FindDeployment(ctx, string(uid))
	if err != nil || remote == nil {
		return "", err
	}
	return remote.ID, nil
}

// release archives the remote deployment; deployments cannot be deleted.
func (deploymentRemote) release(ctx context.Context, api managedagents.Client, id string, _ releaseAction) error {
	err := api.ArchiveDeployment(ctx, id)
	if err == nil || managedagents.IsNotFound(err) {
		return err
	}
	// Archiving an archived deployment is refused; that is the outcome we want.
	if remote, getErr := api.GetDeployment(ctx, id); getErr == nil && !remote.ArchivedAt.IsZero() {
		return nil
	}
	return err
}

// deploymentConnection is one AgentDeployment's desired remote deployment, for one reconcile.
type deploymentConnection struct {
	api  managedagents.Client
	obj  *v1alpha1.AgentDeployment
	in   managedagents.DeploymentInputs
	hash string
}

func (c *deploymentConnection) configHash() string { return c.hash }

func (c *deploymentConnection) observe(ctx context.Context, id string) (observation, error) {
	remote, err := c.api.GetDeployment(ctx, id)
	if managedagents.IsNotFound(err) {
		return observation{}, nil
	}
	if err != nil {
		return observation{}, err
	}
	return c.observed(remote), nil
}

func (c *deploymentConnection) observed(remote *managedagents.Deployment) observation {
	diff := managedagents.DeploymentDrift(&c.obj.Spec, c.in, remote)
	// Resources are compared by what they mount (a token is write-only; the API fills in default
	// mount paths): a changed token, mount path, access or instructions shows only in the desired
	// state's hash, and then the resources are sent again.
	if len(c.obj.Spec.Resources) > 0 && c.obj.Status.ConfigHash != c.hash && !contains(diff, "resources") {
		diff = append(diff, "resources")
	}
	if c.pauseChange(remote) != "" {
		diff = append(diff, "suspend")
	}
	detail := fmt.Sprintf("agent %s version %d, %s", remote.Agent.ID, remote.Agent.Version, remote.Status)
	return observation{exists: true, id: remote.ID, detail: detail, archived: !remote.ArchivedAt.IsZero(), diff: diff, remote: remote}
}

// pauseChange is "pause" or "unpause" when the remote paused state must change for spec.suspend,
// else "". A deployment the API paused after a failed run is left paused until the spec changes:
// unpausing it at once would fail the same way at the next fire.
func (c *deploymentConnection) pauseChange(remote *managedagents.Deployment) string {
	paused := string(remote.Status) == managedagents.DeploymentPaused
	switch {
	case c.obj.Spec.Suspend && !paused:
		return "pause"
	case !c.obj.Spec.Suspend && paused && (remote.PausedReason.Type != "error" || c.obj.Status.ObservedGeneration != c.obj.Generation):
		return "unpause"
	}
	return ""
}

// create makes the deployment; a suspended one is paused right after (the API creates active ones).
func (c *deploymentConnection) create(ctx context.Context) (observation, error) {
	p, err := managedagents.NewDeploymentParams(&c.obj.Spec, c.in)
	if err != nil {
		return observation{}, err
	}
	remote, err := c.api.CreateDeployment(ctx, p)
	if err != nil {
		return observation{}, err
	}
	return c.applyPause(ctx, remote)
}

// update replaces the fields that differ, then pauses or unpauses for spec.suspend.
func (c *deploymentConnection) update(ctx context.Context, current observation) (observation, error) {
	remote := current.remote.(*managedagents.Deployment)
	if len(current.diff) > 1 || (len(current.diff) == 1 && current.diff[0] != "suspend") {
		p, opts, err := managedagents.UpdateDeploymentParams(&c.obj.Spec, c.in, remote)
		if err != nil {
			return observation{}, err
		}
		if remote, err = c.api.UpdateDeployment(ctx, remote.ID, p, opts...); err != nil {
			return observation{}, err
		}
	}
	return c.applyPause(ctx, remote)
}

func (c *deploymentConnection) applyPause(ctx context.Context, remote *managedagents.Deployment) (observation, error) {
	var err error
	switch c.pauseChange(remote) {
	case "pause":
		remote, err = c.api.PauseDeployment(ctx, remote.ID)
	case "unpause":
		remote, err = c.api.UnpauseDeployment(ctx, remote.ID)
	}
	if err != nil {
		return observation{}, err
	}
	obs := c.observed(remote)
	// What was just sent is applied; the hash-only differences cannot be read back to prove it.
	obs.diff = without(obs.diff, "resources", len(c.obj.Spec.Resources) > 0)
	return obs, nil
}

func (c *deploymentConnection) record(current observation, _ Reason) {
	remote := current.remote.(*managedagents.Deployment)
	st := &c.obj.Status
	st.AgentID, st.AgentVersion, st.EnvironmentID = remote.Agent.ID, remote.Agent.Version, remote.EnvironmentID
	st.PausedReason = pausedReason(remote)
}

// pausedReason is status.pausedReason for a remote deployment: "" while active, Manual, or the
// error type that made the API pause it.
func pausedReason(remote *managedagents.Deployment) string {
	switch {
	case string(remote.Status) != managedagents.DeploymentPaused:
		return ""
	case remote.PausedReason.Type == "error":
		return remote.PausedReason.Error.Type
	}
	return "Manual"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// without removes s from list when cond holds.
func without(list []string, s string, cond bool) []string {
	if !cond {
		return list
	}
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
