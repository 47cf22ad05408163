// SPDX-License-Identifier: Apache-2.0

package simulator_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/anthropics/managed-agents-operator/internal/simulator"
)

// TestOutcomeEvaluationStates proves the session's outcome_evaluations entry goes through the
// states the SDK documents: pending, running while the agent works, evaluating while the grader
// scores, running on the next iteration after needs_revision (never needs_revision itself, which is
// a verdict of the evaluation event, not a state), and the final verdict with completed_at.
func TestOutcomeEvaluationStates(t *testing.T) {
	h := newHarness(t, simulator.Options{StepDelay: 20 * time.Millisecond})
	ctx := testCtx(t)
	s := h.session(ctx, anthropic.BetaSessionNewParams{})
	h.send(ctx, s.ID, anthropic.BetaManagedAgentsEventParamsUnion{OfUserDefineOutcome: &anthropic.BetaManagedAgentsUserDefineOutcomeEventParams{
		Description: "[[outcome:needs_revision,satisfied]] ship it",
		Rubric:      anthropic.BetaManagedAgentsUserDefineOutcomeEventParamsRubricUnion{OfText: &anthropic.BetaManagedAgentsTextRubricParams{Content: "tests pass"}}}})
	var seen []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		got, err := h.client.Beta.Sessions.Get(ctx, s.ID, anthropic.BetaSessionGetParams{})
		if err != nil || len(got.OutcomeEvaluations) != 1 {
			t.Fatalf("session %v (%v)", got, err)
		}
		o := got.OutcomeEvaluations[0]
		state := fmt.Sprintf("%s/%d", o.Result, o.Iteration)
		if len(seen) == 0 || seen[len(seen)-1] != state {
			seen = append(seen, state)
		}
		if o.Result == "satisfied" {
			if o.CompletedAt.IsZero() || o.Explanation == "" {
				t.Errorf("final entry %s", o.RawJSON())
			}
			break
		}
		if !o.CompletedAt.IsZero() {
			t.Errorf("completed_at set while %s", state)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, want := range []string{"running/0", "evaluating/0", "running/1", "evaluating/1", "satisfied/1"} {
		if !slices.Contains(seen, want) {
			t.Errorf("states %v lack %s", seen, want)
		}
	}
	if slices.ContainsFunc(seen, func(s string) bool { return s == "needs_revision/0" }) {
		t.Errorf("states %v show needs_revision as a state", seen)
	}
}
