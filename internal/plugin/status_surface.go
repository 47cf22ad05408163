// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// This file renders the Outcome and Threads sections of `kubectl claude status`.

// maxExplanation bounds a verdict's explanation in the Outcome section; -o yaml has it in full.
const maxExplanation = 100

// writeOutcome writes the Outcome section: what the session works toward, the iteration, each
// verdict with a short explanation and the result. It is absent without an outcome.
func writeOutcome(b *strings.Builder, sess *v1alpha1.Session, styler Styler) {
	o, met := sess.Status.Outcome, conditionView(sess.Status.Conditions, v1alpha1.ConditionOutcomeMet)
	if o == nil && met == nil && sess.Spec.Outcome == nil {
		return
	}
	if o == nil {
		o = &v1alpha1.SessionOutcomeStatus{}
	}
	desc := o.Description
	if desc == "" && sess.Spec.Outcome != nil {
		desc = sess.Spec.Outcome.Description // not in the session's history yet
	}
	b.WriteString("Outcome:\n")
	f := fieldWriter{b: b, indent: "  ", width: labelColumn}
	f.field("Description", oneLine(Truncate(desc, 200)))
	f.field("Iteration", iterationLine(o))
	if len(o.Evaluations) > 0 {
		b.WriteString("  Verdicts:\n")
		writeVerdicts(b, o)
	}
	f.field("Result", outcomeResult(o, met, styler))
}

// iterationLine is "n/max" (1-based, as people count) for the newest iteration, or "" before the
// first evaluation.
func iterationLine(o *v1alpha1.SessionOutcomeStatus) string {
	n := int64(0)
	if k := len(o.Evaluations); k > 0 {
		n = o.Evaluations[k-1].Iteration + 1
	}
	if o.Evaluating {
		return ofMax(n+1, o.MaxIterations) + " (the grader is evaluating it)"
	}
	if n == 0 {
		return ""
	}
	return ofMax(n, o.MaxIterations)
}

// ofMax renders an iteration as "n/max", or "n" when the cap is unknown.
func ofMax(n, maxIterations int64) string {
	if maxIterations <= 0 {
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%d/%d", n, maxIterations)
}

// writeVerdicts writes one aligned line per evaluation: iteration, verdict and explanation.
func writeVerdicts(b *strings.Builder, o *v1alpha1.SessionOutcomeStatus) {
	iterW, resultW := 0, 0
	for _, e := range o.Evaluations {
		iterW = max(iterW, len(ofMax(e.Iteration+1, o.MaxIterations)))
		resultW = max(resultW, utf8.RuneCountInString(e.Result))
	}
	for _, e := range o.Evaluations {
		line := "    " + pad(ofMax(e.Iteration+1, o.MaxIterations), iterW) + "  " + pad(e.Result, resultW) + "  " +
			Truncate(oneLine(sanitize(e.Explanation)), maxExplanation)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
}

// outcomeResult is the newest verdict with the OutcomeMet condition, colored by whether it is met.
// The condition's message is shown only before any verdict: after one it repeats the lines above.
func outcomeResult(o *v1alpha1.SessionOutcomeStatus, met *ConditionView, styler Styler) string {
	result := o.Result
	if result == "" {
		result = "none yet"
	}
	code := styleBlue
	switch {
	case met != nil && met.Status == metav1.ConditionTrue:
		code = styleGreen
	case o.Result != "" && o.Result != "needs_revision" && !o.Evaluating:
		code = styleRed
	}
	if met != nil {
		detail := "OutcomeMet " + string(met.Status)
		if met.Reason != "" {
			detail += ", " + met.Reason
		}
		if o.Result == "" && !o.Evaluating && met.Message != "" {
			detail += ": " + oneLine(met.Message)
		}
		result += " (" + detail + ")"
	}
	return styler.Style(result, code)
}

// writeThreads writes the Threads section: each sub-agent thread with its agent and state, and
// under it each of its pending actions with the command that answers it. It is absent without threads.
func writeThreads(b *strings.Builder, sess *v1alpha1.Session, styler Styler) {
	threads := sess.Status.Threads
	if len(threads) == 0 {
		return
	}
	details := make(map[string]v1alpha1.PendingAction, len(sess.Status.PendingActions))
	for _, p := range sess.Status.PendingActions {
		details[p.EventID] = p
	}
	idW, agentW := 0, 0
	for _, t := range threads {
		idW, agentW = max(idW, utf8.RuneCountInString(t.ID)), max(agentW, utf8.RuneCountInString(orNone(t.AgentName)))
	}
	b.WriteString("Threads:\n")
	for _, t := range threads {
		fmt.Fprintf(b, "  %s  %s  %s\n", pad(t.ID, idW), pad(orNone(t.AgentName), agentW), threadState(t))
		for _, id := range t.PendingActions {
			hint := fmt.Sprintf("%[1]s waits for an answer: kubectl claude approve|deny %[2]s %[1]s, or kubectl claude tool-result %[2]s %[1]s --text TEXT",
				id, sess.Name)
			if p, ok := details[id]; ok {
				hint = pendingHint(sess.Name, p)
			}
			b.WriteString("    " + styler.Style(hint, styleMagenta) + "\n")
		}
	}
}

// threadState is a thread's status, stop reason and the workflow run that started it.
func threadState(t v1alpha1.SessionThread) string {
	s := t.Status
	if s == "" {
		s = "unknown"
	}
	if t.StopReason != "" {
		s += " (" + t.StopReason + ")"
	}
	if t.WorkflowRunID != "" {
		s += ", workflow run " + t.WorkflowRunID
	}
	return s
}

// threadActions are the ids of the pending actions the Threads section lists under their thread.
func threadActions(sess *v1alpha1.Session) map[string]bool {
	ids := map[string]bool{}
	for _, t := range sess.Status.Threads {
		for _, id := range t.PendingActions {
			ids[id] = true
		}
	}
	return ids
}
