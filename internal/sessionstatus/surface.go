// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"fmt"
	"math/big"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// applySurface copies threads, the outcome, workflow runs, the budget and the usage by speed into
// status, every list bounded.
func applySurface(st *v1alpha1.SessionStatus, s *sessionevents.State) {
	st.Threads = nil
	for _, t := range s.Threads {
		thread := v1alpha1.SessionThread{ID: sessionevents.Truncate(t.ID, 128), AgentName: t.AgentName, Status: t.Status,
			StopReason: sessionevents.Truncate(t.StopReason, 64), WorkflowRunID: sessionevents.Truncate(t.WorkflowRunID, 128)}
		for _, p := range t.Pending {
			thread.PendingActions = append(thread.PendingActions, p.EventID)
		}
		st.Threads = append(st.Threads, thread)
	}
	st.Outcome = outcomeStatus(s.Outcome)
	st.WorkflowRuns = nil
	for _, r := range s.WorkflowRuns {
		st.WorkflowRuns = append(st.WorkflowRuns, v1alpha1.SessionWorkflowRun{ID: r.ID, Name: r.Name, Status: r.Status,
			Result: r.Result, Phase: r.Phase, Error: sessionError(r.Error)})
	}
	if st.Usage == nil && (s.BudgetMinorUSD != "" || len(s.Speeds) > 0) {
		st.Usage = &v1alpha1.SessionUsage{}
	}
	if st.Usage != nil {
		st.Usage.BudgetUSD = sessionevents.Truncate(managedagents.MinorUnitsToUSD(s.BudgetMinorUSD), 32)
		st.Usage.BySpeed = nil
		for _, u := range s.Speeds {
			st.Usage.BySpeed = append(st.Usage.BySpeed, v1alpha1.SpeedUsage{Speed: u.Speed, Requests: u.Requests,
				InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens,
				CacheCreationInputTokens: u.CacheCreationInputTokens})
		}
	}
}

func outcomeStatus(o *sessionevents.Outcome) *v1alpha1.SessionOutcomeStatus {
	if o == nil {
		return nil
	}
	out := &v1alpha1.SessionOutcomeStatus{OutcomeID: sessionevents.Truncate(o.ID, 128), Description: o.Description,
		MaxIterations: o.MaxIterations, Result: o.Result(), Evaluating: o.Evaluating}
	for _, e := range o.Evaluations {
		ev := v1alpha1.OutcomeEvaluation{Iteration: e.Iteration, Result: e.Result, Explanation: e.Explanation}
		if !e.Time.IsZero() {
			t := metav1.NewTime(e.Time)
			ev.Time = &t
		}
		out.Evaluations = append(out.Evaluations, ev)
	}
	return out
}

func sessionError(e *sessionevents.ErrorInfo) *v1alpha1.SessionError {
	if e == nil {
		return nil
	}
	out := &v1alpha1.SessionError{Type: e.Type, Message: e.Message, RetryStatus: e.RetryStatus, EventID: e.EventID}
	if !e.Time.IsZero() {
		t := metav1.NewTime(e.Time)
		out.Time = &t
	}
	return out
}

// OutcomeMet reasons: the verdicts, and the states before one.
const (
	OutcomePending              = "Pending"
	OutcomeEvaluating           = "Evaluating"
	OutcomeSatisfied            = "Satisfied"
	OutcomeNeedsRevision        = "NeedsRevision"
	OutcomeMaxIterationsReached = "MaxIterationsReached"
	OutcomeFailed               = "Failed"
	OutcomeInterrupted          = "Interrupted"
)

var outcomeReasons = map[string]string{
	sessionevents.OutcomeSatisfied:            OutcomeSatisfied,
	sessionevents.OutcomeNeedsRevision:        OutcomeNeedsRevision,
	sessionevents.OutcomeMaxIterationsReached: OutcomeMaxIterationsReached,
	sessionevents.OutcomeFailed:               OutcomeFailed,
	sessionevents.OutcomeInterrupted:          OutcomeInterrupted,
}

// Condition is a condition to set: its status, reason and message.
type Condition struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

