// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func cond(condType string, status metav1.ConditionStatus, reason Reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: status, Reason: string(reason), Message: message}
}

// verdict renders a progress as "Reconciling/<reason>", "Stalled/<reason>" or "Done/<reason>".
func verdict(p progress) string {
	switch {
	case p.stalled:
		return "Stalled/" + p.reason
	case p.reconciling:
		return "Reconciling/" + p.reason
	}
	return "Done/" + p.reason
}

func TestManagedProgress(t *testing.T) {
	ready := cond(v1alpha1.ConditionReady, "True", ReasonUpToDate, "remote agent a matches the spec")
	synced := cond(v1alpha1.ConditionSynced, "True", ReasonSynced, "ok")
	cases := []struct {
		reason string
		conds  []metav1.Condition
		paused bool
		want   string
		msg    string
	}{
		{reason: "a synced object whose remote matches is done, with Ready's message",
			conds: []metav1.Condition{ready, synced}, want: "Done/Reconciled", msg: "remote agent a matches the spec"},
		{reason: "a missing key Secret is a wait: the Secret may be applied next, and its creation re-queues the object",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonCredentialsNotFound, "Secret ns/k not found"),
				cond(v1alpha1.ConditionSynced, "False", ReasonCredentialsNotFound, "Secret ns/k not found")},
			want: "Reconciling/CredentialsNotFound", msg: "Secret ns/k not found"},
		{reason: "a referenced object that is not Ready is a wait",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonReferenceNotReady, "Agent ns/b is not ready yet"),
				cond(v1alpha1.ConditionSynced, "False", ReasonReferenceNotReady, "Agent ns/b is not ready yet")},
			want: "Reconciling/ReferenceNotReady"},
		{reason: "an outage on a resync of a Ready object is a retry: the operator is still working on it",
			conds: []metav1.Condition{ready, cond(v1alpha1.ConditionSynced, "False", ReasonAPIUnavailable, "503")},
			want:  "Reconciling/APIUnavailable", msg: "503"},
		{reason: "a spec the API rejects needs a human",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonInvalidSpec, "400 unknown model"),
				cond(v1alpha1.ConditionSynced, "False", ReasonInvalidSpec, "400 unknown model")},
			want: "Stalled/InvalidSpec", msg: "400 unknown model"},
		{reason: "a revoked key stalls even a Ready object: no retry brings it back",
			conds: []metav1.Condition{ready, cond(v1alpha1.ConditionSynced, "False", ReasonUnauthorized, "401 invalid x-api-key")},
			want:  "Stalled/Unauthorized", msg: "401 invalid x-api-key"},
		{reason: "a remote object archived outside the operator stalls although the last call worked",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonRemoteArchived, "archived"), synced},
			want:  "Stalled/RemoteArchived"},
		{reason: "a blocked deletion shows Ready's fuller message, and stalls only when its cause does",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonDeletionBlocked, "cannot archive: 401; set Retain"),
				cond(v1alpha1.ConditionSynced, "False", ReasonUnauthorized, "401")},
			want: "Stalled/DeletionBlocked", msg: "cannot archive: 401; set Retain"},
		{reason: "a blocked deletion waiting for the key to come back is a wait",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonDeletionBlocked, "waiting up to 30s"),
				cond(v1alpha1.ConditionSynced, "False", ReasonCredentialsNotFound, "Secret gone")},
			want: "Reconciling/DeletionBlocked", msg: "waiting up to 30s"},
		{reason: "a paused Ready object is done: the operator holds it as asked (what Flux expects of a suspended object)",
			conds: []metav1.Condition{ready, synced}, paused: true, want: "Done/Paused"},
		{reason: "a paused object that was retrying is done too: nothing is being retried while paused",
			conds: []metav1.Condition{ready, cond(v1alpha1.ConditionSynced, "False", ReasonAPIUnavailable, "503")}, paused: true, want: "Done/Paused"},
		{reason: "a pause fixes nothing: a stalled object stays stalled",
			conds: []metav1.Condition{cond(v1alpha1.ConditionReady, "False", ReasonInvalidSpec, "400"),
				cond(v1alpha1.ConditionSynced, "False", ReasonInvalidSpec, "400")}, paused: true, want: "Stalled/InvalidSpec"},
		{reason: "an AgentDeployment whose schedule the API stopped after a failed run waits for a spec change: a human",
			conds: []metav1.Condition{ready, synced, cond(v1alpha1.ConditionScheduled, "False", ReasonPausedByAPI, "the API paused the schedule")},
			want:  "Stalled/PausedByAPI", msg: "the API paused the schedule"},
		{reason: "a kind's own condition False for an ordinary reason (a suspended schedule) stalls nothing",
			conds: []metav1.Condition{ready, synced, cond(v1alpha1.ConditionScheduled, "False", ReasonSuspended, "spec.suspend is true")},
			want:  "Done/Reconciled"},
		{reason: "no Ready yet means the operator has not synced",
			conds: nil, want: "Reconciling/Progressing"},
	}
	for _, tc := range cases {
		p := managedProgress(tc.conds, tc.paused)
		if got := verdict(p); got != tc.want || (tc.msg != "" && p.message != tc.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.reason, got, p.message, tc.want, tc.msg)
		}
	}
}

