// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"encoding/json"
	"time"
)

// Bounds that keep the folded state, and the status built from it, small whatever the session does.
const (
	MaxRecent         = 20
	MaxPending        = 20
	MaxLastMessage    = 4096
	MaxPendingInput   = 1024
	MaxErrorMessage   = 1024
	MaxTrackedToolUse = 256
)

// Remote session statuses, as the API names them.
const (
	StatusIdle         = "idle"
	StatusRunning      = "running"
	StatusRescheduling = "rescheduling"
	StatusTerminated   = "terminated"
)

// Recent is a summarized event for status.recentEvents.
type Recent struct {
	ID      string
	Type    string
	Reason  string
	Time    time.Time
	Summary string
}

// ToolCall is a tool use that may need an answer.
type ToolCall struct {
	EventID string
	Name    string
	Input   string
	// Custom is true for agent.custom_tool_use (answered with a result), false for tool uses that
	// need a confirmation.
	Custom bool
	// ThreadID is the sub-agent thread that made the call; empty for the primary thread.
	ThreadID string
}

// ErrorInfo is the newest session.error.
type ErrorInfo struct {
	EventID     string
	Type        string
	Message     string
	RetryStatus string
	Time        time.Time
}

// State is a session's event history folded into what its status shows. Apply events in history
// order; applying the same history always gives the same State.
type State struct {
	// Count is the number of events applied; LastEventID the newest one's id.
	Count       int64
	LastEventID string

	// Status is the remote status implied by the newest status event; empty before the first.
	Status      string
	StopReason  string
	StopDetails *StopDetails

	// LastInputSeq is the sequence of the newest user message, confirmation or tool result, and
	// LastIdleSeq of the newest idle: the agent's turn is over only when the idle came after the input.
	LastInputSeq int64
	LastIdleSeq  int64
	// Interrupts counts user.interrupt events, so an interrupt is sent exactly once even when its
	// response was lost; LastInterruptSeq is the newest one's sequence.
	Interrupts       int
	LastInterruptSeq int64

	// UserMessages counts user.message events, so a follow-up message is sent exactly once even when
	// the operator crashed between the send and the status write.
	UserMessages int
	// Answered holds the tool use ids that a confirmation or result already answered.
	Answered map[string]bool
	// Pending lists the tool calls the session waits for, in the order the API asked.
	Pending []ToolCall

	Recent           []Recent
	LastAgentMessage string
	LastError        *ErrorInfo
	Usage            *Usage

	// Threads are the session's sub-agent threads (threads.go), at most MaxThreads.
	Threads []Thread
	// Outcome is the newest outcome defined and its evaluations (outcome.go).
	Outcome *Outcome
	// WorkflowRuns, Speeds, BudgetMinorUSD and Updated fold the rest of the surface (surface.go):
	// workflow runs, model request usage by speed, the budget in minor units (empty without one),
	// and session.updated events.
	WorkflowRuns   []WorkflowRun
	Speeds         []SpeedUsage
	BudgetMinorUSD string
	Updated        *RemoteUpdate

	// calls remembers recent tool uses that may become pending, by id.
	calls     map[string]ToolCall
	callOrder []string
}

// Apply folds one event into the state and returns the summary it computed.
func (s *State) Apply(e *Event) Summary {
	sum := Summarize(e)
	s.ApplySummarized(e, sum)
	return sum
}

// ApplySummarized folds one event whose summary the caller computed already (the stream writes the
// event's Kubernetes Event from it before folding), so no event is summarized twice.
func (s *State) ApplySummarized(e *Event, sum Summary) {
	s.Count++
	if e.ID != "" {
		s.LastEventID = e.ID
	}
	s.track(e)
	if sum.Reason != "" {
		s.Recent = append(s.Recent, Recent{ID: e.ID, Type: e.Type, Reason: sum.Reason, Time: e.Time(), Summary: Truncate(sum.Message, 256)})
		if len(s.Recent) > MaxRecent {
			s.Recent = s.Recent[len(s.Recent)-MaxRecent:]
		}
	}
}

