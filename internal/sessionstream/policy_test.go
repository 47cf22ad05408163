// SPDX-License-Identifier: Apache-2.0

package sessionstream

import (
	"context"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// policyHistory is a turn with every kind of notable event, and some that are never notable.
var policyHistory = []string{
	`{"id":"e01","type":"user.message","content":[{"type":"text","text":"fix the build"}]}`,
	`{"id":"e02","type":"session.status_running"}`,
	`{"id":"e03","type":"agent.thinking"}`,
	`{"id":"e04","type":"agent.message","content":[{"type":"text","text":"Looking."}]}`,
	`{"id":"e05","type":"agent.tool_use","name":"bash","input":{"command":"make"},"evaluated_permission":"allow"}`,
	`{"id":"e06","type":"agent.tool_result","tool_use_id":"e05","content":[{"type":"text","text":"ok"}]}`,
	`{"id":"e07","type":"agent.tool_result","tool_use_id":"e05","is_error":true,"content":[{"type":"text","text":"boom"}]}`,
	`{"id":"e08","type":"agent.tool_use","name":"deploy","input":{},"evaluated_permission":"ask"}`,
	`{"id":"e09","type":"session.status_idle","stop_reason":{"type":"requires_action","event_ids":["e08"]}}`,
	`{"id":"e10","type":"user.tool_confirmation","tool_use_id":"e08","result":"allow"}`,
	`{"id":"e11","type":"agent.custom_tool_use","name":"lookup","input":{}}`,
	`{"id":"e12","type":"user.custom_tool_result","custom_tool_use_id":"e11","content":[{"type":"text","text":"42"}]}`,
	`{"id":"e13","type":"span.model_request_end","model_usage":{"input_tokens":1,"output_tokens":1}}`,
	`{"id":"e14","type":"session.error","error":{"type":"overloaded_error","message":"busy","retry_status":{"type":"retrying"}}}`,
	`{"id":"e15","type":"session.status_rescheduled"}`,
	`{"id":"e16","type":"session.status_idle","stop_reason":{"type":"end_turn"}}`,
}

func TestEventPolicyChangesWhatIsWrittenNeverWhatIsCounted(t *testing.T) {
	for _, tc := range []struct {
		policy v1alpha1.EventPolicy
		want   string // event ids with a Kubernetes Event, sorted
		reason string
	}{
		{"", "e01 e02 e04 e05 e06 e07 e08 e09 e10 e11 e12 e14 e15 e16",
			"a Stream without a policy (an older caller) writes what it always did"},
		{v1alpha1.EventPolicyAll, "e01 e02 e04 e05 e06 e07 e08 e09 e10 e11 e12 e14 e15 e16",
			"All is today's behavior: every notable event, never thinking or spans"},
		{v1alpha1.EventPolicyMessages, "e01 e04 e07 e08 e09 e10 e11 e12 e14 e16",
			"Messages keeps the conversation, turn ends, errors (a failed tool result too) and what waits for a person " +
				"(a tool use that asks, a custom tool use), and drops tool calls that run on their own, their results and running/rescheduled"},
		{v1alpha1.EventPolicyNone, "", "None writes status only"},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
			s := &Stream{pump: NewPump(kube, 0), api: historyAPI{history: policyHistory}, sessionID: "sesn_1",
				target: Target{Namespace: "ns", Name: "s", UID: "uid"}, policy: tc.policy}
			if _, err := s.foldHistory(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := writtenIDs(t, kube); got != tc.want {
				t.Errorf("%s:\nEvents for %q\nwant       %q", tc.reason, got, tc.want)
			}
			snap := s.Snapshot()
			if n := int64(len(policyHistory)); snap.EventCount != n || snap.State.Count != n {
				t.Errorf("status may count %d of %d events (state %d): the policy must never change what is counted", snap.EventCount, n, snap.State.Count)
			}
			if len(snap.State.Recent) != 14 {
				t.Errorf("status.recentEvents holds %d summaries, want all 14 notable events whatever the policy", len(snap.State.Recent))
			}
		})
	}
}

// TestEventPolicyChangeAppliesToLaterEvents proves a Session's spec.eventPolicy can change while it
// streams: the events after the change follow the new policy, and none before it is written again.
func TestEventPolicyChangeAppliesToLaterEvents(t *testing.T) {
	kube := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	s := &Stream{pump: NewPump(kube, 0), target: Target{Namespace: "ns", Name: "s", UID: "uid"}, policy: v1alpha1.EventPolicyNone}
	apply := func(raw string) {
		t.Helper()
		ev, err := sessionevents.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.apply(context.Background(), &ev); err != nil {
			t.Fatal(err)
		}
	}
	apply(policyHistory[3])
	s.setPolicy(v1alpha1.EventPolicyAll)
	apply(policyHistory[4])
	if got := writtenIDs(t, kube); got != "e05" {
		t.Fatalf("Events for %q, want only the event after the change to All", got)
	}
	if n := s.Snapshot().EventCount; n != 2 {
		t.Fatalf("status may count %d events, want 2", n)
	}
}

func writtenIDs(t *testing.T, kube client.Reader) string {
	t.Helper()
	var events corev1.EventList
	if err := kube.List(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range events.Items {
		ids = append(ids, e.Annotations[AnnotationEventID])
	}
	sort.Strings(ids)
	return strings.Join(ids, " ")
}
