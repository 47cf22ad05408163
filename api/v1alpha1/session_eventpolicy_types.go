// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import "strings"

// EventPolicy says which of a session's events become Kubernetes Events. Whatever the policy,
// status counts and summarizes every event (status.eventCount, status.recentEvents): the policy
// changes what is written to the API server, never what is counted.
// +kubebuilder:validation:Enum=All;Messages;None
type EventPolicy string

const (
	// EventPolicyAll writes an Event for every notable session event: messages, tool calls and
	// their results, status changes, errors and actions. It is the operator's default.
	EventPolicyAll EventPolicy = "All"
	// EventPolicyMessages writes Events for the conversation and what needs a person: user and agent
	// messages, the user's answers and interrupts, turn ends, errors and refusals, and tool calls that
	// wait for a confirmation or a result. Tool calls that run on their own, their results and
	// running/rescheduled changes get none.
	EventPolicyMessages EventPolicy = "Messages"
	// EventPolicyNone writes no Events for session events; the Session's own lifecycle Events
	// (launch, finish, warnings) are still written.
	EventPolicyNone EventPolicy = "None"
)

// ParseEventPolicy reads a policy case-insensitively (the manager's flag takes all, messages, none).
func ParseEventPolicy(s string) (EventPolicy, bool) {
	for _, p := range []EventPolicy{EventPolicyAll, EventPolicyMessages, EventPolicyNone} {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return "", false
}
