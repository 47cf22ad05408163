// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const (
	threadMade    = `{"type":"session.thread_created","id":"sevt_th1","session_thread_id":"sthr_1","agent_name":"reviewer"}`
	threadRunning = `{"type":"session.thread_status_running","id":"sevt_th2","session_thread_id":"sthr_1","agent_name":"reviewer"}`
	subAsk        = `{"type":"agent.tool_use","id":"sevt_t2","name":"bash","input":{"command":"rm -rf build"},"evaluated_permission":"ask","session_thread_id":"sthr_1"}`
	subIdleAsk    = `{"type":"session.thread_status_idle","id":"sevt_th3","session_thread_id":"sthr_1","agent_name":"reviewer","stop_reason":{"type":"requires_action","event_ids":["sevt_t2"]}}`
	subConfirm    = `{"type":"user.tool_confirmation","id":"sevt_c2","tool_use_id":"sevt_t2","result":"allow","session_thread_id":"sthr_1"}`
	subIdleEnd    = `{"type":"session.thread_status_idle","id":"sevt_th4","session_thread_id":"sthr_1","agent_name":"reviewer","stop_reason":{"type":"end_turn"}}`
	subTerminated = `{"type":"session.thread_status_terminated","id":"sevt_th5","session_thread_id":"sthr_1","agent_name":"reviewer"}`
	sessTerminate = `{"type":"session.status_terminated","id":"sevt_x1"}`
)

// TestThreadFold proves the fold's view of sub-agent threads, including events that come out of
// order or twice.
func TestThreadFold(t *testing.T) {
	cases := []struct {
		name   string
		events []string
		// want is the thread's status, stop reason and pending call names; pendingAll is AllPending's length.
		status, stop string
		pending      []string
		mainStatus   string
	}{
		{"a sub-agent that asks waits while the primary thread runs", []string{userMsg, running, threadMade, threadRunning, subAsk, subIdleAsk},
			StatusIdle, StopRequiresAction, []string{"bash"}, StatusRunning},
		{"the answer, routed to the thread by the API, clears its call", []string{userMsg, running, threadMade, subAsk, subIdleAsk, subConfirm},
			StatusIdle, StopRequiresAction, nil, StatusRunning},
		{"an answer seen before the idle that lists it leaves nothing pending", []string{userMsg, running, threadMade, subAsk, subConfirm, subIdleAsk},
			StatusIdle, StopRequiresAction, nil, StatusRunning},
		{"an idle listing a call the history never showed lists it as unknown", []string{userMsg, running, threadMade, subIdleAsk},
			StatusIdle, StopRequiresAction, []string{"unknown"}, StatusRunning},
		{"status events without thread_created still make the thread", []string{userMsg, running, subAsk, subIdleAsk},
			StatusIdle, StopRequiresAction, []string{"bash"}, StatusRunning},
		{"every event twice gives the same threads as once", []string{userMsg, running, threadMade, threadMade, subAsk, subAsk, subIdleAsk, subIdleAsk},
			StatusIdle, StopRequiresAction, []string{"bash"}, StatusRunning},
		{"the thread running again drops what it waited for", []string{userMsg, running, threadMade, subAsk, subIdleAsk, threadRunning},
			StatusRunning, "", nil, StatusRunning},
		{"a thread that ends its turn waits for nothing", []string{userMsg, running, threadMade, subAsk, subIdleAsk, subConfirm, threadRunning, subIdleEnd},
			StatusIdle, StopEndTurn, nil, StatusRunning},
		{"a terminated thread", []string{userMsg, running, threadMade, threadRunning, subTerminated}, StatusTerminated, "", nil, StatusRunning},
		{"the session's end drops every thread's pending calls", []string{userMsg, running, threadMade, subAsk, subIdleAsk, sessTerminate},
			StatusIdle, StopRequiresAction, nil, StatusTerminated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fold(t, tc.events...)
			if len(s.Threads) != 1 {
				t.Fatalf("threads = %+v, want one", s.Threads)
			}
			th := s.Threads[0]
			var names []string
			for _, p := range th.Pending {
				names = append(names, p.Name)
				if p.ThreadID != "sthr_1" {
					t.Errorf("pending call %s has thread %q", p.EventID, p.ThreadID)
				}
			}
			if th.ID != "sthr_1" || th.AgentName != "reviewer" && !strings.Contains(tc.name, "without thread_created") {
				t.Errorf("thread = %+v", th)
			}
			if th.Status != tc.status || th.StopReason != tc.stop || !reflect.DeepEqual(names, tc.pending) {
				t.Errorf("thread %s/%s pending %v, want %s/%s %v", th.Status, th.StopReason, names, tc.status, tc.stop, tc.pending)
			}
			if len(s.AllPending()) != len(tc.pending) || s.ThreadPending() != len(tc.pending) || s.Status != tc.mainStatus {
				t.Errorf("all pending %d, thread pending %d, main %s", len(s.AllPending()), s.ThreadPending(), s.Status)
			}
		})
	}
}

