// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

func foldEvents(t testing.TB, raws ...string) *sessionevents.State {
	var st sessionevents.State
	for _, raw := range raws {
		ev, err := sessionevents.Decode([]byte(raw))
		if err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
		st.Apply(&ev)
	}
	return &st
}

// TestComputePhase proves the phase table: how each remote state and what is left to send map to a
// phase and a TurnComplete reason.
func TestComputePhase(t *testing.T) {
	const (
		msg     = `{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"hi"}]}`
		run     = `{"type":"session.status_running","id":"sevt_2"}`
		idle    = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"end_turn"}}`
		tool    = `{"type":"agent.tool_use","id":"sevt_4","name":"bash","evaluated_permission":"ask"}`
		action  = `{"type":"session.status_idle","id":"sevt_5","stop_reason":{"type":"requires_action","event_ids":["sevt_4"]}}`
		refusal = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"refusal"}}`
		term    = `{"type":"session.status_terminated","id":"sevt_9"}`
		fatal   = `{"type":"session.error","id":"sevt_8","error":{"type":"x","retry_status":{"type":"terminal"}}}`
	)
	cases := []struct {
		name       string
		spec       v1alpha1.SessionSpec
		sent       int32
		events     []string
		wantPhase  v1alpha1.SessionPhase
		wantReason string
	}{
		{"created with a prompt, no status event yet", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg}, v1alpha1.SessionRunning, "Running"},
		{"running", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run}, v1alpha1.SessionRunning, "Running"},
		{"turn ended, nothing left", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run, idle}, v1alpha1.SessionSucceeded, TurnEndTurn},
		{"turn ended, never complete", v1alpha1.SessionSpec{Prompt: "hi", CompletionPolicy: v1alpha1.CompletionNever}, 0, []string{msg, run, idle}, v1alpha1.SessionIdle, TurnEndTurn},
		{"turn ended, a message still to send", v1alpha1.SessionSpec{Prompt: "hi", Messages: []string{"more"}}, 0, []string{msg, run, idle}, v1alpha1.SessionIdle, "Idle"},
		{"a sent message not in the history yet", v1alpha1.SessionSpec{Prompt: "hi", Messages: []string{"more"}}, 1, []string{msg, run, idle}, v1alpha1.SessionRunning, "Running"},
		{"waiting for a confirmation", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run, tool, action}, v1alpha1.SessionRequiresAction, TurnActionRequired},
		{"refusal", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run, refusal}, v1alpha1.SessionFailed, TurnRefusal},
		{"terminated after a terminal error", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run, fatal, term}, v1alpha1.SessionFailed, "Failed"},
		{"terminated", v1alpha1.SessionSpec{Prompt: "hi"}, 0, []string{msg, run, term}, v1alpha1.SessionTerminated, "Terminated"},
		{"idle session without a prompt", v1alpha1.SessionSpec{}, 0, nil, v1alpha1.SessionSucceeded, TurnEndTurn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := &v1alpha1.Session{Spec: tc.spec}
			sess.Status.MessagesSent = tc.sent
			got := Phase(sess, foldEvents(t, tc.events...))
			if got.Phase != tc.wantPhase || got.Reason != tc.wantReason {
				t.Errorf("got %s/%s, want %s/%s", got.Phase, got.Reason, tc.wantPhase, tc.wantReason)
			}
		})
	}
}

