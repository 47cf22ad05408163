// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// The Event volume policy decides which notable session events get a Kubernetes Event. Half of a
// busy session's events are notable, and each Event is a write that the API server and etcd pay
// for and every Event watcher receives (docs/performance.md). The policy changes what is written,
// never what is counted: an event without an Event still advances the count status shows and
// the point where a restarted manager resumes writing Events.

// policyFor is the Session's own policy, else the operator's default.
func (p *Pump) policyFor(sess *v1alpha1.Session) v1alpha1.EventPolicy {
	if sess.Spec.EventPolicy != "" {
		return sess.Spec.EventPolicy
	}
	return p.defaultPolicy
}

// writesEvent reports whether a session event, summarized as sum, gets a Kubernetes Event under
// the policy. Events without a reason (thinking, spans, usage) never get one.
func writesEvent(policy v1alpha1.EventPolicy, ev *sessionevents.Event, sum sessionevents.Summary) bool {
	if sum.Reason == "" {
		return false
	}
	switch policy {
	case v1alpha1.EventPolicyNone:
		return false
	case v1alpha1.EventPolicyMessages:
		return conversational(ev, sum)
	}
	return true
}

// conversational reports whether an event belongs to the Messages policy: the conversation itself
// (user and agent messages, the user's answers and interrupts), turn ends, anything that went
// wrong, and what waits for a person (tool calls that need a confirmation or a result).
func conversational(ev *sessionevents.Event, sum sessionevents.Summary) bool {
	if sum.Warning {
		return true // errors, refusals, failed tool results, terminations
	}
	switch sum.Reason {
	case sessionevents.ReasonUserMessage, sessionevents.ReasonAgentMessage,
		sessionevents.ReasonToolConfirmation, sessionevents.ReasonCustomToolResult, sessionevents.ReasonInterrupt,
		sessionevents.ReasonTurnEnded, sessionevents.ReasonActionRequired, sessionevents.ReasonCustomToolUse:
		return true
	case sessionevents.ReasonToolUse, sessionevents.ReasonMCPToolUse:
		return ev.EvaluatedPermission == "ask" // waits for a confirmation
	}
	return false
}
