// SPDX-License-Identifier: Apache-2.0

// Package managedagents is the operator's narrow interface over the official Claude Managed Agents
// SDK: typed errors, spec-to-API translation, and API clients built from credentials.
package managedagents

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/ssestream"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Agent, Environment, Session and Event are the API's objects, as the SDK decodes them.
type (
	Agent       = anthropic.BetaManagedAgentsAgent
	Environment = anthropic.BetaEnvironment
	Session     = anthropic.BetaManagedAgentsSession
	Event       = anthropic.BetaManagedAgentsSessionEventUnion
	StreamEvent = anthropic.BetaManagedAgentsStreamSessionEventsUnion
	// EventStream is a session's live stream with each event left as JSON: the controllers decode
	// only the fields they read (internal/sessionevents), which costs a fraction of decoding the
	// SDK's union of every event type.
	EventStream = ssestream.Stream[RawEvent]
)

// RawEvent is one streamed event's JSON, copied as it came.
type RawEvent struct {
	JSON []byte
}

// UnmarshalJSON keeps a copy of the event's JSON.
func (e *RawEvent) UnmarshalJSON(data []byte) error {
	e.JSON = append(e.JSON[:0], data...)
	return nil
}

// betaHeader is the beta the Managed Agents endpoints need; the SDK's typed methods add it too.
const betaHeader = "managed-agents-2026-04-01"

// Client is what the controllers need from the API. Every method returns errors classified as *Error.
// No method retries on its own: the SDK's retries are off, because a retried create or send can
// duplicate, and the controllers reconcile from the API's state instead.
type Client interface {
	CreateAgent(ctx context.Context, params anthropic.BetaAgentNewParams) (*Agent, error)
	GetAgent(ctx context.Context, id string) (*Agent, error)
	UpdateAgent(ctx context.Context, id string, params anthropic.BetaAgentUpdateParams, opts ...option.RequestOption) (*Agent, error)
	ArchiveAgent(ctx context.Context, id string) (*Agent, error)
	// FindAgent returns the agent, archived or not, whose metadata carries this Kubernetes UID, or nil.
	FindAgent(ctx context.Context, uid string) (*Agent, error)

	CreateEnvironment(ctx context.Context, params anthropic.BetaEnvironmentNewParams) (*Environment, error)
	GetEnvironment(ctx context.Context, id string) (*Environment, error)
	UpdateEnvironment(ctx context.Context, id string, params anthropic.BetaEnvironmentUpdateParams, opts ...option.RequestOption) (*Environment, error)
	ArchiveEnvironment(ctx context.Context, id string) error
	DeleteEnvironment(ctx context.Context, id string) error
	// FindEnvironment returns the unarchived environment with this UID in its metadata or, when uid
	// is empty, with this name; nil when there is none.
	FindEnvironment(ctx context.Context, uid, name string) (*Environment, error)

	CreateSession(ctx context.Context, params anthropic.BetaSessionNewParams) (*Session, error)
	GetSession(ctx context.Context, id string) (*Session, error)
	UpdateSession(ctx context.Context, id string, params anthropic.BetaSessionUpdateParams, opts ...option.RequestOption) (*Session, error)
	ArchiveSession(ctx context.Context, id string) error
	DeleteSession(ctx context.Context, id string) error
	// FindSession returns the session of this agent (any agent when agentID is empty), created at or
	// after since, whose metadata carries this UID, or nil. The time bound keeps the search short
	// when an agent has many sessions.
	FindSession(ctx context.Context, agentID, uid string, since time.Time) (*Session, error)
	SendEvents(ctx context.Context, sessionID string, events ...anthropic.BetaManagedAgentsEventParamsUnion) error
	// ListEvents calls fn for every event of the session, oldest first, until fn returns false.
	ListEvents(ctx context.Context, sessionID string, fn func(Event) bool) error
	// StreamEvents connects to the session's live stream. It delivers only events after the connect.
	StreamEvents(ctx context.Context, sessionID string) *EventStream

	SessionResourceClient
	VaultClient
	SkillClient
	MemoryStoreClient
	DeploymentClient
}

// sdkClient implements Client with the official SDK.
type sdkClient struct {
	api anthropic.Client
}

var _ Client = (*sdkClient)(nil)

func (c *sdkClient) CreateAgent(ctx context.Context, p anthropic.BetaAgentNewParams) (*Agent, error) {
	a, err := c.api.Beta.Agents.New(ctx, p)
	return a, Classify(err)
}

func (c *sdkClient) GetAgent(ctx context.Context, id string) (*Agent, error) {
	a, err := c.api.Beta.Agents.Get(ctx, id, anthropic.BetaAgentGetParams{})
	return a, Classify(err)
}

func (c *sdkClient) UpdateAgent(ctx context.Context, id string, p anthropic.BetaAgentUpdateParams, opts ...option.RequestOption) (*Agent, error) {
	a, err := c.api.Beta.Agents.Update(ctx, id, p, opts...)
	return a, Classify(err)
}

func (c *sdkClient) ArchiveAgent(ctx context.Context, id string) (*Agent, error) {
	a, err := c.api.Beta.Agents.Archive(ctx, id, anthropic.BetaAgentArchiveParams{})
	return a, Classify(err)
}

