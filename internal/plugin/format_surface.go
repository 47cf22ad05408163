// SPDX-License-Identifier: Apache-2.0

package plugin

import "github.com/anthropics/managed-agents-operator/internal/sessionevents"

// surfaceLooks are the labels of sub-agent threads, outcomes, workflow runs, session updates and
// policy denials in `kubectl claude logs`.
var surfaceLooks = map[string]look{
	sessionevents.ReasonToolDenied:         {label: "denied", codes: []string{styleRed}, tool: true},
	sessionevents.ReasonThreadCreated:      {label: "thread", codes: []string{styleBlue}},
	sessionevents.ReasonThreadRunning:      {label: "thread", codes: []string{styleDim}},
	sessionevents.ReasonThreadIdle:         {label: "thread", codes: []string{styleDim}},
	sessionevents.ReasonThreadActionNeeded: {label: "action", codes: []string{styleBold, styleMagenta}},
	sessionevents.ReasonThreadRescheduled:  {label: "thread", codes: []string{styleYellow}},
	sessionevents.ReasonThreadTerminated:   {label: "thread", codes: []string{styleDim}},
	sessionevents.ReasonThreadMessage:      {label: "subagent", codes: []string{styleGreen}},
	sessionevents.ReasonOutcomeDefined:     {label: "outcome", codes: []string{styleBold, styleCyan}},
	sessionevents.ReasonOutcomeEvaluated:   {label: "outcome", codes: []string{styleBlue}},
	sessionevents.ReasonSessionUpdated:     {label: "updated", codes: []string{styleDim}},
	sessionevents.ReasonSystemMessage:      {label: "system", codes: []string{styleCyan}},
	sessionevents.ReasonWorkflowRunCreated: {label: "workflow", codes: []string{styleBlue}},
	sessionevents.ReasonWorkflowRunEnded:   {label: "workflow", codes: []string{styleBlue}},
	sessionevents.ReasonWorkflowRunError:   {label: "workflow", codes: []string{styleRed}},
}

func init() {
	for reason, l := range surfaceLooks {
		looks[reason] = l
	}
}
