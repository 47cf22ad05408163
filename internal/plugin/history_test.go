// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestHistoryNote(t *testing.T) {
	withFirst := []Entry{{Seq: 1, Reason: "UserMessage"}, {Seq: 4, Reason: "AgentMessage"}}
	withoutFirst := []Entry{{Seq: 40, Reason: "AgentMessage"}, {Key: "sevt_x", Reason: "ToolUse"}}
	for _, tc := range []struct {
		reason  string
		policy  v1alpha1.EventPolicy
		count   int64
		entries []Entry
		want    []string // substrings; none means no note
	}{
		{"a session without events has nothing to explain", "", 0, nil, nil},
		{"every Event from the first on: the whole conversation is shown", "", 12, withFirst, nil},
		{"the first Event is gone (expired): older entries are only in the remote history", "", 60, withoutFirst, []string{"Older entries exist only in the session's remote history"}},
		{"Messages keeps the prompt's Event but not the tool calls in between", v1alpha1.EventPolicyMessages, 12, withFirst, []string{"eventPolicy is Messages"}},
		{"None writes no session Events at all", v1alpha1.EventPolicyNone, 12, []Entry{{Key: "sevt_x", Reason: "AgentMessage"}},
			[]string{"Older entries exist only", "eventPolicy is None"}},
	} {
		sess := &v1alpha1.Session{Spec: v1alpha1.SessionSpec{EventPolicy: tc.policy}, Status: v1alpha1.SessionStatus{EventCount: tc.count}}
		got := HistoryNote(sess, tc.entries)
		if len(tc.want) == 0 && got != "" {
			t.Errorf("%s: unexpected note %q", tc.reason, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the note %q does not say %q", tc.reason, got, w)
			}
		}
	}
}