// OutcomeCondition is the OutcomeMet condition, or nil when the Session has no outcome (neither in
// the spec nor in the history).
func OutcomeCondition(sess *v1alpha1.Session, o *v1alpha1.SessionOutcomeStatus) *Condition {
	switch {
	case o == nil && sess.Spec.Outcome == nil:
		return nil
	case o == nil:
		return &Condition{metav1.ConditionFalse, OutcomePending, "spec.outcome is not in the session's history yet"}
	}
	if c := outcomeNotEvaluated(sess, o); c != nil {
		return c
	}
	switch {
	case o.Evaluating:
		return &Condition{metav1.ConditionFalse, OutcomeEvaluating, fmt.Sprintf("the grader is evaluating iteration %d", lastIteration(o))}
	case o.Result == "":
		return &Condition{metav1.ConditionFalse, OutcomePending, "the agent works toward the outcome; no evaluation has ended yet"}
	}
	reason, ok := outcomeReasons[o.Result]
	if !ok {
		reason = OutcomePending
	}
	msg := fmt.Sprintf("iteration %d: %s", lastIteration(o), o.Result)
	if n := len(o.Evaluations); n > 0 && o.Evaluations[n-1].Explanation != "" {
		msg += ": " + o.Evaluations[n-1].Explanation
	}
	return &Condition{conditionStatus(o.Result == sessionevents.OutcomeSatisfied), reason, msg}
}

func lastIteration(o *v1alpha1.SessionOutcomeStatus) int64 {
	if n := len(o.Evaluations); n > 0 && !o.Evaluating {
		return o.Evaluations[n-1].Iteration
	}
	if n := len(o.Evaluations); n > 0 {
		return o.Evaluations[n-1].Iteration + 1
	}
	return 0
}

// BudgetNearlyUsed reasons.
const (
	BudgetWithin     = "WithinBudget"
	BudgetNearlyUsed = "BudgetNearlyUsed"
)

// budgetWarnAt is the share of the budget from which BudgetNearlyUsed is True.
var budgetWarnAt = big.NewRat(4, 5)

// BudgetCondition is the BudgetNearlyUsed condition, or nil without a budget or a known cost.
func BudgetCondition(u *v1alpha1.SessionUsage) *Condition {
	if u == nil || u.BudgetUSD == "" || u.ListCostUSD == "" {
		return nil
	}
	budget, ok1 := new(big.Rat).SetString(u.BudgetUSD)
	spent, ok2 := new(big.Rat).SetString(u.ListCostUSD)
	if !ok1 || !ok2 || budget.Sign() <= 0 {
		return nil
	}
	share := new(big.Rat).Quo(spent, budget)
	pct, _ := new(big.Rat).Mul(share, big.NewRat(100, 1)).Float64()
	msg := fmt.Sprintf("$%s of the $%s budget used (%.0f %%)", u.ListCostUSD, u.BudgetUSD, pct)
	if share.Cmp(budgetWarnAt) >= 0 {
		return &Condition{metav1.ConditionTrue, BudgetNearlyUsed, msg + "; raise spec.budget.maxListCostUSD to keep the session going"}
	}
	return &Condition{metav1.ConditionFalse, BudgetWithin, msg}
}

func conditionStatus(b bool) metav1.ConditionStatus {
	if b {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// threadAgent names the agent of a sub-agent thread; empty for the primary thread.
func threadAgent(s *sessionevents.State, id string) string {
	if id == "" {
		return ""
	}
	for _, t := range s.Threads {
		if t.ID == id {
			return t.AgentName
		}
	}
	return ""
}

// threadsWait is RequiresAction while a sub-agent thread waits for an answer, even while the
// primary thread runs: the sub-agent, and so the session's work, is blocked until someone answers.
// TurnComplete is True, as for the primary thread's own requires_action: the session waits for you.
func threadsWait(st *sessionevents.State) (Result, bool) {
	if st.ThreadPending() == 0 {
		return Result{}, false
	}
	n := len(st.AllPending())
	var first sessionevents.Thread
	for _, t := range st.Threads {
		if len(t.Pending) > 0 {
			first = t
			break
		}
	}
	who := first.ID
	if first.AgentName != "" {
		who = first.AgentName + " (" + first.ID + ")"
	}
	return Result{Phase: v1alpha1.SessionRequiresAction, TurnComplete: true,
		Reason: TurnActionRequired, Message: fmt.Sprintf("sub-agent %s waits for %d answer(s), %d in all: see status.pendingActions", who, len(first.Pending), n)}, true
}

// OutcomeDigest identifies spec.outcome the way the history's copy of it is identified, so the
// operator can tell whether the session has it.
func OutcomeDigest(o *v1alpha1.SessionOutcome) string {
	maxIter := int64(sessionevents.DefaultOutcomeMaxIterations)
	if o.MaxIterations != nil {
		maxIter = *o.MaxIterations
	}
	return sessionevents.OutcomeDigest(o.Description, o.Rubric, o.RubricFileID, maxIter)
}

// OutcomeInFlight reports whether spec.outcome is not in the session's history yet: it is still to
// be sent, or its echo has not arrived. The agent is about to work on it, so the turn is not over.
func OutcomeInFlight(sess *v1alpha1.Session, st *sessionevents.State) bool {
	o := sess.Spec.Outcome
	return o != nil && (st.Outcome == nil || st.Outcome.Digest != OutcomeDigest(o))
}
