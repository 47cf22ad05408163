// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kubernetes Event reasons for session events. Readers (kubectl claude logs) rebuild the conversation
// from them.
const (
	ReasonUserMessage      = "UserMessage"
	ReasonAgentMessage     = "AgentMessage"
	ReasonToolUse          = "ToolUse"
	ReasonToolResult       = "ToolResult"
	ReasonMCPToolUse       = "MCPToolUse"
	ReasonMCPToolResult    = "MCPToolResult"
	ReasonCustomToolUse    = "CustomToolUse"
	ReasonCustomToolResult = "CustomToolResult"
	ReasonToolConfirmation = "ToolConfirmation"
	ReasonInterrupt        = "Interrupt"
	ReasonRunning          = "Running"
	ReasonRescheduled      = "Rescheduled"
	ReasonTurnEnded        = "TurnEnded"
	ReasonActionRequired   = "ActionRequired"
	ReasonRefusal          = "Refusal"
	ReasonBudgetReached    = "BudgetReached"
	ReasonRetriesExhausted = "RetriesExhausted"
	ReasonSessionError     = "SessionError"
	ReasonTerminated       = "Terminated"
	ReasonDeleted          = "SessionDeleted"
)

// Summary is how one event reads to a person.
type Summary struct {
	// Reason is the Kubernetes Event reason; empty means the event is not worth an Event
	// (thinking, spans, usage snapshots).
	Reason string
	// Warning marks errors and refusals.
	Warning bool
	// Message is a one-paragraph description, at most MaxMessageBytes.
	Message string
}

// MaxMessageBytes bounds a summary's message, and so a Kubernetes Event's.
const MaxMessageBytes = 1024

// Summarize describes an event. It never fails: unknown types get an empty Reason.
func Summarize(e *Event) Summary {
	s := summarize(e)
	s.Message = Truncate(s.Message, MaxMessageBytes)
	return s
}

func summarize(e *Event) Summary {
	if sum, ok := summarizeSurface(e); ok {
		return withThread(e, sum)
	}
	switch e.Type {
	case "user.message":
		return Summary{Reason: ReasonUserMessage, Message: userMessage(e)}
	case "agent.message":
		return Summary{Reason: ReasonAgentMessage, Message: e.Text()}
	case "agent.tool_use":
		return withThread(e, Summary{Reason: ReasonToolUse, Message: toolCall(e.Name, e.Input, e.EvaluatedPermission)})
	case "agent.mcp_tool_use":
		return withThread(e, Summary{Reason: ReasonMCPToolUse, Message: toolCall(e.MCPServerName+"/"+e.Name, e.Input, e.EvaluatedPermission)})
	case "agent.custom_tool_use":
		return withThread(e, Summary{Reason: ReasonCustomToolUse, Message: toolCall(e.Name, e.Input, "")})
	case "agent.tool_result":
		return Summary{Reason: ReasonToolResult, Warning: e.IsError, Message: toolResult(e.ToolUseID, e)}
	case "agent.mcp_tool_result":
		return Summary{Reason: ReasonMCPToolResult, Warning: e.IsError, Message: toolResult(e.MCPToolUseID, e)}
	case "user.custom_tool_result":
		return Summary{Reason: ReasonCustomToolResult, Message: toolResult(e.CustomToolUseID, e)}
	case "user.tool_confirmation":
		msg := fmt.Sprintf("%s %s", e.Result, e.ToolUseID)
		if e.DenyMessage != "" {
			msg += ": " + e.DenyMessage
		}
		return withThread(e, Summary{Reason: ReasonToolConfirmation, Message: msg})
	case "user.interrupt":
		return Summary{Reason: ReasonInterrupt, Message: "interrupt requested"}
	case "session.status_running":
		return Summary{Reason: ReasonRunning, Message: "agent is running"}
	case "session.status_rescheduled":
		return Summary{Reason: ReasonRescheduled, Message: "platform is retrying after a transient error"}
	case "session.status_idle":
		return idleSummary(e)
	case "session.error":
		return errorSummary(e)
	case "session.status_terminated":
		return Summary{Reason: ReasonTerminated, Warning: true, Message: "session terminated"}
	case "session.deleted":
		return Summary{Reason: ReasonDeleted, Warning: true, Message: "session deleted"}
	}
	return Summary{}
}

// userMessage is a user message's text after what was attached to it, counted by kind ("[1 image,
// 2 documents] text"): first, as the API sends the blocks, and so that truncating a long text keeps
// it. Never the attachments' data or source, which Event does not even decode.
func userMessage(e *Event) string {
	var images, documents int
	for _, c := range e.Content {
		switch c.Type {
		case "image":
			images++
		case "document":
			documents++
		}
	}
	var kinds []string
	for _, k := range []struct {
		n    int
		name string
	}{{images, "image"}, {documents, "document"}} {
		switch {
		case k.n == 1:
			kinds = append(kinds, "1 "+k.name)
		case k.n > 1:
			kinds = append(kinds, fmt.Sprintf("%d %ss", k.n, k.name))
		}
	}
	if len(kinds) == 0 {
		return e.Text()
	}
	return strings.TrimSpace("[" + strings.Join(kinds, ", ") + "] " + e.Text())
}

func toolCall(name string, input []byte, permission string) string {
	msg := name
	if len(input) > 0 && string(input) != "null" {
		msg += " " + string(input)
	}
	if permission == "ask" {
		msg += " (needs confirmation)"
	}
	return msg
}

func toolResult(id string, e *Event) string {
	status := "ok"
	if e.IsError {
		status = "error"
	}
	msg := fmt.Sprintf("%s %s", id, status)
	if text := e.Text(); text != "" {
		msg += ": " + text
	}
	return msg
}

func idleSummary(e *Event) Summary {
	reason := ""
	if e.StopReason != nil {
		reason = e.StopReason.Type
	}
	switch reason {
	case StopRequiresAction:
		return Summary{Reason: ReasonActionRequired, Message: "waiting for an answer to " + strings.Join(e.StopReason.EventIDs, ", ")}
	case StopRefusal:
		msg := "the model refused"
		if d := e.StopDetails; d != nil && (d.Category != "" || d.Explanation != "") {
			msg += fmt.Sprintf(" (%s) %s", d.Category, d.Explanation)
		}
		return Summary{Reason: ReasonRefusal, Warning: true, Message: strings.TrimSpace(msg)}
	case StopBudgetReached:
		return Summary{Reason: ReasonBudgetReached, Warning: true, Message: "the session's budget is used up; raise spec.budget to continue"}
	case StopRetriesExhausted:
		return Summary{Reason: ReasonRetriesExhausted, Warning: true, Message: "the turn failed after repeated errors"}
	}
	return Summary{Reason: ReasonTurnEnded, Message: "turn ended (" + reason + ")"}
}

func errorSummary(e *Event) Summary {
	if e.Error == nil {
		return Summary{Reason: ReasonSessionError, Warning: true, Message: "unknown error"}
	}
	return Summary{Reason: ReasonSessionError, Warning: true,
		Message: fmt.Sprintf("%s (%s): %s", e.Error.Type, e.Error.RetryStatus.Type, e.Error.Message)}
}

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		if utf8.ValidString(s) {
			return s
		}
		return strings.ToValidUTF8(s, "")
	}
	const mark = "…"
	cut := max(n-len(mark), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + mark
}
