// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// surfaceSeeds are fuzz seeds of the thread, outcome, workflow and usage events.
var surfaceSeeds = []string{exThread, exSubAsk, exSubIdle, exOutcome, exEvalStart, exEvalEnd, exWorkflow, exUsage,
	`{"type":"workflow_run.error","workflow_run_id":"wfr_1","error":{"type":"timeout_error","message":"x"}}`,
	`{"type":"span.model_request_end","model_usage":{"input_tokens":1,"speed":"fast"}}`}

// varyIDs gives the i-th copy of a fuzzed event its own ids, so repeats start new threads, runs
// and iterations, as a long multi-agent session does.
func varyIDs(e *sessionevents.Event, i int) {
	if e.SessionThreadID != "" {
		e.SessionThreadID = fmt.Sprintf("%s%d", e.SessionThreadID, i)
	}
	if e.WorkflowRunID != "" {
		e.WorkflowRunID = fmt.Sprintf("%s%d", e.WorkflowRunID, i)
	}
	e.Iteration += int64(i)
}

// checkSurfaceStatus fails when threads, the outcome, workflow runs or usage outgrow the CRD.
func checkSurfaceStatus(t *testing.T, st *v1alpha1.SessionStatus) {
	t.Helper()
	if len(st.Threads) > v1alpha1.MaxSessionThreads || len(st.WorkflowRuns) > v1alpha1.MaxSessionWorkflowRuns {
		t.Fatalf("lists too long: %d threads, %d workflow runs", len(st.Threads), len(st.WorkflowRuns))
	}
	for _, th := range st.Threads {
		checkLen(t, "threads.id", th.ID, 128)
		checkLen(t, "threads.agentName", th.AgentName, 256)
		checkLen(t, "threads.stopReason", th.StopReason, 64)
		checkLen(t, "threads.workflowRunID", th.WorkflowRunID, 128)
		if len(th.PendingActions) > v1alpha1.MaxPendingActions {
			t.Fatalf("thread %s has %d pending actions", th.ID, len(th.PendingActions))
		}
	}
	for _, p := range st.PendingActions {
		checkLen(t, "pendingActions.threadID", p.ThreadID, 128)
		checkLen(t, "pendingActions.agentName", p.AgentName, 256)
	}
	if o := st.Outcome; o != nil {
		checkLen(t, "outcome.outcomeID", o.OutcomeID, 128)
		checkLen(t, "outcome.description", o.Description, 1024)
		checkLen(t, "outcome.result", o.Result, 64)
		if len(o.Evaluations) > v1alpha1.MaxOutcomeEvaluations {
			t.Fatalf("%d outcome evaluations", len(o.Evaluations))
		}
		for _, e := range o.Evaluations {
			checkLen(t, "outcome.evaluations.result", e.Result, 64)
			checkLen(t, "outcome.evaluations.explanation", e.Explanation, 1024)
		}
	}
	for _, r := range st.WorkflowRuns {
		for field, v := range map[string]string{"id": r.ID, "phase": r.Phase} {
			checkLen(t, "workflowRuns."+field, v, 128)
		}
		checkLen(t, "workflowRuns.name", r.Name, 256)
		checkLen(t, "workflowRuns.result", r.Result, 32)
	}
	if u := st.Usage; u != nil {
		checkLen(t, "usage.budgetUSD", u.BudgetUSD, 32)
		if len(u.BySpeed) > 4 {
			t.Fatalf("%d speeds", len(u.BySpeed))
		}
	}
}

