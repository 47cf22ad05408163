// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// object builds an object of a kind at generation 2 with a status, the way the API server returns it.
func object(kind string, status map[string]any, mutate ...func(map[string]any)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": "x", "namespace": "ns", "generation": int64(2)},
	}}
	if status != nil {
		u.Object["status"] = status
	}
	for _, m := range mutate {
		m(u.Object)
	}
	return u
}

func cond(condType, status, reason, message string) map[string]any {
	return map[string]any{"type": condType, "status": status, "reason": reason, "message": message}
}

func conds(c ...map[string]any) []any {
	out := make([]any, len(c))
	for i := range c {
		out[i] = c[i]
	}
	return out
}

// TestChecksOnEdgeCases covers what the life test on the API server does not reach on purpose:
// objects the operator has not written yet, a stale generation, deletion, and conditions in
// combinations the decision table allows. The life cases are in internal/controller.
func TestChecksOnEdgeCases(t *testing.T) {
	healthy := conds(cond("Ready", "True", "UpToDate", "remote agent agent_1 matches the spec"),
		cond("Reconciling", "False", "Reconciled", "remote agent agent_1 matches the spec"), cond("Stalled", "False", "NotStalled", ""),
		cond("Paused", "False", "NotPaused", ""))
	cases := []struct {
		name    string
		reason  string
		obj     *unstructured.Unstructured
		status  string
		message string
	}{
		{name: "no status", reason: "an object read before the API server applied the schema default (an old CRD) has no status at all",
			obj: object("Agent", nil), status: Progressing, message: "generation is 2, but latest observed generation is none"},
		{name: "default status", reason: "a new object has the schema default observedGeneration -1 until the operator writes status",
			obj: object("Environment", map[string]any{"observedGeneration": int64(-1)}), status: Progressing, message: "generation is 2, but latest observed generation is -1"},
		{name: "stale generation", reason: "conditions of an older generation say nothing about the newest spec, however healthy",
			obj: object("Vault", map[string]any{"observedGeneration": int64(1), "conditions": healthy}), status: Progressing,
			message: "Vault generation is 2, but latest observed generation is 1"},
		{name: "current", reason: "the generation is observed and Ready with nothing reconciling or stalled",
			obj: object("Skill", map[string]any{"observedGeneration": int64(2), "conditions": healthy}), status: Healthy, message: "matches the spec"},
		{name: "deleting", reason: "a deleted object waits for its finalizer: Argo CD shows deletion as Progressing",
			obj: object("MemoryStore", map[string]any{"observedGeneration": int64(2), "conditions": healthy},
				func(o map[string]any) { o["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z" }),
			status: Progressing, message: "Deleting"},
		{name: "paused and stalled", reason: "a pause fixes nothing: a stalled object stays Degraded",
			obj: object("Agent", map[string]any{"observedGeneration": int64(2), "conditions": conds(
				cond("Ready", "False", "InvalidSpec", "400 unknown model"), cond("Stalled", "True", "InvalidSpec", "400 unknown model"),
				cond("Reconciling", "False", "Stalled", ""), cond("Paused", "True", "Paused", "held"))}),
			status: Degraded, message: "400 unknown model"},
		{name: "ready false without reconciling", reason: "kstatus reads Ready=False as InProgress; the check does the same",
			obj:    object("Agent", map[string]any{"observedGeneration": int64(2), "conditions": conds(cond("Ready", "False", "Whatever", "not yet"))}),
			status: Progressing, message: "not yet"},
		{name: "session requires action", reason: "tool calls waiting for the user's answer suspend the Session in Argo CD",
			obj: object("Session", map[string]any{"observedGeneration": int64(2), "phase": "RequiresAction", "conditions": conds(
				cond("Reconciling", "False", "RequiresAction", "1 tool call(s) wait for an answer"), cond("Stalled", "False", "NotStalled", ""),
				cond("Paused", "False", "NotPaused", ""))}),
			status: Suspended, message: "RequiresAction: 1 tool call(s) wait"},
		{name: "session without phase", reason: "a Session whose status has no phase yet reads as Pending",
			obj: object("Session", map[string]any{"observedGeneration": int64(2), "conditions": conds(
				cond("Reconciling", "True", "Pending", "waiting to launch"))}),
			status: Progressing, message: "Pending: waiting to launch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			script, err := ScriptFor(tc.obj.GetKind())
			if err != nil {
				t.Fatal(err)
			}
			got, err := ArgoHealth(script, tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status || !strings.Contains(got.Message, tc.message) {
				t.Errorf("%s: got %s %q, want %s containing %q", tc.reason, got.Status, got.Message, tc.status, tc.message)
			}
		})
	}
}

// TestHarnessRefusesWhatArgoCDRefuses: the harness is as strict as Argo CD, so a check that passes
// here does not fail there: no string library, and only Argo CD's statuses.
func TestHarnessRefusesWhatArgoCDRefuses(t *testing.T) {
	obj := object("Agent", nil)
	if _, err := ArgoHealth(`return {status = string.upper("healthy")}`, obj); err == nil {
		t.Error("a check that calls the string library ran; Argo CD does not load it")
	}
	if _, err := ArgoHealth(`return {status = "Fine"}`, obj); err == nil {
		t.Error("a check that returns a status Argo CD does not know passed")
	}
	if _, err := ArgoHealth(`return "Healthy"`, obj); err == nil {
		t.Error("a check that returns a string, not a table, passed")
	}
}
