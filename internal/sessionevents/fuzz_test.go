// SPDX-License-Identifier: Apache-2.0

package sessionevents

import (
	"fmt"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeAndFold feeds arbitrary bytes as events: decoding may fail, but folding whatever decodes
// never panics and never breaks the state's bounds or produces invalid UTF-8.
func FuzzDecodeAndFold(f *testing.F) {
	for _, seed := range []string{userMsg, running, agentMsg, idleEnd, toolAsk, customUse, idleAction, confirm,
		`{"type":"session.error","error":null}`, `{"type":"agent.message","content":[{"type":"text","text":"\xff\xfe"}]}`,
		`{"type":"session.status_idle","stop_reason":{"type":"requires_action","event_ids":["","sevt_x"]}}`, `null`, `[]`, `{}`,
		threadMade, subAsk, subIdleAsk, subConfirm, subTerminated, outcomeDef, evalStart0, evalEnd0, evalEnd1, outcomeDef2,
		`{"type":"workflow_run.error","workflow_run_id":"wfr_1","error":{"type":"timeout_error","message":"x"}}`,
		`{"type":"span.model_request_end","model_usage":{"input_tokens":1,"speed":"fast"}}`,
		`{"type":"session.updated","budget":null,"metadata":{"a":"b"}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		for range 3 { // the same event thrice, like a replayed history
			ev, err := Decode(data)
			if err != nil {
				return
			}
			sum := s.Apply(&ev)
			if len(sum.Message) > MaxMessageBytes || !utf8.ValidString(sum.Message) {
				t.Fatalf("summary out of bounds: %d bytes, valid %v", len(sum.Message), utf8.ValidString(sum.Message))
			}
		}
		// The same event again under many thread, run and iteration ids, like a session that
		// starts many sub-agents and workflow runs, must not grow the state past its bounds.
		if ev, err := Decode(data); err == nil {
			for i := range 3 * MaxThreads {
				ev.ID = fmt.Sprintf("sevt_fuzz%d", i)
				ev.SessionThreadID = fmt.Sprintf("sthr_%d", i)
				ev.WorkflowRunID = fmt.Sprintf("wfr_%d", i)
				ev.Iteration = int64(i)
				if ev.StopReason != nil {
					ev.StopReason.EventIDs = append(ev.StopReason.EventIDs, ev.ID)
				}
				s.Apply(&ev)
			}
		}
		if len(s.Recent) > MaxRecent || len(s.Pending) > MaxPending || len(s.LastAgentMessage) > MaxLastMessage {
			t.Fatalf("state out of bounds: %d recent, %d pending, %d message bytes", len(s.Recent), len(s.Pending), len(s.LastAgentMessage))
		}
		checkSurfaceBounds(t, &s)
		for _, r := range s.Recent {
			if len(r.Summary) > 256 || !utf8.ValidString(r.Summary) {
				t.Fatalf("recent summary out of bounds: %q", r.Summary)
			}
		}
	})
}

// checkSurfaceBounds fails when threads, outcome evaluations, workflow runs or speeds outgrow their
// bounds.
func checkSurfaceBounds(t *testing.T, s *State) {
	t.Helper()
	if len(s.Threads) > MaxThreads || len(s.AllPending()) > MaxPending || len(s.WorkflowRuns) > MaxWorkflowRuns || len(s.Speeds) > 4 {
		t.Fatalf("state out of bounds: %d threads, %d pending in all, %d workflow runs, %d speeds",
			len(s.Threads), len(s.AllPending()), len(s.WorkflowRuns), len(s.Speeds))
	}
	for _, th := range s.Threads {
		if len(th.Pending) > MaxPending || len(th.AgentName) > 256 {
			t.Fatalf("thread %s out of bounds: %d pending, agent name %d bytes", th.ID, len(th.Pending), len(th.AgentName))
		}
	}
	if o := s.Outcome; o != nil && (len(o.Evaluations) > MaxOutcomeEvaluations || len(o.Description) > MaxOutcomeDescription) {
		t.Fatalf("outcome out of bounds: %d evaluations, %d description bytes", len(o.Evaluations), len(o.Description))
	}
}
