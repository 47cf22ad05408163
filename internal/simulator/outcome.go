// SPDX-License-Identifier: Apache-2.0

package simulator

import (
	"fmt"
	"strings"
)

// This file holds outcome evaluation. A turn started by user.define_outcome ends with the grader's
// evaluations: [[outcome:V1,V2,...]] in the outcome's description scripts the verdict of each
// iteration (satisfied when none is scripted, the last one repeated when the list runs out). After
// needs_revision the agent revises its work and the grader evaluates the next iteration, until a
// verdict other than needs_revision, or max_iterations_reached once the cap is hit.

var outcomeVerdicts = map[string]bool{"satisfied": true, "needs_revision": true, "max_iterations_reached": true, "failed": true}

// outcomeDirective ([[outcome:V1,V2,...]]) sets the verdicts of the outcome's evaluations.
func (s *Server) outcomeDirective(t *turn, d directive) flow {
	verdicts := strings.Split(d.arg, ",")
	for i, v := range verdicts {
		verdicts[i] = strings.TrimSpace(v)
		if !outcomeVerdicts[verdicts[i]] {
			return s.sayFlow(t, fmt.Sprintf("simulator: %s needs verdicts among satisfied, needs_revision, max_iterations_reached and failed", d.raw))
		}
	}
	t.outcomeVerdicts = verdicts
	return flowNext
}

// verdict is the scripted verdict of an iteration.
func (t *turn) verdict(iteration int) string {
	switch n := len(t.outcomeVerdicts); {
	case n == 0:
		return "satisfied"
	case iteration < n:
		return t.outcomeVerdicts[iteration]
	default:
		return t.outcomeVerdicts[n-1]
	}
}

// evaluateOutcome runs the grader over each iteration until it is done with the outcome.
func (s *Server) evaluateOutcome(t *turn) bool {
	maxIter := max(t.in.maxIterations, 1)
	for i := 0; ; i++ {
		verdict := t.verdict(i)
		if verdict == "needs_revision" && int64(i+1) >= maxIter {
			verdict = "max_iterations_reached"
		}
		if !s.evaluateIteration(t, int64(i), verdict) {
			return false
		}
		if verdict != "needs_revision" {
			return true
		}
		if !s.say(t, fmt.Sprintf("Revising the work for iteration %d.", i+1)) {
			return false
		}
	}
}

// evaluateIteration reports one evaluation span and records it on the session's outcome the way
// the SDK documents outcome_evaluations: evaluating while the grader scores, then the final verdict
// with completed_at, or running again on the next iteration after needs_revision.
func (s *Server) evaluateIteration(t *turn, iteration int64, verdict string) bool {
	oid := t.in.outcome["outcome_id"]
	var start string
	ok := s.step(t, func(sess *session) {
		t.in.outcome["result"], t.in.outcome["iteration"] = "evaluating", iteration
		start = s.appendEventLocked(sess, map[string]any{"type": "span.outcome_evaluation_start", "outcome_id": oid, "iteration": iteration}).id
	})
	if !ok {
		return false
	}
	if _, ok := s.emit(t, map[string]any{"type": "span.outcome_evaluation_ongoing", "outcome_id": oid, "iteration": iteration}); !ok {
		return false
	}
	explanation := fmt.Sprintf("The simulator judged iteration %d %s.", iteration, verdict)
	return s.step(t, func(sess *session) {
		t.in.outcome["explanation"] = explanation
		if verdict == "needs_revision" {
			t.in.outcome["result"], t.in.outcome["iteration"] = "running", iteration+1
		} else {
			t.in.outcome["result"], t.in.outcome["completed_at"] = verdict, stamp(s.now())
		}
		s.appendEventLocked(sess, map[string]any{
			"type": "span.outcome_evaluation_end", "outcome_evaluation_start_id": start, "outcome_id": oid,
			"iteration": iteration, "result": verdict, "explanation": explanation,
			"usage": map[string]any{"input_tokens": int64(300), "output_tokens": int64(40),
				"cache_creation_input_tokens": int64(0), "cache_read_input_tokens": int64(0)},
		})
	})
}