// TestThreadsStayBounded proves a session that starts many threads keeps at most MaxThreads, and
// forgets finished threads before one that waits for an answer.
func TestThreadsStayBounded(t *testing.T) {
	s := fold(t, userMsg, running, threadMade, subAsk, subIdleAsk)
	for i := range 100 {
		ev := Event{ID: fmt.Sprintf("sevt_n%d", i), Type: TypeThreadStatusIdle, SurfaceFields: SurfaceFields{SessionThreadID: fmt.Sprintf("sthr_n%d", i), AgentName: "worker"},
			StopReason: &StopReason{Type: StopEndTurn}}
		s.Apply(&ev)
	}
	if len(s.Threads) != MaxThreads || s.Threads[0].ID != "sthr_1" || s.ThreadPending() != 1 {
		t.Errorf("%d threads, first %s, %d pending", len(s.Threads), s.Threads[0].ID, s.ThreadPending())
	}
}

// TestThreadSummariesNameTheThread proves the Kubernetes Events of sub-agent events say which
// thread and agent acted.
func TestThreadSummariesNameTheThread(t *testing.T) {
	for _, raw := range []string{threadMade, subAsk, subIdleAsk, subConfirm, subTerminated,
		`{"type":"agent.thread_message_received","from_session_thread_id":"sthr_1","from_agent_name":"reviewer","content":[{"type":"text","text":"ok"}]}`} {
		ev := decodeAll(t, raw)[0]
		if sum := Summarize(&ev); !strings.Contains(sum.Message, "sthr_1") {
			t.Errorf("%s: %q does not name the thread", ev.Type, sum.Message)
		}
	}
}

const (
	outcomeDef  = `{"type":"user.define_outcome","id":"sevt_o1","outcome_id":"outc_1","description":"a green build","rubric":{"type":"text","content":"CI passes"},"max_iterations":4}`
	evalStart0  = `{"type":"span.outcome_evaluation_start","id":"sevt_o2","outcome_id":"outc_1","iteration":0}`
	evalEnd0    = `{"type":"span.outcome_evaluation_end","id":"sevt_o3","outcome_id":"outc_1","iteration":0,"result":"needs_revision","explanation":"a test fails"}`
	evalStart1  = `{"type":"span.outcome_evaluation_start","id":"sevt_o4","outcome_id":"outc_1","iteration":1}`
	evalOngoing = `{"type":"span.outcome_evaluation_ongoing","id":"sevt_o5","outcome_id":"outc_1","iteration":1}`
	evalEnd1    = `{"type":"span.outcome_evaluation_end","id":"sevt_o6","outcome_id":"outc_1","iteration":1,"result":"satisfied","explanation":"all green"}`
	outcomeDef2 = `{"type":"user.define_outcome","id":"sevt_o7","outcome_id":"outc_2","description":"a faster build","rubric":{"type":"file","file_id":"file_1"}}`
)

