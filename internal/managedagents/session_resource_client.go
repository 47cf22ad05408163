// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// SessionResource is a resource mounted into a session (a repository, a file or a memory store), as
// the SDK decodes it. It never carries a repository's token.
type SessionResource = anthropic.BetaManagedAgentsSessionResourceUnion

// SessionResourceClient is what following a running session's resources needs from the API. Every
// method returns errors classified as *Error and never retries on its own. The API lets a running
// session gain and lose files and rotate a repository's token; repositories and memory stores are
// mounted at creation for the session's life.
type SessionResourceClient interface {
	// ListSessionResources returns every resource of the session, in mount order.
	ListSessionResources(ctx context.Context, sessionID string) ([]SessionResource, error)
	// AddSessionFile mounts a file into the session and returns the new resource's id.
	AddSessionFile(ctx context.Context, sessionID string, params anthropic.BetaManagedAgentsFileResourceParams) (string, error)
	// RotateRepositoryToken replaces a github_repository resource's authorization token.
	RotateRepositoryToken(ctx context.Context, sessionID, resourceID, token string) error
	// DeleteSessionResource unmounts a file.
	DeleteSessionResource(ctx context.Context, sessionID, resourceID string) error
}

var _ SessionResourceClient = (*sdkClient)(nil)

func (c *sdkClient) ListSessionResources(ctx context.Context, sessionID string) ([]SessionResource, error) {
	pager := c.api.Beta.Sessions.Resources.ListAutoPaging(ctx, sessionID, anthropic.BetaSessionResourceListParams{})
	var out []SessionResource
	for pager.Next() {
		out = append(out, pager.Current())
	}
	return out, Classify(pager.Err())
}

func (c *sdkClient) AddSessionFile(ctx context.Context, sessionID string, p anthropic.BetaManagedAgentsFileResourceParams) (string, error) {
	r, err := c.api.Beta.Sessions.Resources.Add(ctx, sessionID, anthropic.BetaSessionResourceAddParams{BetaManagedAgentsFileResourceParams: p})
	if err != nil {
		return "", Classify(err)
	}
	return r.ID, nil
}

func (c *sdkClient) RotateRepositoryToken(ctx context.Context, sessionID, resourceID, token string) error {
	_, err := c.api.Beta.Sessions.Resources.Update(ctx, resourceID, anthropic.BetaSessionResourceUpdateParams{
		SessionID: sessionID, AuthorizationToken: token})
	return Classify(err)
}

func (c *sdkClient) DeleteSessionResource(ctx context.Context, sessionID, resourceID string) error {
	_, err := c.api.Beta.Sessions.Resources.Delete(ctx, resourceID, anthropic.BetaSessionResourceDeleteParams{SessionID: sessionID})
	return Classify(err)
}