func (c *sdkClient) FindAgent(ctx context.Context, uid string) (*Agent, error) {
	pager := c.api.Beta.Agents.ListAutoPaging(ctx, anthropic.BetaAgentListParams{
		IncludeArchived: anthropic.Bool(true), Limit: anthropic.Int(100),
	})
	for pager.Next() {
		if a := pager.Current(); a.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return &a, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) CreateEnvironment(ctx context.Context, p anthropic.BetaEnvironmentNewParams) (*Environment, error) {
	e, err := c.api.Beta.Environments.New(ctx, p)
	return e, Classify(err)
}

func (c *sdkClient) GetEnvironment(ctx context.Context, id string) (*Environment, error) {
	e, err := c.api.Beta.Environments.Get(ctx, id, anthropic.BetaEnvironmentGetParams{})
	return e, Classify(err)
}

func (c *sdkClient) UpdateEnvironment(ctx context.Context, id string, p anthropic.BetaEnvironmentUpdateParams, opts ...option.RequestOption) (*Environment, error) {
	e, err := c.api.Beta.Environments.Update(ctx, id, p, opts...)
	return e, Classify(err)
}

func (c *sdkClient) ArchiveEnvironment(ctx context.Context, id string) error {
	_, err := c.api.Beta.Environments.Archive(ctx, id, anthropic.BetaEnvironmentArchiveParams{})
	return Classify(err)
}

func (c *sdkClient) DeleteEnvironment(ctx context.Context, id string) error {
	_, err := c.api.Beta.Environments.Delete(ctx, id, anthropic.BetaEnvironmentDeleteParams{})
	return Classify(err)
}

func (c *sdkClient) FindEnvironment(ctx context.Context, uid, name string) (*Environment, error) {
	pager := c.api.Beta.Environments.ListAutoPaging(ctx, anthropic.BetaEnvironmentListParams{Limit: anthropic.Int(100)})
	for pager.Next() {
		e := pager.Current()
		if (uid != "" && e.Metadata[v1alpha1.MetadataKeyUID] == uid) || (uid == "" && e.Name == name) {
			return &e, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) CreateSession(ctx context.Context, p anthropic.BetaSessionNewParams) (*Session, error) {
	s, err := c.api.Beta.Sessions.New(ctx, p)
	return s, Classify(err)
}

func (c *sdkClient) GetSession(ctx context.Context, id string) (*Session, error) {
	s, err := c.api.Beta.Sessions.Get(ctx, id, anthropic.BetaSessionGetParams{})
	return s, Classify(err)
}

func (c *sdkClient) UpdateSession(ctx context.Context, id string, p anthropic.BetaSessionUpdateParams, opts ...option.RequestOption) (*Session, error) {
	s, err := c.api.Beta.Sessions.Update(ctx, id, p, opts...)
	return s, Classify(err)
}

func (c *sdkClient) ArchiveSession(ctx context.Context, id string) error {
	_, err := c.api.Beta.Sessions.Archive(ctx, id, anthropic.BetaSessionArchiveParams{})
	return Classify(err)
}

func (c *sdkClient) DeleteSession(ctx context.Context, id string) error {
	_, err := c.api.Beta.Sessions.Delete(ctx, id, anthropic.BetaSessionDeleteParams{})
	return Classify(err)
}

func (c *sdkClient) FindSession(ctx context.Context, agentID, uid string, since time.Time) (*Session, error) {
	params := anthropic.BetaSessionListParams{IncludeArchived: anthropic.Bool(true), Limit: anthropic.Int(100)}
	if agentID != "" {
		params.AgentID = anthropic.String(agentID)
	}
	if !since.IsZero() {
		params.CreatedAtGte = anthropic.Time(since)
	}
	pager := c.api.Beta.Sessions.ListAutoPaging(ctx, params)
	for pager.Next() {
		if s := pager.Current(); s.Metadata[v1alpha1.MetadataKeyUID] == uid {
			return &s, nil
		}
	}
	return nil, Classify(pager.Err())
}

func (c *sdkClient) SendEvents(ctx context.Context, sessionID string, events ...anthropic.BetaManagedAgentsEventParamsUnion) error {
	_, err := c.api.Beta.Sessions.Events.Send(ctx, sessionID, anthropic.BetaSessionEventSendParams{Events: events})
	return Classify(err)
}

func (c *sdkClient) ListEvents(ctx context.Context, sessionID string, fn func(Event) bool) error {
	pager := c.api.Beta.Sessions.Events.ListAutoPaging(ctx, sessionID, anthropic.BetaSessionEventListParams{
		Order: anthropic.BetaSessionEventListParamsOrderAsc, Limit: anthropic.Int(1000),
	})
	for pager.Next() {
		if !fn(pager.Current()) {
			return nil
		}
	}
	return Classify(pager.Err())
}

// StreamEvents sends the request the SDK's Beta.Sessions.Events.StreamEvents sends, through the same
// client (middleware, rate limiter, retries off), and reads the server-sent events with the SDK's
// decoder, but without decoding each event into the SDK's union type.
func (c *sdkClient) StreamEvents(ctx context.Context, sessionID string) *EventStream {
	var raw *http.Response
	err := c.api.Get(ctx, "v1/sessions/"+url.PathEscape(sessionID)+"/events/stream", nil, &raw,
		option.WithHeaderAdd("anthropic-beta", betaHeader))
	return NewEventStream(raw, err)
}

// NewEventStream reads a response body of server-sent events as raw events; err is the request's.
func NewEventStream(resp *http.Response, err error) *EventStream {
	return ssestream.NewStream[RawEvent](ssestream.NewDecoder(resp), err)
}
