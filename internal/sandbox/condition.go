// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"regexp"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Reasons of the SandboxHealthy condition besides the failed Pod's own.
const (
	ReasonSandboxRunning = "SandboxRunning"
	ReasonSandboxEnded   = "SandboxEnded"
	ReasonSandboxPending = "SandboxPending"
	ReasonSandboxFailed  = "SandboxFailed"
)

// conditionReason is the API's pattern of a condition reason.
var conditionReason = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`)

// SetHealthCondition sets a SelfHosted Session's SandboxHealthy condition from its status.sandbox:
// False with the Pod's reason once a sandbox failed or cannot be scheduled, and it stays False
// while the next sandbox starts, so that a failure that repeats (a bad image) stays visible; True
// once a sandbox runs, or ran and ended well. A Session that never had a sandbox gets none.
func SetHealthCondition(conds *[]metav1.Condition, generation int64, sb *v1alpha1.SessionSandbox) {
	if sb == nil {
		return
	}
	c := metav1.Condition{Type: v1alpha1.ConditionSandboxHealthy, ObservedGeneration: generation}
	switch {
	case sb.Reason != "" && (sb.Phase == string(corev1.PodFailed) || sb.Reason == ReasonUnschedulable):
		c.Status, c.Reason = metav1.ConditionFalse, sb.Reason
		if !conditionReason.MatchString(c.Reason) || len(c.Reason) > 1024 {
			c.Reason = ReasonSandboxFailed
		}
		c.Message = truncate("sandbox Pod "+sb.PodName+": "+sb.Message, 1024)
	case sb.StartTime != nil && sb.Phase == string(corev1.PodRunning):
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonSandboxRunning, "sandbox Pod "+sb.PodName+" runs the session's tools"
	case sb.StartTime != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, ReasonSandboxEnded, "sandbox Pod "+sb.PodName+" ran and ended"
	default:
		if meta.FindStatusCondition(*conds, v1alpha1.ConditionSandboxHealthy) != nil {
			return // a sandbox is starting: the last failure, or health, stands until it runs
		}
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, ReasonSandboxPending, "sandbox Pod "+sb.PodName+" is starting"
	}
	meta.SetStatusCondition(conds, c)
}