func TestSessionProgress(t *testing.T) {
	turn := cond(v1alpha1.ConditionTurnComplete, "False", Reason(v1alpha1.SessionRunning), "the agent is working")
	cases := []struct {
		reason string
		status v1alpha1.SessionStatus
		paused bool
		want   string
		msg    string
	}{
		{reason: "a Session waiting for its Agent is on its way, saying what it waits for",
			status: v1alpha1.SessionStatus{Phase: v1alpha1.SessionPending, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionSynced, "False", ReasonReferenceNotReady, "Agent ns/coder is not Ready")}},
			want: "Reconciling/ReferenceNotReady", msg: "Agent ns/coder is not Ready"},
		{reason: "a Session about to launch is on its way",
			status: v1alpha1.SessionStatus{Phase: v1alpha1.SessionPending}, want: "Reconciling/Pending", msg: "waiting to launch"},
		{reason: "a running Session does what it was asked: Current",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRunning, Conditions: []metav1.Condition{turn}},
			want:   "Done/Running", msg: "the agent is working"},
		{reason: "a Session waiting for the user's answer is done for now",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRequiresAction}, want: "Done/RequiresAction"},
		{reason: "Succeeded is done",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionSucceeded}, want: "Done/Succeeded"},
		{reason: "Failed is final: Stalled with how it ended",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionFailed, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionFinished, "True", Reason(v1alpha1.SessionFailed), "terminated by error: boom")}},
			want: "Stalled/Failed", msg: "terminated by error: boom"},
		{reason: "TimedOut is final", status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionTimedOut}, want: "Stalled/TimedOut"},
		{reason: "Terminated is final", status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionTerminated}, want: "Stalled/Terminated"},
		{reason: "a final phase wins over a pause",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionFailed}, paused: true, want: "Stalled/Failed"},
		{reason: "a refused key stalls a running Session",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRunning, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionSynced, "False", ReasonUnauthorized, "401")}},
			want: "Stalled/Unauthorized"},
		{reason: "a dropped stream of a running Session is a retry",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRunning, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionSynced, "False", ReasonAPIUnavailable, "503")}},
			want: "Reconciling/APIUnavailable"},
		{reason: "a paused launched Session is done: its remote agent goes on and status follows it",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRunning}, paused: true, want: "Done/Paused"},
		{reason: "a message waiting for its attachment's ConfigMap is on its way, naming it, not Current",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionIdle, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionAttachmentsResolved, "False", ReasonConfigMapNotFound, "spec.messages[0] waits: ConfigMap ns/shots does not exist")}},
			want: "Reconciling/ConfigMapNotFound", msg: "ConfigMap ns/shots"},
		{reason: "a prompt waiting for its attachment's ConfigMap says so rather than just Pending",
			status: v1alpha1.SessionStatus{Phase: v1alpha1.SessionPending, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionAttachmentsResolved, "False", ReasonConfigMapNotFound, "spec.prompt waits: ConfigMap ns/shots does not exist")}},
			want: "Reconciling/ConfigMapNotFound", msg: "ConfigMap ns/shots"},
		{reason: "an attachment whose data is not its mediaType waits for a human: Stalled",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionIdle, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionAttachmentsResolved, "False", ReasonInvalidAttachment, "the data is image/gif, not image/png")}},
			want: "Stalled/InvalidAttachment", msg: "image/gif"},
		{reason: "resolved attachments change nothing",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionRunning, Conditions: []metav1.Condition{turn,
				cond(v1alpha1.ConditionAttachmentsResolved, "True", ReasonResolved, "read")}},
			want: "Done/Running"},
		{reason: "a paused Session says it is paused, whatever its next message waits for",
			status: v1alpha1.SessionStatus{ID: "s", Phase: v1alpha1.SessionIdle, Conditions: []metav1.Condition{
				cond(v1alpha1.ConditionAttachmentsResolved, "False", ReasonConfigMapNotFound, "waits")}},
			paused: true, want: "Done/Paused"},
		{reason: "a paused Session that never launched is still on its way, and says why",
			status: v1alpha1.SessionStatus{Phase: v1alpha1.SessionPending}, paused: true, want: "Reconciling/Pending", msg: "launches once it is removed"},
	}
	for _, tc := range cases {
		p := sessionProgress(&tc.status, tc.paused)
		if got := verdict(p); got != tc.want || (tc.msg != "" && !strings.Contains(p.message, tc.msg)) {
			t.Errorf("%s: got %s %q, want %s %q", tc.reason, got, p.message, tc.want, tc.msg)
		}
	}
}

// TestSetProgressNeverBothTrue: kstatus reads whichever of Reconciling and Stalled comes first when
// both are True, so the two must exclude each other; and a stalled object's Reconciling points at it.
func TestSetProgressNeverBothTrue(t *testing.T) {
	var conds []metav1.Condition
	setProgress(&conds, 3, progress{reconciling: true, reason: "APIUnavailable", message: "503"})
	setProgress(&conds, 3, progress{stalled: true, reason: "InvalidSpec", message: "400"})
	r, s := meta.FindStatusCondition(conds, v1alpha1.ConditionReconciling), meta.FindStatusCondition(conds, v1alpha1.ConditionStalled)
	if r.Status != "False" || r.Reason != string(ReasonStalled) || s.Status != "True" || s.Message != "400" || s.ObservedGeneration != 3 {
		t.Fatalf("Reconciling %+v, Stalled %+v", r, s)
	}
	setProgress(&conds, 4, progress{reason: "Reconciled", message: "ok"})
	r, s = meta.FindStatusCondition(conds, v1alpha1.ConditionReconciling), meta.FindStatusCondition(conds, v1alpha1.ConditionStalled)
	if r.Status != "False" || r.Reason != "Reconciled" || s.Status != "False" || s.Reason != string(ReasonNotStalled) {
		t.Fatalf("Reconciling %+v, Stalled %+v", r, s)
	}
}
