// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sessionevents"
)

// maxConditionMessage is the API server's limit on a condition message, in bytes.
const maxConditionMessage = 32768

// Reason says why a condition has its status; the Event that reports a transition carries the same
// reason. Every reason of the controllers is declared in this file, so that users who match on them
// (alerts, kubectl wait, scripts) find them in one place.
type Reason string

// Reasons of the Ready, Synced and Paused conditions of every kind, and of their Events.
const (
	ReasonCreated             Reason = "Created"
	ReasonUpdated             Reason = "Updated"
	ReasonAdopted             Reason = "Adopted"
	ReasonUpToDate            Reason = "UpToDate"
	ReasonDriftCorrected      Reason = "DriftCorrected"
	ReasonCredentialsNotFound Reason = "CredentialsNotFound"
	ReasonUnauthorized        Reason = "Unauthorized"
	ReasonInvalidSpec         Reason = "InvalidSpec"
	ReasonConfigMapNotFound   Reason = "ConfigMapNotFound"
	ReasonReferenceNotReady   Reason = "ReferenceNotReady"
	ReasonRateLimited         Reason = "RateLimited"
	ReasonAPIUnavailable      Reason = "APIUnavailable"
	ReasonRemoteArchived      Reason = "RemoteArchived"
	ReasonRemoteNotFound      Reason = "RemoteNotFound"
	ReasonNameConflict        Reason = "NameConflict"
	ReasonPaused              Reason = "Paused"
	ReasonNotPaused           Reason = "NotPaused"
	ReasonSynced              Reason = "Synced"
	ReasonDeleting            Reason = "Deleting"
	ReasonArchived            Reason = "Archived"
	ReasonDeleted             Reason = "Deleted"
	ReasonRetained            Reason = "Retained"
	ReasonDeletionBlocked     Reason = "DeletionBlocked"
	// ReasonRemoteAbandoned: the object was let go without releasing its remote twin (no API key known).
	ReasonRemoteAbandoned Reason = "RemoteAbandoned"
)

// Reasons of the Reconciling and Stalled conditions (kstatus_conditions.go) that no other condition
// gives: otherwise they carry the reason of the failure or the phase that decided them.
const (
	// ReasonReconciled: Reconciling=False, the current generation is applied.
	ReasonReconciled Reason = "Reconciled"
	// ReasonProgressing: Reconciling=True before the first sync has said anything.
	ReasonProgressing Reason = "Progressing"
	// ReasonStalled: Reconciling=False because the object is Stalled.
	ReasonStalled Reason = "Stalled"
	// ReasonNotStalled: Stalled=False.
	ReasonNotStalled Reason = "NotStalled"
)

// Session reasons, of its conditions and of the Events that go with them. A finished Session's
// phase is also the reason of its finish Event; the TurnComplete reasons are in sessionstatus.
const (
	ReasonLaunched     Reason = "Launched"
	ReasonResolved     Reason = "Resolved"
	ReasonLaunchFailed Reason = "LaunchFailed"
	// ReasonFieldsRejected: the API refused the title, metadata or budget the spec asks for; the
	// session goes on, and the fields are tried again at the next spec change or resync.
	ReasonFieldsRejected Reason = "RemoteFieldsRejected"
	ReasonInterrupt      Reason = "InterruptSent"
	ReasonExpired        Reason = "Expired"
	// ReasonResourceAdded and ReasonResourceRemoved: a file was mounted into or unmounted from the
	// running session to follow spec.resources.
	ReasonResourceAdded   Reason = "ResourceAdded"
	ReasonResourceRemoved Reason = "ResourceRemoved"
	// ReasonTokenRotated: a repository's token Secret changed and the running session got the new
	// token (never shown).
	ReasonTokenRotated Reason = "TokenRotated"
	// ReasonOutcomeSent: spec.outcome was sent to the session as user.define_outcome.
	ReasonOutcomeSent Reason = "OutcomeSent"
	// ReasonOutcomeNotEvaluated: the session sat idle past the wait for the grader, so it ends
	// without a verdict on spec.outcome.
	ReasonOutcomeNotEvaluated Reason = "OutcomeNotEvaluated"
	// ReasonAttachmentTooLarge and ReasonInvalidAttachment: an attachment of the next message is
	// over a size bound, or its data is not what its mediaType says; the message waits
	// (AttachmentsResolved). A missing ConfigMap or key gives ReasonConfigMapNotFound.
	ReasonAttachmentTooLarge Reason = "AttachmentTooLarge"
	ReasonInvalidAttachment  Reason = "InvalidAttachment"
)

// setCondition sets a condition with the object's generation and reports whether it made a
// transition: its status, reason or observed generation changed. A new message alone (a retry whose
// error carries another request id) is not a transition, so callers that emit an Event only for a
// transition never emit one per retry.
// It takes a Reason or, where a reason comes from a computed state (a Session phase), a string.
func setCondition[R Reason | string](conds *[]metav1.Condition, generation int64, condType string, status metav1.ConditionStatus, reason R, message string) bool {
	old := meta.FindStatusCondition(*conds, condType)
	transition := old == nil || old.Status != status || old.Reason != string(reason) || old.ObservedGeneration != generation
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: status, Reason: string(reason), Message: sessionevents.Truncate(message, maxConditionMessage), ObservedGeneration: generation,
	})
	return transition
}

// setSynced sets Synced: whether the operator's last attempt to reach the API worked.
func setSynced(conds *[]metav1.Condition, generation int64, ok bool, reason Reason, message string) bool {
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

// Vault, Skill and MemoryStore reasons, of their conditions and Events.
const (
	// ReasonSecretNotFound: a credential's Secret or key does not exist (yet).
	ReasonSecretNotFound Reason = "SecretNotFound"
	// Per-credential Events of a Vault.
	ReasonCredentialCreated  Reason = "CredentialCreated"
	ReasonCredentialRotated  Reason = "CredentialRotated"
	ReasonCredentialUpdated  Reason = "CredentialUpdated"
	ReasonCredentialReplaced Reason = "CredentialReplaced"
	ReasonCredentialDeleted  Reason = "CredentialDeleted"
	ReasonCredentialRejected Reason = "CredentialRejected"
	// Reasons of a Vault's CredentialsValid condition.
	ReasonCredentialsValid  Reason = "Valid"
	ReasonCredentialInvalid Reason = "CredentialInvalid"
	ReasonValidationUnknown Reason = "ValidationUnknown"
	ReasonNothingToValidate Reason = "NoOAuthCredentials"
	// ReasonSeeded: a MemoryStore's seed memories were created.
	ReasonSeeded Reason = "Seeded"
)

// AgentDeployment reasons: of its Scheduled condition, and of the Events about its runs.
const (
	ReasonScheduled   Reason = "Scheduled"
	ReasonNoSchedule  Reason = "NoSchedule"
	ReasonSuspended   Reason = "Suspended"
	ReasonPausedByAPI Reason = "PausedByAPI"
	ReasonRunStarted  Reason = "RunStarted"
	ReasonRunFailed   Reason = "RunFailed"
	ReasonTriggered   Reason = "Triggered"
)
