package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Reasons of the Ready and Synced conditions. They are also the reasons of the Events emitted
// for the same transitions.
const (
	ReasonCreated             = "Created"
	ReasonUpdated             = "Updated"
	ReasonAdopted             = "Adopted"
	ReasonUpToDate            = "UpToDate"
	ReasonDriftCorrected      = "DriftCorrected"
	ReasonCredentialsNotFound = "CredentialsNotFound"
	ReasonUnauthorized        = "Unauthorized"
	ReasonInvalidSpec         = "InvalidSpec"
	ReasonConfigMapNotFound   = "ConfigMapNotFound"
	ReasonReferenceNotReady   = "ReferenceNotReady"
	ReasonRateLimited         = "RateLimited"
	ReasonAPIUnavailable      = "APIUnavailable"
	ReasonRemoteArchived      = "RemoteArchived"
	ReasonRemoteNotFound      = "RemoteNotFound"
	ReasonNameConflict        = "NameConflict"
	ReasonPaused              = "Paused"
	ReasonDeleting            = "Deleting"
	ReasonArchived            = "Archived"
	ReasonDeleted             = "Deleted"
	ReasonRetained            = "Retained"
	ReasonDeletionBlocked     = "DeletionBlocked"
)

// setCondition sets a condition with the object's generation and reports whether anything but the
// transition time changed, so that callers emit an Event only for a real transition.
func setCondition(conds *[]metav1.Condition, generation int64, condType string, status metav1.ConditionStatus, reason, message string) bool {
	old := meta.FindStatusCondition(*conds, condType)
	changed := old == nil || old.Status != status || old.Reason != reason || old.Message != message || old.ObservedGeneration != generation
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: truncate(message, 32768), ObservedGeneration: generation,
	})
	return changed
}

// setReady sets Ready and Synced together: Ready says whether the remote object matches the spec,
// Synced whether the operator's last attempt worked.
func setReady(conds *[]metav1.Condition, generation int64, ready bool, reason, message string) bool {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	changed := setCondition(conds, generation, v1alpha1.ConditionReady, status, reason, message)
	if setCondition(conds, generation, v1alpha1.ConditionSynced, status, reason, message) {
		changed = true
	}
	return changed
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + mark
}
