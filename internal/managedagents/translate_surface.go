// SPDX-License-Identifier: Apache-2.0

package managedagents

import (
	"github.com/anthropics/anthropic-sdk-go/v2"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// ThreadInterruptEvent interrupts one sub-agent thread; the rest of the session goes on.
func ThreadInterruptEvent(threadID string) anthropic.BetaManagedAgentsEventParamsUnion {
	e := &anthropic.BetaManagedAgentsUserInterruptEventParams{}
	if threadID != "" {
		e.SessionThreadID = anthropic.String(threadID)
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserInterrupt: e}
}

// DefineOutcomeEvent is spec.outcome as a user.define_outcome event.
func DefineOutcomeEvent(o *v1alpha1.SessionOutcome) anthropic.BetaManagedAgentsEventParamsUnion {
	e := &anthropic.BetaManagedAgentsUserDefineOutcomeEventParams{Description: o.Description}
	if o.RubricFileID != "" {
		e.Rubric.OfFile = &anthropic.BetaManagedAgentsFileRubricParams{FileID: o.RubricFileID}
	} else {
		e.Rubric.OfText = &anthropic.BetaManagedAgentsTextRubricParams{Content: o.Rubric}
	}
	if o.MaxIterations != nil {
		e.MaxIterations = anthropic.Int(*o.MaxIterations)
	}
	return anthropic.BetaManagedAgentsEventParamsUnion{OfUserDefineOutcome: e}
}