// TestOutcomeFold proves the outcome's evaluations, verdict and digest, with repeated,
// out-of-order and stale evaluations.
func TestOutcomeFold(t *testing.T) {
	cases := []struct {
		name       string
		events     []string
		id, result string
		iterations []int64
		evaluating bool
	}{
		{"defined, not evaluated yet", []string{outcomeDef}, "outc_1", "", nil, false},
		{"an evaluation in progress", []string{outcomeDef, evalStart0}, "outc_1", "", nil, true},
		{"two iterations, the second satisfied", []string{outcomeDef, evalStart0, evalEnd0, evalStart1, evalOngoing, evalEnd1}, "outc_1", OutcomeSatisfied, []int64{0, 1}, false},
		{"a revision under way", []string{outcomeDef, evalStart0, evalEnd0, evalStart1, evalOngoing}, "outc_1", OutcomeNeedsRevision, []int64{0}, true},
		{"a repeated end replaces its iteration", []string{outcomeDef, evalStart0, evalEnd0, evalEnd0, evalStart1, evalEnd1, evalEnd1}, "outc_1", OutcomeSatisfied, []int64{0, 1}, false},
		{"ends out of order are kept by iteration", []string{outcomeDef, evalEnd1, evalEnd0}, "outc_1", OutcomeSatisfied, []int64{0, 1}, false},
		{"a redefinition starts over", []string{outcomeDef, evalStart0, evalEnd0, outcomeDef2}, "outc_2", "", nil, false},
		{"an evaluation of the older outcome is ignored", []string{outcomeDef, outcomeDef2, evalEnd0}, "outc_2", "", nil, false},
		{"evaluations without a definition in the history are kept", []string{evalStart0, evalEnd0}, "outc_1", OutcomeNeedsRevision, []int64{0}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := fold(t, tc.events...).Outcome
			var its []int64
			for _, e := range o.Evaluations {
				its = append(its, e.Iteration)
			}
			if o.ID != tc.id || o.Result() != tc.result || !reflect.DeepEqual(its, tc.iterations) || o.Evaluating != tc.evaluating {
				t.Errorf("outcome %s result %q iterations %v evaluating %v", o.ID, o.Result(), its, o.Evaluating)
			}
		})
	}
	o := fold(t, outcomeDef, evalStart0, evalEnd0, evalStart1, evalEnd1).Outcome
	if !o.Final() || o.Evaluations[0].Explanation != "a test fails" || o.MaxIterations != 4 || o.Defined != 1 {
		t.Errorf("outcome = %+v", o)
	}
	if o.Digest != OutcomeDigest("a green build", "CI passes", "", 4) {
		t.Error("the digest of the history's definition differs from the digest of the same definition")
	}
	if d := fold(t, outcomeDef2).Outcome; d.MaxIterations != DefaultOutcomeMaxIterations || d.Digest != OutcomeDigest("a faster build", "", "file_1", 3) || d.RubricFileID != "file_1" {
		t.Errorf("a definition without max_iterations: %+v", d)
	}
}

// TestRecoveredErrorsClear proves lastError is cleared once the session gets past an error, and a
// terminal error never is.
func TestRecoveredErrorsClear(t *testing.T) {
	retrying := `{"type":"session.error","id":"sevt_e1","error":{"type":"model_overloaded_error","message":"busy","retry_status":{"type":"retrying"}}}`
	terminal := `{"type":"session.error","id":"sevt_e2","error":{"type":"billing_error","message":"no credit","retry_status":{"type":"terminal"}}}`
	if s := fold(t, userMsg, running, retrying, `{"type":"session.status_rescheduled"}`, `{"type":"session.status_running"}`); s.LastError != nil {
		t.Errorf("a retried error must clear once the session runs again: %+v", s.LastError)
	}
	if s := fold(t, userMsg, running, retrying, idleEnd); s.LastError != nil {
		t.Errorf("a turn that ended normally clears the error: %+v", s.LastError)
	}
	if s := fold(t, userMsg, running, terminal, `{"type":"session.status_running"}`); s.LastError == nil {
		t.Error("a terminal error is never cleared")
	}

}

// TestSessionUpdatesAndBudget proves session.updated and session.usage keep the budget and count
// the updates.
func TestSessionUpdatesAndBudget(t *testing.T) {
	usage := `{"type":"session.usage","usage":{"input_tokens":1,"list_cost":{"amount":"80","currency":"USD"}},"budget":{"type":"limit","max_list_cost":{"amount":"100","currency":"USD"}}}`
	raised := `{"type":"session.updated","id":"sevt_up1","budget":{"type":"limit","max_list_cost":{"amount":"500","currency":"USD"}},"title":"t"}`
	removed := `{"type":"session.updated","id":"sevt_up2","budget":null}`
	titled := `{"type":"session.updated","id":"sevt_up3","title":"x"}`
	if s := fold(t, usage); s.BudgetMinorUSD != "100" {
		t.Errorf("budget from usage = %q", s.BudgetMinorUSD)
	}
	if s := fold(t, usage, raised); s.BudgetMinorUSD != "500" || s.Updated.Count != 1 || !s.Updated.Budget || !s.Updated.Title || s.Updated.Metadata {
		t.Errorf("after a raise: %q %+v", s.BudgetMinorUSD, s.Updated)
	}
	if s := fold(t, usage, raised, removed, titled); s.BudgetMinorUSD != "" || s.Updated.Count != 3 || s.Updated.Budget {
		t.Errorf("after a removal and a title change: %q %+v", s.BudgetMinorUSD, s.Updated)
	}

}

