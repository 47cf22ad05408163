// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

func TestSetHealthCondition(t *testing.T) {
	started := metav1.Now()
	failed := metav1.Condition{Type: v1alpha1.ConditionSandboxHealthy, Status: metav1.ConditionFalse, Reason: "OOMKilled"}
	cases := []struct {
		why    string
		before []metav1.Condition
		sb     *v1alpha1.SessionSandbox
		want   *metav1.Condition // nil: no condition
	}{
		{why: "a Session that never had a sandbox has no such condition", sb: nil, want: nil},
		{why: "the first sandbox starting is not known to be healthy yet",
			sb:   &v1alpha1.SessionSandbox{PodName: "p", Phase: "Pending"},
			want: &metav1.Condition{Status: metav1.ConditionUnknown, Reason: ReasonSandboxPending}},
		{why: "a failed sandbox carries the Pod's reason",
			sb:   &v1alpha1.SessionSandbox{PodName: "p", Phase: "Failed", Reason: "ImagePullBackOff", Message: "m"},
			want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: "ImagePullBackOff"}},
		{why: "a failure stands while the next sandbox starts, so a repeating failure stays visible", before: []metav1.Condition{failed},
			sb:   &v1alpha1.SessionSandbox{PodName: "q", Phase: "Pending"},
			want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: "OOMKilled"}},
		{why: "a sandbox that runs clears the failure", before: []metav1.Condition{failed},
			sb:   &v1alpha1.SessionSandbox{PodName: "q", Phase: "Running", StartTime: &started},
			want: &metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonSandboxRunning}},
		{why: "a sandbox that ran and went is healthy",
			sb:   &v1alpha1.SessionSandbox{PodName: "q", Phase: v1alpha1.SandboxPhaseDeleted, StartTime: &started},
			want: &metav1.Condition{Status: metav1.ConditionTrue, Reason: ReasonSandboxEnded}},
		{why: "an unschedulable sandbox is unhealthy although still pending",
			sb:   &v1alpha1.SessionSandbox{PodName: "p", Phase: "Pending", Reason: ReasonUnschedulable, Message: "0/1 nodes"},
			want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonUnschedulable}},
		{why: "a reason the API would refuse as a condition reason is replaced",
			sb:   &v1alpha1.SessionSandbox{PodName: "p", Phase: "Failed", Reason: "not a reason!"},
			want: &metav1.Condition{Status: metav1.ConditionFalse, Reason: ReasonSandboxFailed}},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			conds := append([]metav1.Condition{}, tc.before...)
			SetHealthCondition(&conds, 3, tc.sb)
			got := meta.FindStatusCondition(conds, v1alpha1.ConditionSandboxHealthy)
			switch {
			case tc.want == nil && got != nil:
				t.Errorf("got %+v, want none", got)
			case tc.want != nil && (got == nil || got.Status != tc.want.Status || got.Reason != tc.want.Reason):
				t.Errorf("got %+v, want %s/%s", got, tc.want.Status, tc.want.Reason)
			}
		})
	}
}