// TestPausedSessionPhase proves that follow-up messages held by a paused session leave the turn
// complete (with the reason the turn ended for) and the session Idle, not "sending the next message";
// a paused session with nothing to send, or one still running, reads as usual.
func TestPausedSessionPhase(t *testing.T) {
	const (
		msg     = `{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"hi"}]}`
		run     = `{"type":"session.status_running","id":"sevt_2"}`
		idle    = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"end_turn"}}`
		refusal = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"refusal"}}`
	)
	withMessage := v1alpha1.SessionSpec{Prompt: "hi", Messages: []string{"more"}}
	cases := []struct {
		name       string
		spec       v1alpha1.SessionSpec
		events     []string
		wantPhase  v1alpha1.SessionPhase
		wantReason string
		wantDone   bool
	}{
		{"turn ended, a message held", withMessage, []string{msg, run, idle}, v1alpha1.SessionIdle, TurnEndTurn, true},
		{"refusal, a message held", withMessage, []string{msg, run, refusal}, v1alpha1.SessionIdle, TurnRefusal, true},
		{"turn ended, nothing to send", v1alpha1.SessionSpec{Prompt: "hi"}, []string{msg, run, idle}, v1alpha1.SessionSucceeded, TurnEndTurn, true},
		{"still running", withMessage, []string{msg, run}, v1alpha1.SessionRunning, "Running", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := &v1alpha1.Session{Spec: tc.spec}
			sess.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
			got := Phase(sess, foldEvents(t, tc.events...))
			if got.Phase != tc.wantPhase || got.Reason != tc.wantReason || got.TurnComplete != tc.wantDone {
				t.Errorf("got %s/%s complete=%v, want %s/%s complete=%v", got.Phase, got.Reason, got.TurnComplete, tc.wantPhase, tc.wantReason, tc.wantDone)
			}
		})
	}
}

// FuzzStatusStaysSmall proves the status builder keeps any event history inside the CRD's bounds:
// the Session stays far below etcd's object limit and every bounded string fits its maxLength.
func FuzzStatusStaysSmall(f *testing.F) {
	f.Add([]byte(`{"type":"agent.message","id":"sevt_1","content":[{"type":"text","text":"hello"}]}`), uint8(3))
	f.Add([]byte(`{"type":"session.error","id":"sevt_2","error":{"type":"x","message":"m","retry_status":{"type":"retrying"}}}`), uint8(1))
	f.Add([]byte(`{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"requires_action","event_ids":["a","b"]}}`), uint8(2))
	for _, seed := range surfaceSeeds {
		f.Add([]byte(seed), uint8(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, repeat uint8) {
		ev, err := sessionevents.Decode(data)
		if err != nil {
			return
		}
		var st sessionevents.State
		for i := range int(repeat)%64 + 1 {
			e := ev
			varyIDs(&e, i)
			st.Apply(&e)
		}
		var status v1alpha1.SessionStatus
		Apply(&status, &st)
		b, err := json.Marshal(status)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 256*1024 {
			t.Fatalf("status is %d bytes", len(b))
		}
		checkLen(t, "stopReason", status.StopReason, 64)
		checkLen(t, "lastAgentMessage", status.LastAgentMessage, v1alpha1.MaxLastMessageBytes)
		if e := status.LastError; e != nil {
			checkLen(t, "lastError.type", e.Type, 128)
			checkLen(t, "lastError.message", e.Message, 1024)
			checkLen(t, "lastError.retryStatus", e.RetryStatus, 32)
		}
		for _, p := range status.PendingActions {
			checkLen(t, "pendingActions.toolName", p.ToolName, 256)
			checkLen(t, "pendingActions.input", p.Input, 1024)
		}
		for _, r := range status.RecentEvents {
			checkLen(t, "recentEvents.type", r.Type, 64)
			checkLen(t, "recentEvents.summary", r.Summary, 256)
		}
		if len(status.RecentEvents) > v1alpha1.MaxRecentEvents || len(status.PendingActions) > v1alpha1.MaxPendingActions {
			t.Fatalf("lists too long: %d recent, %d pending", len(status.RecentEvents), len(status.PendingActions))
		}
		checkSurfaceStatus(t, &status)
	})
}

// checkLen checks a CRD maxLength, which counts characters.
func checkLen(t *testing.T, field, s string, maxChars int) {
	t.Helper()
	if n := utf8.RuneCountInString(s); n > maxChars || !utf8.ValidString(s) {
		t.Fatalf("%s has %d characters (max %d), valid UTF-8 %v", field, n, maxChars, utf8.ValidString(s))
	}
}
