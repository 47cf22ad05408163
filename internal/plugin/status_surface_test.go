// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// update rewrites the golden files: go test ./internal/plugin -run Golden -update.
var update = flag.Bool("update", false, "rewrite the golden files of the status output")

// multiagentSession is a session whose sub-agent waits for a confirmation and a custom tool result,
// while a second thread is done, and whose outcome needed a revision before the grader was satisfied.
func multiagentSession() *v1alpha1.Session {
	s := finished(v1alpha1.SessionRequiresAction, "requires_action")
	s.Spec.AgentRef = &v1alpha1.AgentReference{Name: "lead"}
	s.Spec.Outcome = &v1alpha1.SessionOutcome{Description: "ship it", Rubric: "tests pass"}
	s.Status.PendingActions = []v1alpha1.PendingAction{
		{EventID: "sevt_t1", Kind: v1alpha1.PendingToolConfirmation, ToolName: "bash", Input: `{"command":"make lint"}`, ThreadID: "sthr_1", AgentName: "reviewer"},
		{EventID: "sevt_t2", Kind: v1alpha1.PendingCustomToolResult, ToolName: "open_ticket", ThreadID: "sthr_1", AgentName: "reviewer"},
		askA,
	}
	s.Status.Threads = []v1alpha1.SessionThread{
		{ID: "sthr_1", AgentName: "reviewer", Status: "idle", StopReason: "requires_action", PendingActions: []string{"sevt_t1", "sevt_t2"}},
		{ID: "sthr_2", AgentName: "tester", Status: "terminated", WorkflowRunID: "wfrun_1"},
	}
	at := metav1.NewTime(t0)
	s.Status.Outcome = &v1alpha1.SessionOutcomeStatus{OutcomeID: "outc_1", Description: "ship it", MaxIterations: 3, Result: "satisfied",
		Evaluations: []v1alpha1.OutcomeEvaluation{
			{Iteration: 0, Result: "needs_revision", Explanation: "The tests\nfail on " + strings.Repeat("linux ", 40), Time: &at},
			{Iteration: 1, Result: "satisfied", Explanation: "All tests pass.", Time: &at},
		}}
	s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionOutcomeMet, Status: metav1.ConditionTrue,
		Reason: "Satisfied", Message: "iteration 1: satisfied: All tests pass."})
	return s
}

// TestStatusTextGolden pins the whole human output of a multi-agent session with an outcome.
func TestStatusTextGolden(t *testing.T) {
	assertGolden(t, "status_threads_outcome.golden", StatusText(multiagentSession(), Styler{}, t0))
}

func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update after checking it):\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

// TestStatusThreads proves each thread shows with its agent and state, and each of its pending
// actions with the command that answers it; the primary thread's action stays under Pending actions.
func TestStatusThreads(t *testing.T) {
	out := StatusText(multiagentSession(), Styler{}, t0)
	assertBlock(t, out, `Threads:
  sthr_1  reviewer  idle (requires_action)
    sevt_t1 waits for confirmation of bash {"command":"make lint"}: kubectl claude approve s1 sevt_t1 (or deny)
    sevt_t2 waits for a result of open_ticket: kubectl claude tool-result s1 sevt_t2 --text TEXT
  sthr_2  tester    terminated, workflow run wfrun_1
Pending actions:
  sevt_a waits for confirmation of bash: kubectl claude approve s1 sevt_a (or deny)
`)
	if strings.Count(out, "sevt_t1 waits") != 1 {
		t.Errorf("a thread's pending action is listed once, under its thread:\n%s", out)
	}
}

// TestStatusThreadActionsOnly proves a session whose only pending actions are a sub-agent's does not
// claim there is nothing to answer.
func TestStatusThreadActionsOnly(t *testing.T) {
	s := multiagentSession()
	s.Status.PendingActions = s.Status.PendingActions[:2]
	out := StatusText(s, Styler{}, t0)
	if !strings.Contains(out, "Pending actions: none besides the threads' above\n") {
		t.Errorf("pending actions of threads only:\n%s", out)
	}
}

// TestStatusThreadActionNotInStatus proves a thread's pending id whose details status dropped (the
// list is bounded) is still shown with both commands that may answer it.
func TestStatusThreadActionNotInStatus(t *testing.T) {
	s := multiagentSession()
	s.Status.Threads[0].PendingActions = append(s.Status.Threads[0].PendingActions, "sevt_t3")
	out := StatusText(s, Styler{}, t0)
	if want := "    sevt_t3 waits for an answer: kubectl claude approve|deny s1 sevt_t3, or kubectl claude tool-result s1 sevt_t3 --text TEXT\n"; !strings.Contains(out, want) {
		t.Errorf("lacks %q:\n%s", want, out)
	}
}

// TestStatusOutcome proves the outcome section: description, iteration n/max, each verdict with a
// short one-line explanation, and the final result with the OutcomeMet condition.
func TestStatusOutcome(t *testing.T) {
	out := StatusText(multiagentSession(), Styler{}, t0)
	assertBlock(t, out, `Outcome:
  Description:  ship it
  Iteration:    2/3
  Verdicts:
    1/3  needs_revision  The tests fail on linux linux linux linux linux linux linux linux linux linux linux linux linux lin…
    2/3  satisfied       All tests pass.
  Result:       satisfied (OutcomeMet True, Satisfied)
`)
}

