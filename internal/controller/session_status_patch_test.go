// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// mergeApply applies a JSON merge patch (RFC 7386) to a decoded document.
func mergeApply(target any, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergeApply(t[k], v)
	}
	return t
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return v
}

// TestStatusMergePatchMatchesMergeFrom proves the status patch built field by field leaves the
// server's object exactly as the client.MergeFrom patch it replaces would: same status, same
// resourceVersion precondition. Each case is a kind of change a reconcile makes.
func TestStatusMergePatchMatchesMergeFrom(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC))
	base := func() *v1alpha1.Session {
		s := &v1alpha1.Session{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", ResourceVersion: "41", Finalizers: []string{Finalizer}}}
		s.Status = v1alpha1.SessionStatus{
			ID: "sesn_1", Phase: v1alpha1.SessionRunning, StartTime: &now, EventCount: 4, LastEventID: "sevt_4",
			Usage:        &v1alpha1.SessionUsage{InputTokens: 10, OutputTokens: 5, ListCostUSD: "0.01"},
			RecentEvents: []v1alpha1.EventSummary{{ID: "sevt_3", Type: "agent.message", Summary: "hi"}},
			LastError:    &v1alpha1.SessionError{Type: "overloaded_error", Message: "busy", RetryStatus: "retrying"},
			Conditions:   []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Running", LastTransitionTime: now}},
		}
		return s
	}
	cases := []struct {
		name   string
		change func(s *v1alpha1.Session)
	}{
		{"one more event: counters, id and the recent list", func(s *v1alpha1.Session) {
			s.Status.EventCount, s.Status.LastEventID = 5, "sevt_5"
			s.Status.RecentEvents = append(s.Status.RecentEvents, v1alpha1.EventSummary{ID: "sevt_5", Type: "agent.message", Summary: "more"})
			s.Status.LastAgentMessage = "more"
		}},
		{"an error cleared becomes null", func(s *v1alpha1.Session) { s.Status.LastError = nil }},
		{"a nested key emptied becomes a nested null", func(s *v1alpha1.Session) {
			s.Status.Usage = &v1alpha1.SessionUsage{InputTokens: 20, OutputTokens: 5}
		}},
		{"a list emptied is removed", func(s *v1alpha1.Session) { s.Status.RecentEvents = nil }},
		{"phase, conditions and completion time change together", func(s *v1alpha1.Session) {
			s.Status.Phase, s.Status.CompletionTime = v1alpha1.SessionSucceeded, &now
			s.Status.Conditions[0].Reason = "Succeeded"
		}},
		{"only the resourceVersion moved (a finalizer update in the same reconcile)", func(*v1alpha1.Session) {}},
		{"fields set for the first time", func(s *v1alpha1.Session) {
			s.Status.PendingActions = []v1alpha1.PendingAction{{EventID: "sevt_9", Kind: v1alpha1.PendingToolConfirmation, ToolName: "bash"}}
			s.Status.ObservedGeneration = 2
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			original := base()
			sess := original.DeepCopy()
			sess.ResourceVersion = "42"
			tc.change(sess)
			want, err := statusPatch(original, sess).Data(sess)
			if err != nil {
				t.Fatal(err)
			}
			got, err := statusMergePatch(original, sess)
			if err != nil {
				t.Fatal(err)
			}
			server, _ := json.Marshal(original)
			wantObj := mergeApply(decodeJSON(t, server), decodeJSON(t, want)).(map[string]any)
			gotObj := mergeApply(decodeJSON(t, server), decodeJSON(t, got)).(map[string]any)
			if !reflect.DeepEqual(wantObj["status"], gotObj["status"]) {
				t.Errorf("status after the patch\n got: %v\nwant: %v\npatch: %s", gotObj["status"], wantObj["status"], got)
			}
			rv := func(o map[string]any) any { return o["metadata"].(map[string]any)["resourceVersion"] }
			if rv(gotObj) != "42" || rv(wantObj) != "42" {
				t.Errorf("resourceVersion precondition: got %v, MergeFrom %v, want 42", rv(gotObj), rv(wantObj))
			}
		})
	}
}
