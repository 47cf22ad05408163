// SPDX-License-Identifier: Apache-2.0

// Package sessionevents decodes Managed Agents session events, summarizes them for people, and folds
// a session's event history into the state that a Session's status shows. It is pure: no I/O, no
// clock, so the same history always gives the same state.
package sessionevents

import (
	"encoding/json"
	"time"
)

// Event is the part of a session event that the operator reads. Decoding into this small struct,
// rather than the SDK's 42-variant union, keeps the hot path cheap and tolerant of new event types.
type Event struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	ProcessedAt *time.Time `json:"processed_at"`

	// Content holds the text blocks of messages and tool results.
	Content []ContentBlock `json:"content"`

	// Tool use fields (agent.tool_use, agent.mcp_tool_use, agent.custom_tool_use).
	Name                string          `json:"name"`
	Input               json.RawMessage `json:"input"`
	MCPServerName       string          `json:"mcp_server_name"`
	EvaluatedPermission string          `json:"evaluated_permission"`

	// Answer fields (tool results, confirmations and custom tool results).
	ToolUseID       string `json:"tool_use_id"`
	MCPToolUseID    string `json:"mcp_tool_use_id"`
	CustomToolUseID string `json:"custom_tool_use_id"`
	IsError         bool   `json:"is_error"`
	// Result is a confirmation's allow/deny, an outcome evaluation's verdict, or a workflow run's
	// end (an object on the wire; its type is kept).
	Result      ResultValue `json:"result"`
	DenyMessage string      `json:"deny_message"`

	// session.status_idle.
	StopReason  *StopReason  `json:"stop_reason"`
	StopDetails *StopDetails `json:"stop_details"`

	// session.error.
	Error *SessionError `json:"error"`

	// session.usage.
	Usage *Usage `json:"usage"`

	// The rest of the surface: threads, outcomes, workflow runs, model request spans, session
	// updates (see surface_fields.go).
	SurfaceFields
}

// ContentBlock is one block of content; only text is read.
type ContentBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// StopReason says why a session went idle.
type StopReason struct {
	Type     string   `json:"type"`
	EventIDs []string `json:"event_ids"`
}

// StopDetails explains a refusal.
type StopDetails struct {
	Type        string `json:"type"`
	Category    string `json:"category"`
	Explanation string `json:"explanation"`
}

// SessionError is the error of a session.error event.
type SessionError struct {
	Type        string `json:"type"`
	Message     string `json:"message"`
	RetryStatus struct {
		Type string `json:"type"`
	} `json:"retry_status"`
}

// Usage is a cumulative usage snapshot.
type Usage struct {
	InputTokens          int64 `json:"input_tokens"`
	OutputTokens         int64 `json:"output_tokens"`
	CacheReadInputTokens int64 `json:"cache_read_input_tokens"`
	CacheCreation        struct {
		Ephemeral1h int64 `json:"ephemeral_1h_input_tokens"`
		Ephemeral5m int64 `json:"ephemeral_5m_input_tokens"`
	} `json:"cache_creation"`
	ActiveSeconds float64 `json:"active_seconds"`
	ListCost      *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"list_cost"`
}

// Decode parses one event's JSON. Unknown fields and unknown types are fine; malformed JSON is not.
func Decode(data []byte) (Event, error) {
	var ev Event
	err := json.Unmarshal(data, &ev)
	return ev, err
}

// Text joins the event's text blocks.
func (e *Event) Text() string {
	switch len(e.Content) {
	case 0:
		return ""
	case 1:
		return e.Content[0].Text
	}
	var n int
	for _, c := range e.Content {
		n += len(c.Text) + 1
	}
	b := make([]byte, 0, n)
	for i, c := range e.Content {
		if c.Text == "" {
			continue
		}
		if i > 0 && len(b) > 0 {
			b = append(b, '\n')
		}
		b = append(b, c.Text...)
	}
	return string(b)
}

// Time is when the platform processed the event, or the zero time while it is queued.
func (e *Event) Time() time.Time {
	if e.ProcessedAt == nil {
		return time.Time{}
	}
	return *e.ProcessedAt
}
