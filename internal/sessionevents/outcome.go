// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"
)

// Outcome event types: the user defines what done means, and a grader evaluates each iteration of
// the agent's work against it.
const (
	TypeUserDefineOutcome        = "user.define_outcome"
	TypeOutcomeEvaluationStart   = "span.outcome_evaluation_start"
	TypeOutcomeEvaluationOngoing = "span.outcome_evaluation_ongoing"
	TypeOutcomeEvaluationEnd     = "span.outcome_evaluation_end"
)

// Verdicts of span.outcome_evaluation_end, as the API names them.
const (
	OutcomeSatisfied            = "satisfied"
	OutcomeNeedsRevision        = "needs_revision"
	OutcomeMaxIterationsReached = "max_iterations_reached"
	OutcomeFailed               = "failed"
	OutcomeInterrupted          = "interrupted"
)

// Bounds of the outcome's texts and evaluations; the API allows at most 20 iterations.
const (
	MaxOutcomeEvaluations       = 20
	MaxOutcomeExplanation       = 1024
	MaxOutcomeDescription       = 1024
	defaultOutcomeMaxIterations = 3
)

// Outcome is the newest outcome defined for the session and how its evaluations went.
type Outcome struct {
	ID          string
	Description string
	// MaxIterations is the cap the API applies (3 when the definition left it out).
	MaxIterations int64
	// RubricText and RubricFileID are the rubric as defined (one of them).
	RubricText   string
	RubricFileID string
	// Defined counts user.define_outcome events; Digest identifies the newest definition in full
	// (see OutcomeDigest), so a definition is sent exactly once.
	Defined int
	Digest  string
	// Evaluating says an evaluation started and has not ended; Iteration is its iteration.
	Evaluating bool
	Iteration  int64
	// Evaluations are the ended evaluations of this outcome, by iteration.
	Evaluations []Evaluation
}

// Evaluation is one iteration's verdict.
type Evaluation struct {
	Iteration   int64
	Result      string
	Explanation string
	Time        time.Time
}

// Result is the newest verdict, empty before the first evaluation ended.
func (o *Outcome) Result() string {
	if o == nil || len(o.Evaluations) == 0 {
		return ""
	}
	return o.Evaluations[len(o.Evaluations)-1].Result
}

// Final says the evaluations are over: every verdict but needs_revision ends them.
func (o *Outcome) Final() bool {
	r := o.Result()
	return r != "" && r != OutcomeNeedsRevision && !o.Evaluating
}

// trackOutcome folds outcome events. The Outcome is replaced, never changed in place, so a
// shallow copy of the State stays consistent.
func (s *State) trackOutcome(e *Event) {
	switch e.Type {
	case TypeUserDefineOutcome:
		s.defineOutcome(e)
		s.LastInputSeq = s.Count // it starts the agent's work like a message does
	case TypeOutcomeEvaluationStart, TypeOutcomeEvaluationOngoing:
		s.changeOutcome(e.OutcomeID, func(o *Outcome) { o.Evaluating, o.Iteration = true, e.Iteration })
	case TypeOutcomeEvaluationEnd:
		s.changeOutcome(e.OutcomeID, func(o *Outcome) { o.endEvaluation(e) })
	}
}

func (s *State) defineOutcome(e *Event) {
	o := &Outcome{ID: e.OutcomeID, Description: Truncate(e.Description, MaxOutcomeDescription), MaxIterations: e.MaxIterations}
	if o.MaxIterations == 0 {
		o.MaxIterations = defaultOutcomeMaxIterations
	}
	if r := e.Rubric; r != nil {
		o.RubricText, o.RubricFileID = Truncate(r.Content, MaxOutcomeDescription), r.FileID
		o.Digest = OutcomeDigest(e.Description, r.Content, r.FileID, o.MaxIterations)
	}
	if s.Outcome != nil {
		o.Defined = s.Outcome.Defined
	}
	o.Defined++
	s.Outcome = o
}

// changeOutcome applies a change to the current outcome. An evaluation of an older outcome (the
// user redefined it meanwhile) changes nothing.
func (s *State) changeOutcome(id string, change func(*Outcome)) {
	if s.Outcome == nil {
		s.Outcome = &Outcome{ID: id, MaxIterations: defaultOutcomeMaxIterations}
	}
	if id != "" && s.Outcome.ID != "" && id != s.Outcome.ID {
		return
	}
	o := *s.Outcome
	o.Evaluations = slices.Clone(o.Evaluations)
	if o.ID == "" {
		o.ID = id
	}
	change(&o)
	s.Outcome = &o
}

// endEvaluation records a verdict; a repeated end of the same iteration replaces the earlier one.
func (o *Outcome) endEvaluation(e *Event) {
	o.Evaluating = false
	o.Iteration = e.Iteration
	ev := Evaluation{Iteration: e.Iteration, Result: Truncate(string(e.Result), 64), Explanation: Truncate(e.Explanation, MaxOutcomeExplanation), Time: e.Time()}
	if i := slices.IndexFunc(o.Evaluations, func(x Evaluation) bool { return x.Iteration == e.Iteration }); i >= 0 {
		o.Evaluations[i] = ev
		return
	}
	o.Evaluations = append(o.Evaluations, ev)
	slices.SortStableFunc(o.Evaluations, func(a, b Evaluation) int { return int(a.Iteration - b.Iteration) })
	if len(o.Evaluations) > MaxOutcomeEvaluations {
		o.Evaluations = o.Evaluations[len(o.Evaluations)-MaxOutcomeEvaluations:]
	}
}

// OutcomeDigest identifies an outcome definition: its description, rubric (text or file) and
// iteration cap. The caller passes 3 for a cap left to the API's default.
func OutcomeDigest(description, rubricText, rubricFileID string, maxIterations int64) string {
	b, _ := json.Marshal([]any{description, rubricText, rubricFileID, maxIterations})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// DefaultOutcomeMaxIterations is the iteration cap the API applies when a definition has none.
const DefaultOutcomeMaxIterations = defaultOutcomeMaxIterations
