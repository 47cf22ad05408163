// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"bytes"
	"encoding/json"
)

// SurfaceFields are the event fields of multi-agent threads, outcomes, workflow runs, model
// request spans and session updates. Every field is optional on the wire: each event type carries
// only its own.
type SurfaceFields struct {
	// SessionThreadID is the thread an event belongs to: set on thread status events, and on tool
	// uses cross-posted from a sub-agent's thread to the primary stream; empty for the primary thread.
	SessionThreadID string `json:"session_thread_id"`
	// AgentName is the agent a thread runs (session.thread_*).
	AgentName string `json:"agent_name"`
	// The threads an agent.thread_message_* event connects.
	FromSessionThreadID string `json:"from_session_thread_id"`
	FromAgentName       string `json:"from_agent_name"`
	ToSessionThreadID   string `json:"to_session_thread_id"`
	ToAgentName         string `json:"to_agent_name"`

	// Evaluation says how a tool use's permission was decided; an auto policy gives a reason code.
	Evaluation *ToolEvaluation `json:"evaluation"`

	// Outcomes (user.define_outcome, span.outcome_evaluation_*).
	OutcomeID     string  `json:"outcome_id"`
	Description   string  `json:"description"`
	MaxIterations int64   `json:"max_iterations"`
	Rubric        *Rubric `json:"rubric"`
	Iteration     int64   `json:"iteration"`
	Explanation   string  `json:"explanation"`

	// Workflow runs (workflow_run.*).
	WorkflowRunID      string `json:"workflow_run_id"`
	WorkflowRunPhaseID string `json:"workflow_run_phase_id"`

	// ModelUsage is one model request's usage (span.model_request_end).
	ModelUsage *ModelUsage `json:"model_usage"`

	// Session updates and usage snapshots. Budget is kept raw: on session.updated, null means the
	// budget was removed and an absent field means it did not change.
	Budget   json.RawMessage   `json:"budget"`
	Title    *string           `json:"title"`
	Metadata map[string]string `json:"metadata"`
	// Agent is the session's new agent snapshot, present when an update changed it.
	Agent json.RawMessage `json:"agent"`
}

// ToolEvaluation is how a tool use's permission was evaluated.
type ToolEvaluation struct {
	// Type is always_allow, always_ask or auto.
	Type string `json:"type"`
	// EvaluatedPermission is what an auto policy decided, with its reason code.
	EvaluatedPermission *struct {
		Type       string `json:"type"`
		ReasonCode string `json:"reason_code"`
	} `json:"evaluated_permission"`
}

// Rubric is an outcome's rubric: inline text or an uploaded file.
type Rubric struct {
	Type    string `json:"type"`
	Content string `json:"content"`
	FileID  string `json:"file_id"`
}

// ModelUsage is the token usage of one model request.
type ModelUsage struct {
	InputTokens              int64  `json:"input_tokens"`
	OutputTokens             int64  `json:"output_tokens"`
	CacheCreationInputTokens int64  `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64  `json:"cache_read_input_tokens"`
	Speed                    string `json:"speed"`
}

// ResultValue is an event's result: a string (allow, deny, satisfied, ...) or, for
// workflow_run.status_ended, an object whose type (completed, error, stopped) is kept.
type ResultValue string

// UnmarshalJSON accepts a string, an object with a type, or null.
func (r *ResultValue) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0, bytes.Equal(data, []byte("null")):
		*r = ""
		return nil
	case data[0] == '{':
		var obj struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &obj); err != nil {
			return err
		}
		*r = ResultValue(obj.Type)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	*r = ResultValue(s)
	return nil
}

// BudgetLimit is a budget as events carry it: {type:"limit", max_list_cost:{amount, currency}},
// the amount in minor units.
type BudgetLimit struct {
	Type        string `json:"type"`
	MaxListCost struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"max_list_cost"`
}

// budget reads the event's budget field: present says the field was there, and limit is nil when
// it was null (no budget, or removed).
func (e *Event) budget() (limit *BudgetLimit, present bool) {
	raw := bytes.TrimSpace(e.Budget)
	if len(raw) == 0 {
		return nil, false
	}
	if bytes.Equal(raw, []byte("null")) {
		return nil, true
	}
	var b BudgetLimit
	if json.Unmarshal(raw, &b) != nil || b.MaxListCost.Amount == "" {
		return nil, true
	}
	return &b, true
}
