// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// Condition types shared by all kinds.
const (
	// ConditionReady is True when the remote object exists and matches the spec.
	ConditionReady = "Ready"
	// ConditionSynced is True when the last attempt to sync with the API succeeded.
	ConditionSynced = "Synced"
	// ConditionPaused is True while the paused annotation holds every remote call for the object.
	// Ready keeps what the last sync established, so a paused object stays usable by its dependents.
	ConditionPaused = "Paused"
)

// Condition types that GitOps tools read (kstatus, which Flux and Argo CD's checks follow). They are
// "abnormal-true": False, or absent, is the normal state. Every kind sets both, together with
// status.observedGeneration, whenever it reconciles a generation.
const (
	// ConditionReconciling is True while the operator works toward the current generation: creating
	// or updating the remote object, waiting for something it depends on (a Secret, a ConfigMap, a
	// referenced object), or retrying after an error that can pass. kstatus reports InProgress.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the operator cannot go on without a human: the API rejected the
	// spec or the key, a reference names nothing, the remote object was archived, or a Session ended
	// Failed, TimedOut or Terminated. Its message says why. kstatus reports Failed.
	ConditionStalled = "Stalled"
)

// ConditionCredentialsValid is True when every OAuth credential of a Vault passed its last
// validation (the API's live probe of the credential against its MCP server), False when one failed,
// and Unknown before the first validation or when the probe could not tell.
const ConditionCredentialsValid = "CredentialsValid"

// Session condition types.
const (
	// ConditionReferencesResolved is True when agentRef and environmentRef point at Ready objects.
	ConditionReferencesResolved = "ReferencesResolved"
	// ConditionLaunched is True once the remote session exists.
	ConditionLaunched = "Launched"
	// ConditionActionRequired is True while tool calls wait for an answer.
	ConditionActionRequired = "ActionRequired"
	// ConditionFinished is True once the Session reached a finished phase.
	ConditionFinished = "Finished"
	// ConditionRemoteFieldsSynced is False when the API refused the title, metadata or budget the
	// spec asks for. The session goes on; the fields are tried again at the next spec change or resync.
	ConditionRemoteFieldsSynced = "RemoteFieldsSynced"
	// ConditionResourcesSynced is False when a running session's resources could not be made to match
	// spec.resources (a file added or removed) or a repository's token Secret (a rotation): a missing
	// Secret or key, or the API's refusal, named in the message. The session goes on; the resources
	// are tried again when the spec or the Secret changes, or at the next resync.
	ConditionResourcesSynced = "ResourcesSynced"
	// ConditionAttachmentsResolved is False while the next user message to send (the prompt, before
	// the launch, or a follow-up) cannot be sent because of one of its spec.attachments: its ConfigMap
	// or key is missing, or its data is too large or not what its mediaType says. The message waits,
	// nothing is sent, and it goes out once the ConfigMap is fixed. True once the attachments of the
	// next message could be read. Set only on Sessions with spec.attachments.
	ConditionAttachmentsResolved = "AttachmentsResolved"
)

// ConditionTurnComplete is True once the agent stopped and waits for you: its turn ended with
// nothing left to send (reason EndTurn), or it needs an answer (ActionRequired), refused (Refusal),
// hit its budget (BudgetReached), gave up after errors (RetriesExhausted), or the session ended
// (Failed, TimedOut, Terminated). It is False while the agent works. Block on it with:
//
//	kubectl wait --for=condition=TurnComplete session/NAME
const ConditionTurnComplete = "TurnComplete"
