// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"errors"
	"strings"
	"testing"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func sessionWith(pending []v1alpha1.PendingAction, mutate ...func(*v1alpha1.Session)) *v1alpha1.Session {
	s := &v1alpha1.Session{}
	s.Name = "s1"
	s.Status.Phase = v1alpha1.SessionRequiresAction
	s.Status.PendingActions = pending
	for _, m := range mutate {
		m(s)
	}
	return s
}

var (
	askA   = v1alpha1.PendingAction{EventID: "sevt_a", Kind: v1alpha1.PendingToolConfirmation, ToolName: "bash"}
	askB   = v1alpha1.PendingAction{EventID: "sevt_b", Kind: v1alpha1.PendingToolConfirmation, ToolName: "write"}
	custom = v1alpha1.PendingAction{EventID: "sevt_c", Kind: v1alpha1.PendingCustomToolResult, ToolName: "open_ticket"}
)

func TestSelectActions(t *testing.T) {
	answeredA := func(s *v1alpha1.Session) {
		s.Spec.ToolConfirmations = []v1alpha1.ToolConfirmation{{ToolUseID: "sevt_a", Decision: v1alpha1.ConfirmationAllow}}
	}
	cases := []struct {
		name    string
		sess    *v1alpha1.Session
		id      string
		all     bool
		want    []string
		errLike string
		noneErr bool
	}{
		{name: "the only pending confirmation needs no id", sess: sessionWith([]v1alpha1.PendingAction{askA, custom}), want: []string{"sevt_a"}},
		{name: "an id picks one of several", sess: sessionWith([]v1alpha1.PendingAction{askA, askB}), id: "sevt_b", want: []string{"sevt_b"}},
		{name: "--all takes every open one", sess: sessionWith([]v1alpha1.PendingAction{askA, askB, custom}), all: true, want: []string{"sevt_a", "sevt_b"}},
		{name: "several without id or --all is ambiguous", sess: sessionWith([]v1alpha1.PendingAction{askA, askB}), errLike: "pass one of sevt_a, sevt_b, or --all"},
		{name: "nothing pending says so", sess: sessionWith(nil, func(s *v1alpha1.Session) { s.Status.Phase = v1alpha1.SessionSucceeded }),
			errLike: "session s1 has no pending action (phase Succeeded)", noneErr: true},
		{name: "a custom tool call is pointed to tool-result", sess: sessionWith([]v1alpha1.PendingAction{custom}),
			errLike: "kubectl claude tool-result s1 sevt_c --text TEXT", noneErr: true},
		{name: "an answer already in the spec is not sent twice", sess: sessionWith([]v1alpha1.PendingAction{askA}, answeredA),
			errLike: "sevt_a already answered", noneErr: true},
		{name: "an unknown id lists the pending ones", sess: sessionWith([]v1alpha1.PendingAction{askA}), id: "sevt_zz",
			errLike: "no pending action sevt_zz: pending ToolConfirmation actions are sevt_a"},
		{name: "an id of the other kind says which command answers it", sess: sessionWith([]v1alpha1.PendingAction{askA, custom}), id: "sevt_c",
			errLike: "is a CustomToolResult action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SelectActions(tc.sess, v1alpha1.PendingToolConfirmation, tc.id, tc.all)
			if tc.errLike != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errLike) {
					t.Fatalf("error %v, want one containing %q", err, tc.errLike)
				}
				if tc.noneErr != errors.Is(err, ErrNoPendingAction) {
					t.Errorf("errors.Is(err, ErrNoPendingAction) = %v, want %v", !tc.noneErr, tc.noneErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids := eventIDs(got); !equal(ids, tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestSelectCustomToolResult(t *testing.T) {
	got, err := SelectActions(sessionWith([]v1alpha1.PendingAction{askA, custom}), v1alpha1.PendingCustomToolResult, "sevt_c", false)
	if err != nil || len(got) != 1 || got[0].ToolName != "open_ticket" {
		t.Fatalf("tool-result finds the custom call by id: %v %v", got, err)
	}
}