// track updates the fields that depend on the event's type.
func (s *State) track(e *Event) {
	switch e.Type {
	case TypeUserMessage:
		s.UserMessages++
		s.LastInputSeq = s.Count
	case TypeUserInterrupt:
		s.Interrupts++
		if e.SessionThreadID == "" { // one sub-agent's interrupt does not end the session's turn
			s.LastInterruptSeq = s.Count
		}
	case TypeAgentMessage:
		s.LastAgentMessage = Truncate(e.Text(), MaxLastMessage)
	case TypeAgentToolUse, TypeAgentMCPToolUse, TypeAgentCustomToolUse:
		s.rememberCall(e)
	case TypeUserToolConfirmation:
		s.answer(e.ToolUseID)
		s.LastInputSeq = s.Count
	case TypeUserCustomToolResult:
		s.answer(e.CustomToolUseID)
		s.LastInputSeq = s.Count
	case TypeStatusRunning:
		s.setStatus(StatusRunning, "", nil)
		s.Pending = nil
		s.recovered()
	case TypeStatusRescheduled:
		s.setStatus(StatusRescheduling, "", nil)
	case TypeStatusIdle:
		s.idle(e)
	case TypeStatusTerminated, TypeSessionDeleted:
		s.setStatus(StatusTerminated, s.StopReason, s.StopDetails)
		s.Pending = nil
		s.clearThreadPending()
	case TypeSessionError:
		s.recordError(e)
	case TypeSessionUsage:
		if e.Usage != nil {
			u := *e.Usage
			s.Usage = &u
		}
		if limit, present := e.budget(); present {
			s.setBudget(limit)
		}
	default:
		s.trackThread(e)
		s.trackOutcome(e)
		s.trackSurface(e)
	}
}

func (s *State) setStatus(status, stopReason string, details *StopDetails) {
	s.Status, s.StopReason, s.StopDetails = status, stopReason, details
}

func (s *State) idle(e *Event) {
	reason := ""
	var ids []string
	if e.StopReason != nil {
		reason, ids = e.StopReason.Type, e.StopReason.EventIDs
	}
	s.setStatus(StatusIdle, reason, e.StopDetails)
	s.LastIdleSeq = s.Count
	s.Pending = nil
	if reason == StopEndTurn {
		s.recovered()
	}
	if reason != StopRequiresAction {
		return
	}
	for _, id := range ids {
		if s.Answered[id] || len(s.Pending) >= MaxPending {
			continue
		}
		call, ok := s.calls[id]
		if !ok {
			call = ToolCall{EventID: id, Name: "unknown"}
		}
		s.Pending = append(s.Pending, call)
	}
}

func (s *State) rememberCall(e *Event) {
	if e.ID == "" {
		return
	}
	if s.calls == nil {
		s.calls = map[string]ToolCall{}
	}
	name := e.Name
	if e.MCPServerName != "" {
		name = e.MCPServerName + "/" + e.Name
	}
	s.calls[e.ID] = ToolCall{EventID: e.ID, Name: name, Input: Truncate(compactJSON(e.Input), MaxPendingInput),
		Custom: e.Type == TypeAgentCustomToolUse, ThreadID: e.SessionThreadID}
	s.callOrder = append(s.callOrder, e.ID)
	if len(s.callOrder) > MaxTrackedToolUse {
		delete(s.calls, s.callOrder[0])
		s.callOrder = s.callOrder[1:]
	}
}

func (s *State) answer(id string) {
	if id == "" {
		return
	}
	if s.Answered == nil {
		s.Answered = map[string]bool{}
	}
	s.Answered[id] = true
	for i, p := range s.Pending {
		if p.EventID == id {
			s.Pending = append(s.Pending[:i:i], s.Pending[i+1:]...)
			break
		}
	}
	s.answerInThreads(id)
}

func (s *State) recordError(e *Event) {
	s.LastError = errorInfo(e)
}

// errorInfo reads the error of a session.error or workflow_run.error event.
func errorInfo(e *Event) *ErrorInfo {
	info := &ErrorInfo{EventID: e.ID, Type: "unknown_error", Time: e.Time()}
	if e.Error != nil {
		info.Type, info.RetryStatus = Truncate(e.Error.Type, 128), Truncate(e.Error.RetryStatus.Type, 32)
		info.Message = Truncate(e.Error.Message, MaxErrorMessage)
	}
	return info
}

// TurnEnded reports whether the session is idle after its newest input: nothing is in progress.
func (s *State) TurnEnded() bool {
	return s.Status == StatusIdle && s.LastIdleSeq > s.LastInputSeq
}

// TurnInterrupted reports whether the newest turn ended because of an interrupt: one came after
// the newest input and before the idle that ended the turn. The API ends such a turn with
// end_turn, which must not read as the agent having finished its work.
func (s *State) TurnInterrupted() bool {
	return s.TurnEnded() && s.LastInterruptSeq > s.LastInputSeq && s.LastInterruptSeq < s.LastIdleSeq
}

// compactJSON renders a tool input on one line; invalid JSON is shown as it came.
func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
