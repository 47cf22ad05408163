// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// Annotations the operator puts on the Kubernetes Events it writes for session events.
const (
	AnnotationEventID       = "claude.anthropic.com/event-id"
	AnnotationEventType     = "claude.anthropic.com/event-type"
	AnnotationEventSequence = "claude.anthropic.com/sequence"
)

// Entry is one line of a session's conversation: a session event, a lifecycle change, or a
// summary taken from status when the Event itself has expired.
type Entry struct {
	// Key identifies the entry so that a follower prints it once.
	Key string
	// Time the platform processed the event, or when the operator recorded the change.
	Time time.Time
	// Seq is the 1-based position in the session's history; 0 for entries without one.
	Seq int64
	// Reason is the Kubernetes Event reason, for example AgentMessage or Succeeded.
	Reason string
	// Text is what happened.
	Text string
	// Lifecycle marks an operator lifecycle change (launch, finish, interrupt sent, sync errors).
	Lifecycle bool
	// Warning marks errors, refusals and failed phases.
	Warning bool
}

// FromEvent turns a Kubernetes Event about a Session into an Entry. Events carrying the operator's
// sequence annotation are session events; the others are lifecycle changes.
func FromEvent(ev *corev1.Event) Entry {
	e := Entry{
		Key:     eventKey(ev),
		Time:    eventTime(ev),
		Reason:  ev.Reason,
		Text:    ev.Message,
		Warning: ev.Type == corev1.EventTypeWarning,
	}
	seq, err := strconv.ParseInt(ev.Annotations[AnnotationEventSequence], 10, 64)
	if err == nil && seq > 0 {
		e.Seq = seq
	} else {
		e.Lifecycle = true
	}
	return e
}

// eventKey is the session event id, or for lifecycle Events the Event's identity plus its count:
// a repeated lifecycle change updates the same Event, and each repeat is worth a line.
func eventKey(ev *corev1.Event) string {
	if id := ev.Annotations[AnnotationEventID]; id != "" {
		return id
	}
	id := string(ev.UID)
	if id == "" {
		id = ev.Namespace + "/" + ev.Name
	}
	count := ev.Count
	if ev.Series != nil {
		count = ev.Series.Count
	}
	return id + "#" + strconv.FormatInt(int64(max(count, 1)), 10)
}

// eventTime is the best timestamp an Event carries: a series' last occurrence, the event time, or
// the legacy timestamps.
func eventTime(ev *corev1.Event) time.Time {
	switch {
	case ev.Series != nil && !ev.Series.LastObservedTime.IsZero():
		return ev.Series.LastObservedTime.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	}
	return ev.CreationTimestamp.Time
}

// reasonForType maps session event types to the reasons the operator gives their Events, for
// summaries read from status.recentEvents.
var reasonForType = map[string]string{
	"user.message":               sessionevents.ReasonUserMessage,
	"agent.message":              sessionevents.ReasonAgentMessage,
	"agent.tool_use":             sessionevents.ReasonToolUse,
	"agent.mcp_tool_use":         sessionevents.ReasonMCPToolUse,
	"agent.custom_tool_use":      sessionevents.ReasonCustomToolUse,
	"agent.tool_result":          sessionevents.ReasonToolResult,
	"agent.mcp_tool_result":      sessionevents.ReasonMCPToolResult,
	"user.custom_tool_result":    sessionevents.ReasonCustomToolResult,
	"user.tool_confirmation":     sessionevents.ReasonToolConfirmation,
	"user.interrupt":             sessionevents.ReasonInterrupt,
	"session.status_running":     sessionevents.ReasonRunning,
	"session.status_rescheduled": sessionevents.ReasonRescheduled,
	"session.status_idle":        sessionevents.ReasonTurnEnded,
	"session.error":              sessionevents.ReasonSessionError,
	"session.status_terminated":  sessionevents.ReasonTerminated,
	"session.deleted":            sessionevents.ReasonDeleted,
}

// FromRecent turns a status.recentEvents summary into an Entry. It has no sequence: the
// summaries stand in for Events that expired (kube-apiserver keeps Events for an hour by default).
func FromRecent(r *v1alpha1.EventSummary) Entry {
	reason := reasonForType[r.Type]
	switch reason {
	case "":
		reason = r.Type
	case sessionevents.ReasonTurnEnded:
		reason = idleReason(r.Summary)
	}
	e := Entry{Key: r.ID, Reason: reason, Text: r.Summary, Warning: isWarningReason(reason)}
	if r.Time != nil {
		e.Time = r.Time.Time
	}
	return e
}

// isWarningReason reports whether a session event reason is bad news.
func isWarningReason(reason string) bool {
	switch reason {
	case sessionevents.ReasonSessionError, sessionevents.ReasonRefusal, sessionevents.ReasonBudgetReached,
		sessionevents.ReasonRetriesExhausted, sessionevents.ReasonTerminated, sessionevents.ReasonDeleted:
		return true
	}
	return false
}

// idleReason recovers the reason of a session.status_idle summary from its text, which the operator
// words differently for each stop reason.
func idleReason(summary string) string {
	for prefix, reason := range map[string]string{
		"waiting for an answer":           sessionevents.ReasonActionRequired,
		"the model refused":               sessionevents.ReasonRefusal,
		"the session's budget is used up": sessionevents.ReasonBudgetReached,
		"the turn failed after":           sessionevents.ReasonRetriesExhausted,
	} {
		if strings.HasPrefix(summary, prefix) {
			return reason
		}
	}
	return sessionevents.ReasonTurnEnded
}
