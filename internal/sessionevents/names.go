// SPDX-License-Identifier: Apache-2.0

package sessionevents

// Event types the fold reads, as the API names them.
const (
	TypeUserMessage          = "user.message"
	TypeUserInterrupt        = "user.interrupt"
	TypeUserToolConfirmation = "user.tool_confirmation"
	TypeUserCustomToolResult = "user.custom_tool_result"
	TypeAgentMessage         = "agent.message"
	TypeAgentToolUse         = "agent.tool_use"
	TypeAgentMCPToolUse      = "agent.mcp_tool_use"
	TypeAgentCustomToolUse   = "agent.custom_tool_use"
	TypeStatusRunning        = "session.status_running"
	TypeStatusRescheduled    = "session.status_rescheduled"
	TypeStatusIdle           = "session.status_idle"
	TypeStatusTerminated     = "session.status_terminated"
	TypeSessionDeleted       = "session.deleted"
	TypeSessionError         = "session.error"
	TypeSessionUsage         = "session.usage"
	// TypeEventStart and TypeEventDelta are stream-only previews of an event still being written;
	// the finished event follows, so they are never folded.
	TypeEventStart = "event_start"
	TypeEventDelta = "event_delta"
)

// Stop reasons of session.status_idle, as the API names them.
const (
	StopEndTurn          = "end_turn"
	StopRequiresAction   = "requires_action"
	StopBudgetReached    = "budget_reached"
	StopRefusal          = "refusal"
	StopRetriesExhausted = "retries_exhausted"
)

// RetryTerminal is the retry status of a session.error after which the session cannot continue.
const RetryTerminal = "terminal"
