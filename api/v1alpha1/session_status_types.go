// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SessionPhase summarizes where a session is in its life.
// +kubebuilder:validation:Enum=Pending;Running;Idle;RequiresAction;Rescheduling;Succeeded;Failed;TimedOut;Terminated
type SessionPhase string

const (
	// SessionPending: not launched yet (waiting for references, credentials or the API).
	SessionPending SessionPhase = "Pending"
	// SessionRunning: the agent is working.
	SessionRunning SessionPhase = "Running"
	// SessionIdle: the agent finished a turn and waits for a message.
	SessionIdle SessionPhase = "Idle"
	// SessionRequiresAction: the agent waits for tool confirmations or custom tool results.
	SessionRequiresAction SessionPhase = "RequiresAction"
	// SessionRescheduling: the platform is retrying after a transient error.
	SessionRescheduling SessionPhase = "Rescheduling"
	// SessionSucceeded: every message was answered (completion policy WhenIdle).
	SessionSucceeded SessionPhase = "Succeeded"
	// SessionFailed: the session stopped on an error, a refusal, an exhausted retry budget or a rejected launch.
	SessionFailed SessionPhase = "Failed"
	// SessionTimedOut: spec.timeout passed.
	SessionTimedOut SessionPhase = "TimedOut"
	// SessionTerminated: the remote session ended for good.
	SessionTerminated SessionPhase = "Terminated"
)

// Bounds that keep a Session's status small whatever the conversation does.
const (
	MaxRecentEvents      = 20
	MaxPendingActions    = 20
	MaxLastMessageBytes  = 4096
	MaxEventSummaryBytes = 256
	MaxPendingInputBytes = 1024
	MaxErrorMessageBytes = 1024
	MaxRespondedActions  = 256
)