// TestSubAgentWaitIsRequiresAction proves a sub-agent's pending call makes the Session
// RequiresAction while the primary thread runs, and that the answer lets it run again.
func TestSubAgentWaitIsRequiresAction(t *testing.T) {
	waiting := tableStatus(t, []string{exUser, exRunning, exThread, exSubAsk, exSubIdle}, nil)
	if waiting.status["phase"] != string(v1alpha1.SessionRequiresAction) || waiting.conditions[v1alpha1.ConditionActionRequired] != "true" {
		t.Fatalf("a waiting sub-agent: phase %v, conditions %v", waiting.status["phase"], waiting.conditions)
	}
	pending := waiting.at("status.pendingActions").([]any)[0].(map[string]any)
	if pending["threadID"] != "sthr_1" || pending["agentName"] != "reviewer" || pending["toolName"] != "bash" {
		t.Errorf("pending action = %v", pending)
	}
	answered := tableStatus(t, []string{exUser, exRunning, exThread, exSubAsk, exSubIdle,
		`{"type":"user.tool_confirmation","id":"sevt_c9","tool_use_id":"sevt_t2","result":"allow","session_thread_id":"sthr_1"}`}, nil)
	if answered.status["phase"] != string(v1alpha1.SessionRunning) {
		t.Errorf("after the answer: phase %v", answered.status["phase"])
	}
}

// TestSurfaceConditions proves OutcomeMet and BudgetNearlyUsed, one row per state.
func TestSurfaceConditions(t *testing.T) {
	withOutcome := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Outcome: &v1alpha1.SessionOutcome{Description: "d", Rubric: "r"}}}
	outcomes := []struct {
		reason string
		sess   *v1alpha1.Session
		o      *v1alpha1.SessionOutcomeStatus
		want   *Condition
	}{
		{"no outcome anywhere: no condition", &v1alpha1.Session{}, nil, nil},
		{"spec.outcome not in the history yet", withOutcome, nil, &Condition{Status: metav1.ConditionFalse, Reason: OutcomePending}},
		{"defined, the agent works", withOutcome, &v1alpha1.SessionOutcomeStatus{OutcomeID: "outc_1"}, &Condition{Status: metav1.ConditionFalse, Reason: OutcomePending}},
		{"the grader is at work", withOutcome, &v1alpha1.SessionOutcomeStatus{Evaluating: true}, &Condition{Status: metav1.ConditionFalse, Reason: OutcomeEvaluating}},
		{"a revision is needed", withOutcome, &v1alpha1.SessionOutcomeStatus{Result: "needs_revision", Evaluations: []v1alpha1.OutcomeEvaluation{{Result: "needs_revision"}}},
			&Condition{Status: metav1.ConditionFalse, Reason: OutcomeNeedsRevision}},
		{"satisfied", withOutcome, &v1alpha1.SessionOutcomeStatus{Result: "satisfied", Evaluations: []v1alpha1.OutcomeEvaluation{{Iteration: 1, Result: "satisfied", Explanation: "ok"}}},
			&Condition{Status: metav1.ConditionTrue, Reason: OutcomeSatisfied, Message: "iteration 1: satisfied: ok"}},
		{"an outcome defined outside the spec still shows", &v1alpha1.Session{}, &v1alpha1.SessionOutcomeStatus{Result: "max_iterations_reached"},
			&Condition{Status: metav1.ConditionFalse, Reason: OutcomeMaxIterationsReached}},
	}
	for _, tc := range outcomes {
		got := OutcomeCondition(tc.sess, tc.o)
		if (got == nil) != (tc.want == nil) || got != nil && (got.Status != tc.want.Status || got.Reason != tc.want.Reason || tc.want.Message != "" && got.Message != tc.want.Message) {
			t.Errorf("%s: got %+v, want %+v", tc.reason, got, tc.want)
		}
	}
	budgets := []struct {
		reason       string
		cost, budget string
		want         metav1.ConditionStatus
	}{
		{"no budget: no condition", "1.00", "", ""},
		{"no cost yet: no condition", "", "10.00", ""},
		{"79 % is within", "7.90", "10.00", metav1.ConditionFalse},
		{"80 % warns", "8.00", "10.00", metav1.ConditionTrue},
		{"over the budget warns", "12.00", "10.00", metav1.ConditionTrue},
		{"a zero budget is not divided by", "1.00", "0.00", ""},
	}
	for _, tc := range budgets {
		got := BudgetCondition(&v1alpha1.SessionUsage{ListCostUSD: tc.cost, BudgetUSD: tc.budget})
		if (got == nil) != (tc.want == "") || got != nil && got.Status != tc.want {
			t.Errorf("%s: got %+v, want %s", tc.reason, got, tc.want)
		}
	}
}
