// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Deployment and DeploymentRun are the API's deployment objects, as the SDK decodes them.
type (
	Deployment    = anthropic.BetaManagedAgentsDeployment
	DeploymentRun = anthropic.BetaManagedAgentsDeploymentRun
)

// Remote deployment statuses.
const (
	DeploymentActive = string(anthropic.BetaManagedAgentsDeploymentStatusActive)
	DeploymentPaused = string(anthropic.BetaManagedAgentsDeploymentStatusPaused)
)

// Run trigger types.
const (
	TriggerSchedule = string(anthropic.BetaManagedAgentsTriggerTypeSchedule)
	TriggerManual   = string(anthropic.BetaManagedAgentsTriggerTypeManual)
)

// RunQuery narrows a list of a deployment's runs.
type RunQuery struct {
	// CreatedAfter keeps runs created strictly after it; zero keeps all.
	CreatedAfter time.Time
	// CreatedSince keeps runs created at or after it; zero keeps all.
	CreatedSince time.Time
	// Trigger keeps runs of one trigger type (TriggerSchedule or TriggerManual); "" keeps all.
	Trigger string
}

// DeploymentClient is what the AgentDeployment controller needs from the API. Every method returns
// errors classified as *Error and never retries on its own: a retried Run starts a second run.
type DeploymentClient interface {
	CreateDeployment(ctx context.Context, params anthropic.BetaDeploymentNewParams) (*Deployment, error)
	GetDeployment(ctx context.Context, id string) (*Deployment, error)
	UpdateDeployment(ctx context.Context, id string, params anthropic.BetaDeploymentUpdateParams, opts ...option.RequestOption) (*Deployment, error)
	ArchiveDeployment(ctx context.Context, id string) error
	PauseDeployment(ctx context.Context, id string) (*Deployment, error)
	UnpauseDeployment(ctx context.Context, id string) (*Deployment, error)
	// RunDeployment starts one run now, paused or not.
	RunDeployment(ctx context.Context, id string) (*DeploymentRun, error)
	// FindDeployment returns the deployment, archived or not, whose metadata carries this
	// Kubernetes UID, or nil.
	FindDeployment(ctx context.Context, uid string) (*Deployment, error)
	// ListDeploymentRuns calls fn for every run of the deployment that q keeps, in the API's order
	// (newest first), until fn returns false.
	ListDeploymentRuns(ctx context.Context, deploymentID string, q RunQuery, fn func(DeploymentRun) bool) error
}

var _ DeploymentClient = (*sdkClient)(nil)

func (c *sdkClient) CreateDeployment(ctx context.Context, p anthropic.BetaDeploymentNewParams) (*Deployment, error) {
	d, err := c.api.Beta.Deployments.New(ctx, p)
	return d, Classify(err)
}

func (c *sdkClient) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, err := c.api.Beta.Deployments.Get(ctx, id, anthropic.BetaDeploymentGetParams{})
	return d, Classify(err)
}

func (c *sdkClient) UpdateDeployment(ctx context.Context, id string, p anthropic.BetaDeploymentUpdateParams, opts ...option.RequestOption) (*Deployment, error) {
	d, err := c.api.Beta.Deployments.Update(ctx, id, p, opts...)
	return d, Classify(err)
}

func (c *sdkClient) ArchiveDeployment(ctx context.Context, id string) error {
	_, err := c.api.Beta.Deployments.Archive(ctx, id, anthropic.BetaDeploymentArchiveParams{})
	return Classify(err)
}

func (c *sdkClient) PauseDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, err := c.api.Beta.Deployments.Pause(ctx, id, anthropic.BetaDeploymentPauseParams{})
	return d, Classify(err)
}

func (c *sdkClient) UnpauseDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, err := c.api.Beta.Deployments.Unpause(ctx, id, anthropic.BetaDeploymentUnpauseParams{})
	return d, Classify(err)
}

func (c *sdkClient) RunDeployment(ctx context.Context, id string) (*DeploymentRun, error) {
	r, err := c.api.Beta.Deployments.Run(ctx, id, anthropic.BetaDeploymentRunParams{})
	return r, Classify(err)
}

func (c *sdkClient) FindDeployment(ctx context.Context, uid string) (*Deployment, error) {
	pager := c.api.Beta.Deployments.ListAutoPaging(ctx, anthropic.BetaDeploymentListParams{
		IncludeArchived: anthropic.Bool(true), Limit: anthropic.Int(100),
	})
	for pager.Next() {
		if d := pager.Current(); d.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return &d, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) ListDeploymentRuns(ctx context.Context, deploymentID string, q RunQuery, fn func(DeploymentRun) bool) error {
	p := anthropic.BetaDeploymentRunListParams{DeploymentID: param.NewOpt(deploymentID), Limit: anthropic.Int(100)}
	if !q.CreatedAfter.IsZero() {
		p.CreatedAtGt = param.NewOpt(q.CreatedAfter)
	}
	if !q.CreatedSince.IsZero() {
		p.CreatedAtGte = param.NewOpt(q.CreatedSince)
	}
	if q.Trigger != "" {
		p.TriggerType = anthropic.BetaManagedAgentsTriggerType(q.Trigger)
	}
	pager := c.api.Beta.DeploymentRuns.ListAutoPaging(ctx, p)
	for pager.Next() {
		if !fn(pager.Current()) {
			return nil
		}
	}
	return Classify(pager.Err())
}
