// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

var t0 = time.Date(2026, 5, 4, 10, 20, 30, 0, time.UTC)

// plain is a formatter without color, in UTC, with the default truncation.
var plain = Formatter{Location: time.UTC, MaxToolText: DefaultMaxToolText}

func TestFormatEntry(t *testing.T) {
	cases := []struct {
		name  string
		entry Entry
		want  string
	}{
		{
			name:  "a user message has its time, a fixed-width label and the text",
			entry: Entry{Time: t0, Seq: 1, Reason: sessionevents.ReasonUserMessage, Text: "fix the build"},
			want:  "10:20:30  user      fix the build\n",
		},
		{
			name:  "continuation lines are indented under the text",
			entry: Entry{Time: t0, Seq: 2, Reason: sessionevents.ReasonAgentMessage, Text: "line one\nline two\n"},
			want:  "10:20:30  agent     line one\n                    line two\n",
		},
		{
			name:  "an unknown time keeps the column width",
			entry: Entry{Seq: 3, Reason: sessionevents.ReasonRunning, Text: "agent is running"},
			want:  "--------  status    agent is running\n",
		},
		{
			name:  "a lifecycle change reads as a phase change",
			entry: Entry{Time: t0, Lifecycle: true, Reason: "Succeeded", Text: "Session Succeeded: done"},
			want:  "10:20:30  phase     Session Succeeded: done\n",
		},
		{
			name:  "a lifecycle warning names its reason when the text does not",
			entry: Entry{Time: t0, Lifecycle: true, Warning: true, Reason: "ReferenceNotReady", Text: "Agent a/b is not Ready yet"},
			want:  "10:20:30  warning   ReferenceNotReady: Agent a/b is not Ready yet\n",
		},
		{
			name:  "control characters from the model cannot reach the terminal",
			entry: Entry{Time: t0, Seq: 4, Reason: sessionevents.ReasonAgentMessage, Text: "red \x1b[31malert\x1b[0m\tdone"},
			want:  "10:20:30  agent     red [31malert[0m\tdone\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := plain.Entry(tc.entry); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFormatTruncatesOnlyToolTraffic(t *testing.T) {
	long := strings.Repeat("é", 400)
	f := Formatter{Location: time.UTC, MaxToolText: 10}

	tool := f.Entry(Entry{Time: t0, Seq: 1, Reason: sessionevents.ReasonToolResult, Text: long})
	if want := "10:20:30  result    " + strings.Repeat("é", 9) + "…\n"; tool != want {
		t.Errorf("a tool result is cut to 10 characters, on a rune boundary:\ngot  %q\nwant %q", tool, want)
	}
	msg := f.Entry(Entry{Time: t0, Seq: 2, Reason: sessionevents.ReasonAgentMessage, Text: long})
	if !strings.Contains(msg, long) {
		t.Errorf("agent messages are never truncated: %q", msg)
	}
	full := Formatter{Location: time.UTC}.Entry(Entry{Time: t0, Seq: 1, Reason: sessionevents.ReasonToolUse, Text: long})
	if !strings.Contains(full, long) {
		t.Errorf("MaxToolText 0 (--full) keeps tool text whole: %q", full)
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"日本語のテキスト", 4, "日本語…"},
		{"anything", 0, "anything"},
	}
	for _, tc := range cases {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestColorOnlyWhenEnabled(t *testing.T) {
	e := Entry{Time: t0, Seq: 1, Reason: sessionevents.ReasonSessionError, Text: "boom"}
	if got := plain.Entry(e); strings.Contains(got, "\x1b[") {
		t.Errorf("a disabled styler writes no escape codes: %q", got)
	}
	colored := Formatter{Location: time.UTC, Styler: Styler{Enabled: true}}.Entry(e)
	if !strings.Contains(colored, styleRed+"error    "+styleReset) {
		t.Errorf("an enabled styler colors the label: %q", colored)
	}
}

func TestColorEnabled(t *testing.T) {
	env := func(vals map[string]string) func(string) string {
		return func(k string) string { return vals[k] }
	}
	var buf strings.Builder
	if ColorEnabled(&buf, env(nil)) {
		t.Error("a writer that is not a terminal gets no color")
	}
	f, err := createTemp(t)
	if err != nil {
		t.Fatal(err)
	}
	if ColorEnabled(f, env(nil)) {
		t.Error("a regular file is not a terminal: no color")
	}
	if ColorEnabled(f, env(map[string]string{"NO_COLOR": "1"})) {
		t.Error("NO_COLOR turns color off")
	}
}

func TestFromEvent(t *testing.T) {
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "s.1", UID: "u1", Annotations: map[string]string{
			AnnotationEventID: "sevt_1", AnnotationEventSequence: "7", AnnotationEventType: "agent.message",
		}},
		Reason: sessionevents.ReasonAgentMessage, Message: "hi", Type: corev1.EventTypeNormal,
		EventTime: metav1.NewMicroTime(t0), FirstTimestamp: metav1.NewTime(t0.Add(time.Hour)),
	}
	e := FromEvent(ev)
	if e.Key != "sevt_1" || e.Seq != 7 || e.Lifecycle || !e.Time.Equal(t0) || e.Text != "hi" {
		t.Errorf("a session event keeps its id, sequence and event time: %+v", e)
	}

	life := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "s.2", UID: "u2"},
		Reason:     "Succeeded", Message: "Session Succeeded", Type: corev1.EventTypeNormal,
		LastTimestamp: metav1.NewTime(t0),
		Series:        &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(t0.Add(time.Minute))},
	}
	l := FromEvent(life)
	if !l.Lifecycle || l.Seq != 0 || l.Key != "u2#3" || !l.Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("a lifecycle Event in a series is keyed by its count and timed by its last occurrence: %+v", l)
	}
}