// TestModelRequestSpeeds proves model request usage adds up per speed; a request without one is
// standard.
func TestModelRequestSpeeds(t *testing.T) {
	fast := `{"type":"span.model_request_end","model_usage":{"input_tokens":10,"output_tokens":2,"cache_read_input_tokens":5,"cache_creation_input_tokens":1,"speed":"fast"}}`
	std := `{"type":"span.model_request_end","model_usage":{"input_tokens":7,"output_tokens":1,"speed":null}}`
	s := fold(t, fast, std, fast)
	want := []SpeedUsage{{Speed: "fast", Requests: 2, InputTokens: 20, OutputTokens: 4, CacheReadInputTokens: 10, CacheCreationInputTokens: 2},
		{Speed: SpeedStandard, Requests: 1, InputTokens: 7, OutputTokens: 1}}
	if !reflect.DeepEqual(s.Speeds, want) {
		t.Errorf("speeds = %+v", s.Speeds)
	}

}

// TestWorkflowRunFold proves a workflow run's life, its error, and a run first seen at its end.
func TestWorkflowRunFold(t *testing.T) {
	wf := fold(t, `{"type":"workflow_run.created","workflow_run_id":"wfr_1","name":"triage"}`,
		`{"type":"workflow_run.status_running","workflow_run_id":"wfr_1"}`,
		`{"type":"workflow_run.phase_started","workflow_run_id":"wfr_1","workflow_run_phase_id":"wfp_1"}`,
		`{"type":"workflow_run.error","workflow_run_id":"wfr_1","error":{"type":"timeout_error","message":"too long"}}`,
		`{"type":"workflow_run.status_ended","workflow_run_id":"wfr_1","result":{"type":"error","error":{"type":"timeout_error","message":"too long"}}}`).WorkflowRuns
	if len(wf) != 1 || wf[0].Name != "triage" || wf[0].Status != "ended" || wf[0].Result != "error" || wf[0].Phase != "" || wf[0].Error == nil || wf[0].Error.Type != "timeout_error" {
		t.Errorf("workflow runs = %+v", wf)
	}
	// A run whose first event seen is its end (the history was cut) is still listed.
	if wf := fold(t, `{"type":"workflow_run.status_ended","workflow_run_id":"wfr_2","result":{"type":"completed"}}`).WorkflowRuns; len(wf) != 1 || wf[0].Result != "completed" {
		t.Errorf("an end without a creation: %+v", wf)
	}

}

// TestPolicyDenial proves a tool use the auto policy denied reads as denied and waits for nothing.
func TestPolicyDenial(t *testing.T) {
	denied := decodeAll(t, `{"type":"agent.tool_use","id":"sevt_d1","name":"bash","input":{},"evaluated_permission":"deny","evaluation":{"type":"auto","evaluated_permission":{"type":"deny","reason_code":"destructive"}}}`)[0]
	if sum := Summarize(&denied); sum.Reason != ReasonToolDenied || !sum.Warning || !strings.Contains(sum.Message, "destructive") {
		t.Errorf("a denied call reads %+v", sum)
	}
	if s := fold(t, userMsg, running, `{"type":"agent.tool_use","id":"sevt_d1","name":"bash","evaluated_permission":"deny"}`,
		`{"type":"session.status_idle","stop_reason":{"type":"end_turn"}}`); len(s.AllPending()) != 0 {
		t.Errorf("a denied call must wait for nothing: %+v", s.AllPending())
	}
}

// TestResultValue proves result decodes as a string, as an object's type, and as null.
func TestResultValue(t *testing.T) {
	for raw, want := range map[string]ResultValue{
		`{"type":"user.tool_confirmation","result":"allow"}`:                                  "allow",
		`{"type":"workflow_run.status_ended","result":{"type":"stopped"}}`:                    "stopped",
		`{"type":"workflow_run.status_ended","result":{"type":"error","error":{"type":"x"}}}`: "error",
		`{"type":"span.outcome_evaluation_end","result":null}`:                                "",
	} {
		if ev := decodeAll(t, raw)[0]; ev.Result != want {
			t.Errorf("%s: result %q, want %q", raw, ev.Result, want)
		}
	}
	if _, err := Decode([]byte(`{"result":7}`)); err == nil {
		t.Error("a number is not a result")
	}
}

// TestThreadInterruptKeepsTheTurn proves an interrupt aimed at one sub-agent thread is counted (so
// it is sent once) but does not make the session's turn read as interrupted.
func TestThreadInterruptKeepsTheTurn(t *testing.T) {
	s := fold(t, userMsg, running, `{"type":"user.interrupt","id":"","session_thread_id":"sthr_1"}`, idleEnd)
	if s.Interrupts != 1 || s.TurnInterrupted() {
		t.Errorf("interrupts %d, turn interrupted %v", s.Interrupts, s.TurnInterrupted())
	}
	if s := fold(t, userMsg, running, `{"type":"user.interrupt","id":""}`, idleEnd); !s.TurnInterrupted() {
		t.Error("an interrupt of the whole session ends its turn as interrupted")
	}
}
