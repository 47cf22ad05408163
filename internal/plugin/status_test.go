// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func finished(phase v1alpha1.SessionPhase, stop string) *v1alpha1.Session {
	s := session(metav1.ConditionTrue)
	s.Status.Phase, s.Status.StopReason = phase, stop
	s.Status.Conditions[0].Message = "the turn is over"
	return s
}

// refusedOpen is a session kept open (completionPolicy Never) whose turn ended in a refusal, read
// while status.stopReason is momentarily empty.
func refusedOpen() *v1alpha1.Session {
	s := finished(v1alpha1.SessionIdle, "")
	s.Status.Conditions[0].Reason = "Refusal"
	return s
}

func TestOutcome(t *testing.T) {
	cases := []struct {
		name    string
		sess    *v1alpha1.Session
		failure bool
	}{
		{"a succeeded session exits 0", finished(v1alpha1.SessionSucceeded, "end_turn"), false},
		{"a failed session exits non-zero", finished(v1alpha1.SessionFailed, "retries_exhausted"), true},
		{"a refusal exits non-zero even when the session stays open", finished(v1alpha1.SessionIdle, "refusal"), true},
		{"a timeout exits non-zero", finished(v1alpha1.SessionTimedOut, ""), true},
		{"a refusal told only by the TurnComplete reason exits non-zero", refusedOpen(), true},
		{"waiting for an answer is not a failure", finished(v1alpha1.SessionRequiresAction, "requires_action"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Outcome(tc.sess)
			if (err != nil) != tc.failure {
				t.Fatalf("Outcome = %v, want failure %v", err, tc.failure)
			}
			var exit *ExitError
			if err != nil && (!errors.As(err, &exit) || exit.Code == 0) {
				t.Error("a failure is an ExitError with a non-zero exit code")
			}
		})
	}
}

func TestStatusTextShowsUsageAndHowToAnswer(t *testing.T) {
	s := finished(v1alpha1.SessionRequiresAction, "requires_action")
	start := metav1.NewTime(t0)
	s.Status.StartTime = &start
	s.Status.Usage = &v1alpha1.SessionUsage{InputTokens: 120, OutputTokens: 45, ListCostUSD: "0.01", ActiveSeconds: 3}
	s.Status.PendingActions = []v1alpha1.PendingAction{askA, custom}
	out := StatusText(s, Styler{}, t0.Add(90*time.Second))
	for _, want := range []string{
		"Phase:        RequiresAction",
		"Stop reason:  requires_action",
		"120 input, 45 output, 0 cache read, 0 cache write tokens; $0.01 list cost; active 3s",
		"(90s ago)",
		"kubectl claude approve s1 sevt_a (or deny)",
		"kubectl claude tool-result s1 sevt_c --text TEXT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status text lacks %q:\n%s", want, out)
		}
	}
}

// TestStatusSaysAPausedSessionIsPaused proves status tells a paused session apart, with the command
// that resumes it, in text and in -o json.
func TestStatusSaysAPausedSessionIsPaused(t *testing.T) {
	s := finished(v1alpha1.SessionRunning, "")
	if out := StatusText(s, Styler{}, t0); strings.Contains(out, "Paused:") || NewStatusView(s).Paused {
		t.Errorf("an unpaused session shows as paused:\n%s", out)
	}
	s.Annotations = map[string]string{v1alpha1.AnnotationPaused: "true"}
	if out := StatusText(s, Styler{}, t0); !strings.Contains(out, "Paused:       yes: the operator sends nothing until `kubectl claude resume s1`") {
		t.Errorf("status text of a paused session:\n%s", out)
	}
	if !NewStatusView(s).Paused {
		t.Error("status -o json does not say paused")
	}
}

func TestStatusViewIsStableJSON(t *testing.T) {
	s := finished(v1alpha1.SessionSucceeded, "end_turn")
	s.Status.Usage = &v1alpha1.SessionUsage{OutputTokens: 7}
	var buf strings.Builder
	if err := PrintObject(&buf, OutputJSON, NewStatusView(s)); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &back); err != nil {
		t.Fatal(err)
	}
	if back["phase"] != "Succeeded" || back["turnComplete"] != true || back["usage"].(map[string]any)["outputTokens"] != float64(7) {
		t.Errorf("status -o json carries phase, turn and usage: %s", buf.String())
	}
}

func TestFooter(t *testing.T) {
	s := finished(v1alpha1.SessionFailed, "refusal")
	out := Footer(s, Styler{})
	if !strings.HasPrefix(out, "session s1 Failed (refusal): the turn is over\n") {
		t.Errorf("the footer names the session, phase and stop reason: %q", out)
	}
}

func TestPrintTable(t *testing.T) {
	created := metav1.NewTime(t0.Add(-2 * time.Hour))
	a := v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Name: "coder-abc", Namespace: "team-a", CreationTimestamp: created}}
	a.Spec.AgentRef = &v1alpha1.AgentReference{Name: "coder"}
	a.Status = v1alpha1.SessionStatus{Phase: v1alpha1.SessionSucceeded, StopReason: "end_turn", EventCount: 7,
		Usage: &v1alpha1.SessionUsage{InputTokens: 120, OutputTokens: 45, ListCostUSD: "0.01"}}
	b := v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Name: "new", Namespace: "team-b", CreationTimestamp: created}}

	var out strings.Builder
	if err := PrintTable(&out, []v1alpha1.Session{a, b}, TableOptions{AllNamespaces: true, Now: t0}); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := [][]string{
		{"NAMESPACE", "NAME", "AGENT", "PHASE", "STOP", "REASON", "COST", "TOKENS", "(IN/OUT)", "EVENTS", "AGE"},
		{"team-a", "coder-abc", "coder", "Succeeded", "end_turn", "0.01", "120/45", "7", "120m"},
		{"team-b", "new", "<none>", "<none>", "<none>", "<none>", "<none>", "<none>", "120m"},
	}
	for i, w := range want {
		if got := strings.Fields(rows[i]); !equal(got, w) {
			t.Errorf("row %d: got %v, want %v", i, got, w)
		}
	}
}

func TestPrintTableWide(t *testing.T) {
	s := v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Name: "s", CreationTimestamp: metav1.NewTime(t0)}}
	s.Status.ID, s.Status.LastAgentMessage = "sesn_1", "line one\nline two"
	var out strings.Builder
	if err := PrintTable(&out, []v1alpha1.Session{s}, TableOptions{Wide: true, Now: t0}); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.Contains(rows[0], "REMOTE ID") || !strings.Contains(rows[0], "LAST MESSAGE") {
		t.Errorf("-o wide adds kubectl's priority-1 columns: %q", rows[0])
	}
	if len(rows) != 2 || !strings.Contains(rows[1], "sesn_1") || !strings.Contains(rows[1], "line one line two") {
		t.Errorf("the last message is shown on one line: %q", out.String())
	}
}

func TestFooterOfASessionThatCannotLaunch(t *testing.T) {
	s := &v1alpha1.Session{}
	s.Name = "s1"
	if out := Footer(s, Styler{}); out != "session s1 Pending: the operator has not picked the session up yet\n" {
		t.Errorf("a session nobody reconciled says so: %q", out)
	}
	s.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: "False", Reason: "ReferenceNotReady", Message: "Agent a/coder is not Ready yet"}}
	if out := Footer(s, Styler{}); !strings.Contains(out, "Pending: Agent a/coder is not Ready yet") {
		t.Errorf("a session waiting for its references says which: %q", out)
	}
}
