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
	ReasonNotPaused           = "NotPaused"
	ReasonSynced              = "Synced"
	ReasonDeleting            = "Deleting"
	ReasonArchived            = "Archived"
	ReasonDeleted             = "Deleted"
	ReasonRetained            = "Retained"
	ReasonDeletionBlocked     = "DeletionBlocked"
)

// Session reasons, of its conditions and of the Events that go with them. A finished Session's
// phase is also the reason of its finish Event; the TurnComplete reasons are in sessionstatus.
const (
	ReasonLaunched     = "Launched"
	ReasonResolved     = "Resolved"
	ReasonLaunchFailed = "LaunchFailed"
	// ReasonFieldsRejected: the API refused the title, metadata or budget the spec asks for; the
	// session goes on, and the fields are tried again at the next spec change or resync.
	ReasonFieldsRejected = "RemoteFieldsRejected"
	ReasonInterrupt      = "InterruptSent"
	ReasonExpired        = "Expired"
)

// setCondition sets a condition with the object's generation and reports whether it made a
// transition: its status, reason or observed generation changed. A new message alone (a retry whose
// error carries another request id) is not a transition, so callers that emit an Event only for a
// transition never emit one per retry.
func setCondition(conds *[]metav1.Condition, generation int64, condType string, status metav1.ConditionStatus, reason, message string) bool {
	old := meta.FindStatusCondition(*conds, condType)
	transition := old == nil || old.Status != status || old.Reason != reason || old.ObservedGeneration != generation
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: truncate(message, 32768), ObservedGeneration: generation,
	})
	return transition
}

// setSynced sets Synced: whether the operator's last attempt to reach the API worked.
func setSynced(conds *[]metav1.Condition, generation int64, ok bool, reason, message string) bool {
	return setCondition(conds, generation, v1alpha1.ConditionSynced, conditionStatus(ok), reason, message)
}

// setPaused sets Paused: True while the paused annotation holds every remote call.
func setPaused(conds *[]metav1.Condition, generation int64, paused bool, message string) {
	if !paused {
		setCondition(conds, generation, v1alpha1.ConditionPaused, metav1.ConditionFalse, ReasonNotPaused, "the operator reconciles this object")
		return
	}
	setCondition(conds, generation, v1alpha1.ConditionPaused, metav1.ConditionTrue, ReasonPaused, message)
}

func conditionStatus(ok bool) metav1.ConditionStatus {
	if ok {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// hasCondition reports whether a condition of this type is set.
func hasCondition(conds []metav1.Condition, condType string) bool {
	return meta.FindStatusCondition(conds, condType) != nil
}

// isSynced reports whether the Synced condition is True.
func isSynced(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, v1alpha1.ConditionSynced)
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
