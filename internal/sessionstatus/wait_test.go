// SPDX-License-Identifier: Apache-2.0

package sessionstatus

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestDecideNamesWhatAMessageWaitsFor: while the user message due now waits for its attachment's
// ConfigMap, the phase's message says so instead of "waiting to launch" or "sending the next
// message"; everything else (the phase, a running turn, a paused Session) is decided as before.
func TestDecideNamesWhatAMessageWaitsFor(t *testing.T) {
	const (
		msg  = `{"type":"user.message","id":"sevt_1","content":[{"type":"text","text":"hi"}]}`
		run  = `{"type":"session.status_running","id":"sevt_2"}`
		idle = `{"type":"session.status_idle","id":"sevt_3","stop_reason":{"type":"end_turn"}}`
		wait = "waiting for ConfigMap ns/shots to send spec.messages[0]: spec.attachments[0]: ConfigMap ns/shots does not exist"
	)
	launched := func(annotations map[string]string) *v1alpha1.Session {
		s := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Prompt: "hi", Messages: []string{"more"}}, Status: v1alpha1.SessionStatus{ID: "sesn_1"}}
		s.Annotations = annotations
		return s
	}
	timed := launched(nil)
	timed.Spec.Timeout = &metav1.Duration{Duration: time.Minute}
	cases := []struct {
		why       string
		sess      *v1alpha1.Session
		in        Inputs
		wantPhase v1alpha1.SessionPhase
		wantMsg   string
	}{
		{"a prompt waiting for its ConfigMap names it while Pending", &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Prompt: "hi"}},
			Inputs{MessageWaits: wait}, v1alpha1.SessionPending, wait},
		{"without a wait, Pending reads as before", &v1alpha1.Session{Spec: v1alpha1.SessionSpec{Prompt: "hi"}},
			Inputs{}, v1alpha1.SessionPending, "waiting to launch"},
		{"a follow-up waiting for its ConfigMap names it, and the Session stays Idle", launched(nil),
			Inputs{State: foldEvents(t, msg, run, idle), MessageWaits: wait}, v1alpha1.SessionIdle, wait},
		{"without a wait, the next message is being sent", launched(nil),
			Inputs{State: foldEvents(t, msg, run, idle)}, v1alpha1.SessionIdle, "sending the next message"},
		{"a paused Session says it is paused", launched(map[string]string{v1alpha1.AnnotationPaused: "true"}),
			Inputs{State: foldEvents(t, msg, run, idle), MessageWaits: wait}, v1alpha1.SessionIdle,
			"the turn is over; 1 follow-up message(s) wait until the session is no longer paused"},
		{"a timeout wins over the wait", timed,
			Inputs{State: foldEvents(t, msg, run, idle), MessageWaits: wait, TimedOut: true}, v1alpha1.SessionTimedOut, ""},
	}
	for _, tc := range cases {
		got := Decide(tc.sess, tc.in)
		if got.Phase != tc.wantPhase || (tc.wantMsg != "" && got.Message != tc.wantMsg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.why, got.Phase, got.Message, tc.wantPhase, tc.wantMsg)
		}
	}
}
