// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds of the multi-agent, outcome and workflow parts of a Session's status.
const (
	MaxSessionThreads      = 20
	MaxOutcomeEvaluations  = 20
	MaxSessionWorkflowRuns = 10
)

// ConditionOutcomeMet is True once the grader judged spec.outcome satisfied, and False with the
// verdict as reason otherwise (Pending, Evaluating, NeedsRevision, MaxIterationsReached, Failed,
// Interrupted), or NotEvaluated when the Session's work ended without a final verdict. It is absent
// without an outcome. `kubectl wait --for=condition=OutcomeMet` waits for it.
const ConditionOutcomeMet = "OutcomeMet"

// ConditionBudgetNearlyUsed is True once the session's list cost reached 80 % of its budget, and
// False below that. It is absent without a budget.
const ConditionBudgetNearlyUsed = "BudgetNearlyUsed"

// SessionOutcome is what done means for the session: the agent works, a grader evaluates the work
// against the rubric, and the agent revises until the grader is satisfied or maxIterations is
// reached. It is sent to the API (user.define_outcome) once, and again whenever it changes.
// +kubebuilder:validation:XValidation:rule="has(self.rubric) != has(self.rubricFileID)",message="spec.outcome: set exactly one of rubric or rubricFileID"
type SessionOutcome struct {
	// Description of the outcome: what the agent should produce.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=10000
	Description string `json:"description"`

	// Rubric the grader applies, as text. Set this or rubricFileID.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32768
	// +optional
	Rubric string `json:"rubric,omitempty"`

	// RubricFileID names a rubric uploaded with the Files API (file_...). Set this or rubric.
	// +kubebuilder:validation:Pattern=`^file_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	RubricFileID string `json:"rubricFileID,omitempty"`

	// MaxIterations caps the revise-and-evaluate cycles. The API defaults to 3.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	// +optional
	MaxIterations *int64 `json:"maxIterations,omitempty"`
}

// SessionThread is a sub-agent's thread of a multi-agent session.
type SessionThread struct {
	// ID of the thread (sthr_...).
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// AgentName is the sub-agent the thread runs.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	AgentName string `json:"agentName,omitempty"`
	// Status of the thread: running, idle, rescheduling or terminated.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Status string `json:"status,omitempty"`
	// StopReason of the thread's last idle, for example requires_action.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	StopReason string `json:"stopReason,omitempty"`
	// WorkflowRunID is the workflow run that started the thread, if one did.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	WorkflowRunID string `json:"workflowRunID,omitempty"`
	// PendingActions are the event ids of the thread's tool calls that wait for an answer; each is
	// listed with its details in status.pendingActions.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	PendingActions []string `json:"pendingActions,omitempty"`
}

// SessionOutcomeStatus is the outcome the session works toward and the grader's verdicts.
type SessionOutcomeStatus struct {
	// OutcomeID is the API's id of the newest outcome defined (outc_...).
	// +kubebuilder:validation:MaxLength=128
	// +optional
	OutcomeID string `json:"outcomeID,omitempty"`
	// Description of the outcome, truncated to 1 KiB.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`
	// MaxIterations the API applies.
	// +optional
	MaxIterations int64 `json:"maxIterations,omitempty"`
	// Result is the newest verdict: satisfied, needs_revision, max_iterations_reached, failed or
	// interrupted; empty before the first evaluation ended.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Result string `json:"result,omitempty"`
	// Evaluating is true while the grader evaluates an iteration.
	// +optional
	Evaluating bool `json:"evaluating,omitempty"`
	// Evaluations are the grader's verdicts, one per iteration, oldest first.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Evaluations []OutcomeEvaluation `json:"evaluations,omitempty"`
}

// OutcomeEvaluation is the grader's verdict on one iteration.
type OutcomeEvaluation struct {
	// Iteration is the revision cycle, counted from 0.
	Iteration int64 `json:"iteration"`
	// Result is the verdict: satisfied, needs_revision, max_iterations_reached, failed or interrupted.
	// +kubebuilder:validation:MaxLength=64
	Result string `json:"result"`
	// Explanation of the verdict, truncated to 1 KiB.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Explanation string `json:"explanation,omitempty"`
	// Time the evaluation ended.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// SessionWorkflowRun is a workflow run the session started.
type SessionWorkflowRun struct {
	// ID of the workflow run.
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// Name of the workflow.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Name string `json:"name,omitempty"`
	// Status: created, running, idle or ended.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Status string `json:"status,omitempty"`
	// Result of an ended run: completed, error or stopped.
	// +kubebuilder:validation:MaxLength=32
	// +optional
	Result string `json:"result,omitempty"`
	// Phase is the id of the phase in progress.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Phase string `json:"phase,omitempty"`
	// Error is the run's newest error (workflow_run.error).
	// +optional
	Error *SessionError `json:"error,omitempty"`
}

// SpeedUsage is the token usage of the model requests made at one speed. Fast mode is priced
// apart from standard, so the split says where the cost came from.
type SpeedUsage struct {
	// Speed of the requests: standard or fast.
	// +kubebuilder:validation:MaxLength=32
	Speed string `json:"speed"`
	// Requests is the number of model requests.
	// +optional
	Requests int64 `json:"requests,omitempty"`
	// InputTokens consumed (uncached).
	// +optional
	InputTokens int64 `json:"inputTokens,omitempty"`
	// OutputTokens produced.
	// +optional
	OutputTokens int64 `json:"outputTokens,omitempty"`
	// CacheReadInputTokens read from the prompt cache.
	// +optional
	CacheReadInputTokens int64 `json:"cacheReadInputTokens,omitempty"`
	// CacheCreationInputTokens written to the prompt cache.
	// +optional
	CacheCreationInputTokens int64 `json:"cacheCreationInputTokens,omitempty"`
}
