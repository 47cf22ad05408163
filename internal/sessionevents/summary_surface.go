// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"strings"
)

// Kubernetes Event reasons of threads, outcomes, workflow runs and session updates.
const (
	ReasonToolDenied          = "ToolDenied"
	ReasonThreadCreated       = "ThreadCreated"
	ReasonThreadRunning       = "ThreadRunning"
	ReasonThreadIdle          = "ThreadIdle"
	ReasonThreadActionNeeded  = "ThreadActionRequired"
	ReasonThreadRescheduled   = "ThreadRescheduled"
	ReasonThreadTerminated    = "ThreadTerminated"
	ReasonThreadMessage       = "ThreadMessage"
	ReasonOutcomeDefined      = "OutcomeDefined"
	ReasonOutcomeEvaluated    = "OutcomeEvaluated"
	ReasonSessionUpdated      = "SessionUpdated"
	ReasonSystemMessage       = "SystemMessage"
	ReasonWorkflowRunCreated  = "WorkflowRunCreated"
	ReasonWorkflowRunEnded    = "WorkflowRunEnded"
	ReasonWorkflowRunError    = "WorkflowRunError"
	TypeSystemMessage         = "system.message"
	workflowRunResultFailures = "error"
)

// summarizeSurface describes the event types of threads, outcomes, workflow runs and session
// updates, and tool uses that a policy denied. ok is false for every other event.
func summarizeSurface(e *Event) (Summary, bool) {
	switch e.Type {
	case TypeAgentToolUse, TypeAgentMCPToolUse:
		if e.EvaluatedPermission != PermissionDeny {
			return Summary{}, false
		}
		return Summary{Reason: ReasonToolDenied, Warning: true, Message: deniedCall(e)}, true
	case TypeThreadCreated, TypeThreadStatusRunning, TypeThreadStatusIdle, TypeThreadStatusRescheduled, TypeThreadStatusTerminated:
		return threadSummary(e), true
	case TypeThreadMessageSent:
		return Summary{Reason: ReasonThreadMessage, Message: "to " + threadName(e.ToAgentName, e.ToSessionThreadID) + ": " + e.Text()}, true
	case TypeThreadMessageReceived:
		return Summary{Reason: ReasonThreadMessage, Message: "from " + threadName(e.FromAgentName, e.FromSessionThreadID) + ": " + e.Text()}, true
	case TypeUserDefineOutcome:
		return Summary{Reason: ReasonOutcomeDefined, Message: fmt.Sprintf("outcome %s (at most %d iterations): %s", e.OutcomeID, e.MaxIterations, e.Description)}, true
	case TypeOutcomeEvaluationEnd:
		return outcomeSummary(e), true
	case TypeSessionUpdated:
		return Summary{Reason: ReasonSessionUpdated, Message: "remote session changed: " + updatedFields(e)}, true
	case TypeSystemMessage:
		return Summary{Reason: ReasonSystemMessage, Message: e.Text()}, true
	}
	return workflowSummary(e)
}

func deniedCall(e *Event) string {
	name := e.Name
	if e.MCPServerName != "" {
		name = e.MCPServerName + "/" + e.Name
	}
	msg := name + " denied by the agent's permission policy"
	if ev := e.Evaluation; ev != nil && ev.EvaluatedPermission != nil && ev.EvaluatedPermission.ReasonCode != "" {
		msg += " (" + ev.EvaluatedPermission.ReasonCode + ")"
	}
	return msg
}

// threadName names a thread by its agent and id, so Events say which sub-agent acted.
func threadName(agent, id string) string {
	switch {
	case agent == "":
		return "thread " + id
	case id == "":
		return agent
	}
	return agent + " (" + id + ")"
}

func threadSummary(e *Event) Summary {
	who := "sub-agent " + threadName(e.AgentName, e.SessionThreadID)
	switch e.Type {
	case TypeThreadCreated:
		return Summary{Reason: ReasonThreadCreated, Message: who + " started"}
	case TypeThreadStatusRunning:
		return Summary{Reason: ReasonThreadRunning, Message: who + " is running"}
	case TypeThreadStatusRescheduled:
		return Summary{Reason: ReasonThreadRescheduled, Message: who + ": the platform is retrying after a transient error"}
	case TypeThreadStatusTerminated:
		return Summary{Reason: ReasonThreadTerminated, Message: who + " terminated"}
	}
	reason := ""
	if e.StopReason != nil {
		reason = e.StopReason.Type
	}
	switch reason {
	case StopRequiresAction:
		return Summary{Reason: ReasonThreadActionNeeded, Message: who + " waits for an answer to " + strings.Join(e.StopReason.EventIDs, ", ")}
	case StopEndTurn, "":
		return Summary{Reason: ReasonThreadIdle, Message: who + " finished its turn"}
	}
	return Summary{Reason: ReasonThreadIdle, Warning: true, Message: who + " stopped: " + reason}
}

func outcomeSummary(e *Event) Summary {
	result := string(e.Result)
	msg := fmt.Sprintf("outcome %s iteration %d: %s", e.OutcomeID, e.Iteration, result)
	if e.Explanation != "" {
		msg += ": " + e.Explanation
	}
	warn := result != OutcomeSatisfied && result != OutcomeNeedsRevision
	return Summary{Reason: ReasonOutcomeEvaluated, Warning: warn, Message: msg}
}

func updatedFields(e *Event) string {
	var fields []string
	for _, f := range []struct {
		name    string
		changed bool
	}{{"title", e.Title != nil}, {"metadata", e.Metadata != nil}, {"budget", len(e.Budget) > 0}, {"agent", len(e.Agent) > 0 && string(e.Agent) != "null"}} {
		if f.changed {
			fields = append(fields, f.name)
		}
	}
	if len(fields) == 0 {
		return "metadata cleared"
	}
	return strings.Join(fields, ", ")
}

func workflowSummary(e *Event) (Summary, bool) {
	switch e.Type {
	case TypeWorkflowRunCreated:
		return Summary{Reason: ReasonWorkflowRunCreated, Message: fmt.Sprintf("workflow run %s (%s) created: %s", e.WorkflowRunID, e.Name, e.Description)}, true
	case TypeWorkflowRunStatusEnded:
		result := string(e.Result)
		return Summary{Reason: ReasonWorkflowRunEnded, Warning: result == workflowRunResultFailures,
			Message: fmt.Sprintf("workflow run %s ended: %s", e.WorkflowRunID, result)}, true
	case TypeWorkflowRunError:
		msg := fmt.Sprintf("workflow run %s failed", e.WorkflowRunID)
		if e.Error != nil {
			msg += fmt.Sprintf(": %s: %s", e.Error.Type, e.Error.Message)
		}
		return Summary{Reason: ReasonWorkflowRunError, Warning: true, Message: msg}, true
	}
	return Summary{}, false
}

// withThread prefixes the summary of an event cross-posted from a sub-agent's thread (a tool use,
// or the answer the API routed to it) with the thread, so its Kubernetes Event names the thread.
// Thread status events name it already.
func withThread(e *Event, sum Summary) Summary {
	if e.SessionThreadID == "" || sum.Reason == "" || strings.HasPrefix(e.Type, "session.thread_") {
		return sum
	}
	sum.Message = "[thread " + e.SessionThreadID + "] " + sum.Message
	return sum
}
