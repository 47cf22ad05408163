// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"context"
	"net/http"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
)

// WorkItem, WorkLease and WorkQueueStats are a self-hosted environment's work queue objects, as
// the SDK decodes them.
type (
	// WorkItem is one unit of work: a session whose tools need a sandbox. Its Secret is set only on
	// the Poll that delivered it; it is the item's own credential and must never be logged.
	WorkItem = anthropic.BetaSelfHostedWork
	// WorkLease is a heartbeat's answer: the lease's new token (LastHeartbeat), its TTL, and the
	// item's state.
	WorkLease = anthropic.BetaSelfHostedWorkHeartbeatResponse
	// WorkQueueStats is the queue's depth, its polled-but-unacknowledged items and its oldest item.
	WorkQueueStats = anthropic.BetaSelfHostedWorkQueueStats
)

// Work item states. They are untyped, so they compare with both WorkItem.State and WorkLease.State.
const (
	WorkStateQueued   = "queued"
	WorkStateStarting = "starting"
	WorkStateActive   = "active"
	WorkStateStopping = "stopping"
	WorkStateStopped  = "stopped"
)

// NoHeartbeat is the expected_last_heartbeat of the first heartbeat after an Ack: it claims the
// lease of an item nobody has heartbeated yet. Every later heartbeat passes the LastHeartbeat of
// the previous answer.
const NoHeartbeat = "NO_HEARTBEAT"

// MaxPollBlock is the longest a Poll may wait for work; the API caps block_ms at 999.
const MaxPollBlock = 999 * time.Millisecond

// PollOptions tune one Poll.
type PollOptions struct {
	// Block is how long the API holds the poll open when the queue is empty, at most MaxPollBlock.
	// Zero returns at once.
	Block time.Duration
	// ReclaimOlderThan re-delivers items that another poll returned but nobody acknowledged for this
	// long (the API's default is 5s).
	ReclaimOlderThan time.Duration
	// WorkerID identifies the poller in the API's statistics (workers_polling).
	WorkerID string
}

// WorkClient is what the dispatcher needs from one self-hosted environment's work queue. It is
// authorized with the environment key, which never leaves it. Every method returns errors
// classified as *Error, and none retries on its own: a retried Ack or Heartbeat whose first answer
// was lost would fail as a conflict or a lost lease although it succeeded, so the caller decides
// from the queue's state instead.
type WorkClient interface {
	// EnvironmentID is the environment whose queue this client reads.
	EnvironmentID() string
	// Poll returns the oldest queued work item, waiting up to opts.Block for one, or nil when there
	// is none. The item is hidden from other polls for a while but stays queued until acknowledged.
	Poll(ctx context.Context, opts PollOptions) (*WorkItem, error)
	// Ack claims a polled item: queued becomes starting. The claim lapses, and the item goes back to
	// the queue, unless a Heartbeat follows within the lease TTL.
	Ack(ctx context.Context, workID string) (*WorkItem, error)
	// Heartbeat extends the item's lease. expected is NoHeartbeat for the first heartbeat after the
	// Ack and the previous answer's LastHeartbeat after that; a stale one fails with IsLeaseLost,
	// and then the item belongs to the queue or another worker. ttl asks for a lease of that
	// length (the API clamps it); zero keeps the API's default.
	Heartbeat(ctx context.Context, workID, expected string, ttl time.Duration) (*WorkLease, error)
	// Stop ends the item: force stops it at once, otherwise it goes to stopping and a second Stop
	// confirms. An item that is already stopped is not an error.
	Stop(ctx context.Context, workID string, force bool) error
	// Stats reads the queue's statistics.
	Stats(ctx context.Context) (*WorkQueueStats, error)
	// List calls fn for every work item of the environment, in the API's order, until fn returns
	// false. A restarted dispatcher uses it to find the items it had claimed.
	List(ctx context.Context, fn func(WorkItem) bool) error
}

// sdkWorkClient implements WorkClient with the official SDK, for one environment.
type sdkWorkClient struct {
	api   anthropic.Client
	envID string
}

var _ WorkClient = (*sdkWorkClient)(nil)

func (c *sdkWorkClient) EnvironmentID() string { return c.envID }

func (c *sdkWorkClient) Poll(ctx context.Context, opts PollOptions) (*WorkItem, error) {
	p := anthropic.BetaEnvironmentWorkPollParams{}
	if opts.Block > 0 {
		p.BlockMs = param.NewOpt(min(opts.Block, MaxPollBlock).Milliseconds())
	}
	if opts.ReclaimOlderThan > 0 {
		p.ReclaimOlderThanMs = param.NewOpt(opts.ReclaimOlderThan.Milliseconds())
	}
	if opts.WorkerID != "" {
		p.AnthropicWorkerID = param.NewOpt(opts.WorkerID)
	}
	w, err := c.api.Beta.Environments.Work.Poll(ctx, c.envID, p)
	if err != nil {
		return nil, Classify(err)
	}
	// An empty queue answers JSON null, which decodes to nil or to an item without an id.
	if w == nil || w.ID == "" {
		return nil, nil
	}
	return w, nil
}

func (c *sdkWorkClient) Ack(ctx context.Context, workID string) (*WorkItem, error) {
	w, err := c.api.Beta.Environments.Work.Ack(ctx, workID, anthropic.BetaEnvironmentWorkAckParams{EnvironmentID: c.envID})
	return w, Classify(err)
}

func (c *sdkWorkClient) Heartbeat(ctx context.Context, workID, expected string, ttl time.Duration) (*WorkLease, error) {
	p := anthropic.BetaEnvironmentWorkHeartbeatParams{EnvironmentID: c.envID, ExpectedLastHeartbeat: param.NewOpt(expected)}
	if ttl > 0 {
		p.DesiredTTLSeconds = param.NewOpt(int64(ttl / time.Second))
	}
	l, err := c.api.Beta.Environments.Work.Heartbeat(ctx, workID, p)
	return l, Classify(err)
}

func (c *sdkWorkClient) Stop(ctx context.Context, workID string, force bool) error {
	p := anthropic.BetaEnvironmentWorkStopParams{EnvironmentID: c.envID}
	if force {
		p.BetaSelfHostedWorkStopRequest.Force = param.NewOpt(true)
	}
	// The API answers 204 without a body, which the SDK's JSON decoder rejects; taking the raw
	// response skips the decoding (the SDK's own worker does the same).
	var raw *http.Response
	_, err := c.api.Beta.Environments.Work.Stop(ctx, workID, p, option.WithResponseBodyInto(&raw))
	if raw != nil && raw.Body != nil {
		_ = raw.Body.Close()
	}
	if err = Classify(err); IsConflict(err) {
		return nil // already stopped
	}
	return err
}

func (c *sdkWorkClient) Stats(ctx context.Context) (*WorkQueueStats, error) {
	s, err := c.api.Beta.Environments.Work.Stats(ctx, c.envID, anthropic.BetaEnvironmentWorkStatsParams{})
	return s, Classify(err)
}

func (c *sdkWorkClient) List(ctx context.Context, fn func(WorkItem) bool) error {
	pager := c.api.Beta.Environments.Work.ListAutoPaging(ctx, c.envID, anthropic.BetaEnvironmentWorkListParams{Limit: anthropic.Int(100)})
	for pager.Next() {
		if !fn(pager.Current()) {
			return nil
		}
	}
	return Classify(pager.Err())
}
