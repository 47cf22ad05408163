// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

func keys(entries []Entry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Key)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOrder(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	cases := []struct {
		name string
		in   []Entry
		want []string
	}{
		{
			name: "session events come out by sequence whatever order the list had",
			in:   []Entry{{Key: "c", Seq: 3, Time: at(3)}, {Key: "a", Seq: 1, Time: at(1)}, {Key: "b", Seq: 2, Time: at(2)}},
			want: []string{"a", "b", "c"},
		},
		{
			name: "the sequence wins over timestamps that disagree with it",
			in:   []Entry{{Key: "b", Seq: 2, Time: at(1)}, {Key: "a", Seq: 1, Time: at(5)}},
			want: []string{"a", "b"},
		},
		{
			name: "lifecycle changes are merged in by time",
			in: []Entry{
				{Key: "done", Lifecycle: true, Time: at(10)},
				{Key: "u", Seq: 1, Time: at(2)},
				{Key: "launched", Lifecycle: true, Time: at(1)},
				{Key: "a", Seq: 2, Time: at(5)},
			},
			want: []string{"launched", "u", "a", "done"},
		},
		{
			name: "at the same instant the session event goes first",
			in:   []Entry{{Key: "phase", Lifecycle: true, Time: at(3)}, {Key: "idle", Seq: 4, Time: at(3)}},
			want: []string{"idle", "phase"},
		},
		{
			name: "no entries, no lines",
			in:   nil,
			want: []string{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := keys(Order(tc.in)); !equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMergeFillsExpiredEventsFromStatus(t *testing.T) {
	at := func(s int) *metav1.Time { m := metav1.NewTime(t0.Add(time.Duration(s) * time.Second)); return &m }
	events := []Entry{{Key: "sevt_1", Seq: 1, Time: t0.Add(time.Second), Reason: sessionevents.ReasonUserMessage}}
	recent := []v1alpha1.EventSummary{
		{ID: "sevt_1", Type: "user.message", Time: at(1), Summary: "hi"},
		{ID: "sevt_2", Type: "agent.message", Time: at(2), Summary: "echo: hi"},
		{ID: "sevt_3", Type: "session.status_idle", Time: at(3), Summary: "waiting for an answer to sevt_9"},
	}
	var fromStatus []Entry
	for i := range recent {
		fromStatus = append(fromStatus, FromRecent(&recent[i]))
	}
	got := Order(Merge(events, fromStatus))
	if want := []string{"sevt_1", "sevt_2", "sevt_3"}; !equal(keys(got), want) {
		t.Fatalf("an event with an Event is not repeated from status: got %v, want %v", keys(got), want)
	}
	if got[1].Reason != sessionevents.ReasonAgentMessage || got[2].Reason != sessionevents.ReasonActionRequired {
		t.Errorf("status summaries get the reasons their Events would have had: %+v", got)
	}
}