// SessionStatus is what the session is doing, built from the remote session and its event stream.
type SessionStatus struct {
	// ID of the remote session (sesn_...).
	// +optional
	ID string `json:"id,omitempty"`

	// AgentID is the resolved remote agent.
	// +optional
	AgentID string `json:"agentID,omitempty"`

	// AgentVersion is the agent version the session runs, pinned at launch.
	// +optional
	AgentVersion int64 `json:"agentVersion,omitempty"`

	// EnvironmentID is the resolved remote environment.
	// +optional
	EnvironmentID string `json:"environmentID,omitempty"`

	// Phase summarizes the session's state.
	// +optional
	Phase SessionPhase `json:"phase,omitempty"`

	// StopReason of the last idle: end_turn, requires_action, retries_exhausted, budget_reached or refusal.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	StopReason string `json:"stopReason,omitempty"`

	// StartTime is when the remote session was created.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// CompletionTime is when the Session reached a finished phase.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// LastEventID is the resume cursor: the id of the newest event folded into this status.
	// +optional
	LastEventID string `json:"lastEventID,omitempty"`

	// EventCount is the number of distinct events folded into this status.
	// +optional
	EventCount int64 `json:"eventCount,omitempty"`

	// MessagesSent is how many entries of spec.messages have been delivered.
	// +optional
	MessagesSent int32 `json:"messagesSent,omitempty"`

	// InterruptRequest is the last spec.interruptRequest value acted on.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	InterruptRequest string `json:"interruptRequest,omitempty"`

	// InterruptsSeen is how many interrupts of the remote history the operator has accounted for.
	// An interrupt whose response was lost shows up in the history as one more, so it is never sent twice.
	// +optional
	InterruptsSeen int32 `json:"interruptsSeen,omitempty"`

	// Usage is the cumulative token usage and list cost.
	// +optional
	Usage *SessionUsage `json:"usage,omitempty"`

	// PendingActions are tool calls that wait for an answer (at most 20).
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	PendingActions []PendingAction `json:"pendingActions,omitempty"`

	// RespondedActions are tool use ids already answered, newest last, so answers are sent exactly once.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	RespondedActions []string `json:"respondedActions,omitempty"`

	// RecentEvents summarizes the newest notable events, oldest first: at most 20, and only as many
	// as fit in about 2 KiB, so that every status write stays small. It holds every notable event
	// whatever spec.eventPolicy says.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	RecentEvents []EventSummary `json:"recentEvents,omitempty"`

	// LastAgentMessage is the text of the newest agent message, truncated to 4 KiB.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	LastAgentMessage string `json:"lastAgentMessage,omitempty"`

	// LastError is the newest session error; it is cleared once the session runs again or ends a
	// turn normally, except a terminal error, which ends the session.
	// +optional
	LastError *SessionError `json:"lastError,omitempty"`

	// Resources lists the resources mounted into the remote session (repositories, files and memory
	// stores), as the API last listed them, in mount order (at most 20). Never a token.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Resources []SessionResourceStatus `json:"resources,omitempty"`

	// Threads are the sub-agent threads of a multi-agent session (at most 20).
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Threads []SessionThread `json:"threads,omitempty"`

	// Outcome is the outcome the session works toward (spec.outcome) and the grader's verdicts.
	// +optional
	Outcome *SessionOutcomeStatus `json:"outcome,omitempty"`

	// WorkflowRuns are the session's workflow runs, newest last (at most 10).
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	WorkflowRuns []SessionWorkflowRun `json:"workflowRuns,omitempty"`

	// Sandbox is the newest sandbox Pod that ran this session's tools, for a session on a SelfHosted
	// Environment.
	// +optional
	Sandbox *SessionSandbox `json:"sandbox,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions, each meaning one thing: Ready (launched and not failed), Synced (the last call to
	// the API worked), Paused, ReferencesResolved, Launched, TurnComplete, ActionRequired, Finished,
	// RemoteFieldsSynced (the remote title, metadata and budget match the spec), ResourcesSynced (the
	// remote resources and repository tokens match spec.resources and their Secrets),
	// AttachmentsResolved (with spec.attachments), OutcomeMet (with spec.outcome), BudgetNearlyUsed
	// (with a budget), SandboxHealthy (on a SelfHosted Environment), and Reconciling and Stalled (for
	// kstatus). The bound leaves room above these 16. Only the operator writes them, always as a
	// whole list, so the list is atomic: as a map list, the API server's managedFields would track
	// six fields of each condition, which made every Session 1.7 KB larger and every status write
	// of this, the most written object, that much dearer (docs/performance.md).
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=24
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SessionUsage is cumulative token usage and list cost.
type SessionUsage struct {
	// InputTokens consumed (uncached).
	// +optional
	InputTokens int64 `json:"inputTokens,omitempty"`
	// OutputTokens produced.
	// +optional
	OutputTokens int64 `json:"outputTokens,omitempty"`
	// CacheReadInputTokens read from the prompt cache.
	// +optional
	CacheReadInputTokens int64 `json:"cacheReadInputTokens,omitempty"`
	// CacheCreationInputTokens written to the prompt cache (5 minute and 1 hour).
	// +optional
	CacheCreationInputTokens int64 `json:"cacheCreationInputTokens,omitempty"`
	// TotalTokens is the sum of input, output and cache tokens, for `kubectl get`.
	// +optional
	TotalTokens int64 `json:"totalTokens,omitempty"`
	// ListCostUSD is the cost at list prices, in US dollars, for example "0.42".
	// +kubebuilder:validation:MaxLength=32
	// +optional
	ListCostUSD string `json:"listCostUSD,omitempty"`
	// ActiveSeconds the session spent running.
	// +optional
	ActiveSeconds int64 `json:"activeSeconds,omitempty"`
	// BudgetUSD is the session's budget in US dollars, beside listCostUSD; empty without a budget.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	BudgetUSD string `json:"budgetUSD,omitempty"`
	// BySpeed splits the tokens of model requests by speed (standard, fast).
	// +kubebuilder:validation:MaxItems=4
	// +listType=atomic
	// +optional
	BySpeed []SpeedUsage `json:"bySpeed,omitempty"`
}

// PendingActionKind says how a pending action is answered.
// +kubebuilder:validation:Enum=ToolConfirmation;CustomToolResult
type PendingActionKind string

const (
	// PendingToolConfirmation is answered by spec.toolConfirmations.
	PendingToolConfirmation PendingActionKind = "ToolConfirmation"
	// PendingCustomToolResult is answered by spec.customToolResults.
	PendingCustomToolResult PendingActionKind = "CustomToolResult"
)

// PendingAction is a tool call that waits for an answer.
type PendingAction struct {
	// EventID of the tool use; answer with it as toolUseID.
	EventID string `json:"eventID"`
	// Kind says how to answer.
	Kind PendingActionKind `json:"kind"`
	// ToolName is the name of the tool called.
	// +kubebuilder:validation:MaxLength=256
	ToolName string `json:"toolName"`
	// Input is the call's JSON input, truncated to 1 KiB.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Input string `json:"input,omitempty"`
	// ThreadID is the sub-agent thread that made the call (sthr_...); empty for the primary thread.
	// The API routes the answer to it by the tool use id.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ThreadID string `json:"threadID,omitempty"`
	// AgentName is the sub-agent that made the call, when a thread did.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	AgentName string `json:"agentName,omitempty"`
}

// EventSummary is a one-line summary of a session event.
type EventSummary struct {
	// ID of the event (sevt_...).
	// +optional
	ID string `json:"id,omitempty"`
	// Type of the event, for example agent.message.
	// +kubebuilder:validation:MaxLength=64
	Type string `json:"type"`
	// Reason is the Kubernetes Event reason of the event (AgentMessage, TurnEnded, Refusal, ...).
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Reason string `json:"reason,omitempty"`
	// Time the platform processed the event.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
	// Summary of the event, truncated to 256 bytes.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Summary string `json:"summary,omitempty"`
}

// SessionError is a session.error event.
type SessionError struct {
	// Type of the error, for example model_overloaded_error.
	// +kubebuilder:validation:MaxLength=128
	Type string `json:"type"`
	// Message of the error, truncated to 1 KiB.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Message string `json:"message,omitempty"`
	// RetryStatus: retrying, exhausted or terminal.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	RetryStatus string `json:"retryStatus,omitempty"`
	// EventID of the error event.
	// +optional
	EventID string `json:"eventID,omitempty"`
	// Time of the error.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// Finished reports whether the phase is an end: Succeeded, Failed, TimedOut or Terminated.
func (p SessionPhase) Finished() bool {
	return p == SessionSucceeded || p.Final()
}

// Final reports whether the phase is an end that nothing resumes: Failed, TimedOut and Terminated.
// Such a Session never launches, sends or streams again; only its TTL and its deletion act on it.
// Succeeded is an end too, but under completionPolicy WhenIdle a message the user appends resumes it.
func (p SessionPhase) Final() bool {
	return p == SessionFailed || p == SessionTimedOut || p == SessionTerminated
}