func TestStatusOutcomeStates(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*v1alpha1.Session)
		wants []string
	}{
		{"an outcome not in the history yet shows the spec's description", func(s *v1alpha1.Session) {
			s.Status.Outcome = nil
			s.Status.Conditions[1] = metav1.Condition{Type: v1alpha1.ConditionOutcomeMet, Status: metav1.ConditionFalse, Reason: "Pending",
				Message: "spec.outcome is not in the session's history yet"}
		}, []string{"Outcome:\n  Description:  ship it\n  Result:       none yet (OutcomeMet False, Pending: spec.outcome is not in the session's history yet)\n"}},
		{"an evaluation in progress says which iteration", func(s *v1alpha1.Session) {
			s.Status.Outcome.Evaluating, s.Status.Outcome.Result = true, "needs_revision"
			s.Status.Outcome.Evaluations = s.Status.Outcome.Evaluations[:1]
			s.Status.Conditions[1] = metav1.Condition{Type: v1alpha1.ConditionOutcomeMet, Status: metav1.ConditionFalse, Reason: "Evaluating",
				Message: "the grader is evaluating iteration 1"}
		}, []string{"  Iteration:    2/3 (the grader is evaluating it)\n", "  Result:       needs_revision (OutcomeMet False, Evaluating)\n"}},
		{"an outcome that hit its cap", func(s *v1alpha1.Session) {
			s.Status.Outcome.Result, s.Status.Outcome.MaxIterations = "max_iterations_reached", 2
			s.Status.Outcome.Evaluations[1].Result = "max_iterations_reached"
			s.Status.Conditions[1] = metav1.Condition{Type: v1alpha1.ConditionOutcomeMet, Status: metav1.ConditionFalse, Reason: "MaxIterationsReached"}
		}, []string{"  Iteration:    2/2\n", "    2/2  max_iterations_reached  All tests pass.\n", "  Result:       max_iterations_reached (OutcomeMet False, MaxIterationsReached)\n"}},
		{"an unknown cap shows the iteration alone", func(s *v1alpha1.Session) {
			s.Status.Outcome.MaxIterations = 0
		}, []string{"  Iteration:    2\n", "    1  needs_revision"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := multiagentSession()
			tc.edit(s)
			out := StatusText(s, Styler{}, t0)
			for _, w := range tc.wants {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestStatusWithoutThreadsOrOutcome proves the new sections stay absent when there is nothing to show.
func TestStatusWithoutThreadsOrOutcome(t *testing.T) {
	s := finished(v1alpha1.SessionSucceeded, "end_turn")
	out := StatusText(s, Styler{}, t0)
	for _, absent := range []string{"Threads:", "Outcome:"} {
		if strings.Contains(out, absent) {
			t.Errorf("%q shows for a session without it:\n%s", absent, out)
		}
	}
	var buf strings.Builder
	if err := PrintObject(&buf, OutputJSON, NewStatusView(s)); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{`"threads"`, `"outcome"`, `"outcomeMet"`} {
		if strings.Contains(buf.String(), absent) {
			t.Errorf("-o json has %s for a session without it:\n%s", absent, buf.String())
		}
	}
}

// TestStatusViewCarriesThreadsAndOutcome proves -o json and -o yaml hold the threads, the outcome
// with every evaluation, and the OutcomeMet condition.
func TestStatusViewCarriesThreadsAndOutcome(t *testing.T) {
	for _, format := range []string{OutputJSON, OutputYAML} {
		var buf strings.Builder
		if err := PrintObject(&buf, format, NewStatusView(multiagentSession())); err != nil {
			t.Fatal(err)
		}
		var back StatusView
		if err := yaml.Unmarshal([]byte(buf.String()), &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Threads) != 2 || back.Threads[0].AgentName != "reviewer" || len(back.Threads[0].PendingActions) != 2 {
			t.Errorf("-o %s threads: %+v", format, back.Threads)
		}
		if o := back.Outcome; o == nil || o.Result != "satisfied" || len(o.Evaluations) != 2 || o.Evaluations[0].Result != "needs_revision" {
			t.Errorf("-o %s outcome: %+v", format, back.Outcome)
		}
		if c := back.OutcomeMet; c == nil || c.Status != "True" || c.Reason != "Satisfied" || c.Message == "" {
			t.Errorf("-o %s outcomeMet: %+v", format, back.OutcomeMet)
		}
	}
	data, _ := json.Marshal(NewStatusView(multiagentSession()))
	if !strings.Contains(string(data), `"outcomeMet":{"status":"True","reason":"Satisfied"`) {
		t.Errorf("outcomeMet is a small object of status, reason and message: %s", data)
	}
}

func TestStatusColorsTheOutcome(t *testing.T) {
	out := StatusText(multiagentSession(), Styler{Enabled: true}, t0.Add(time.Minute))
	if !strings.Contains(out, styleGreen+"satisfied (OutcomeMet True, Satisfied)"+styleReset) {
		t.Errorf("a satisfied outcome is green:\n%q", out)
	}
}

// assertBlock fails unless text holds block, lines in a row.
func assertBlock(t *testing.T, text, block string) {
	t.Helper()
	if !strings.Contains(text, block) {
		t.Errorf("lacks\n%s\nin:\n%s", block, text)
	}
}
