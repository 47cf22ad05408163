// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AgentDeploymentDeletionPolicy says what happens to the remote deployment when the AgentDeployment
// is deleted. Deployments cannot be deleted through the API, only archived.
// +kubebuilder:validation:Enum=Archive;Retain
type AgentDeploymentDeletionPolicy string

const (
	// AgentDeploymentDeletionArchive archives the remote deployment: it never fires again, and its
	// runs stay readable.
	AgentDeploymentDeletionArchive AgentDeploymentDeletionPolicy = "Archive"
	// AgentDeploymentDeletionRetain leaves it untouched, still firing on its schedule.
	AgentDeploymentDeletionRetain AgentDeploymentDeletionPolicy = "Retain"
)

// Labels and annotations on the Sessions that stand for an AgentDeployment's runs.
const (
	// LabelDeployment names the AgentDeployment that a run Session belongs to.
	LabelDeployment = "claude.anthropic.com/deployment"
	// LabelRun is the remote run id (drun_...) that a run Session stands for.
	LabelRun = "claude.anthropic.com/run"
	// LabelTrigger is what started the run: Schedule or Manual.
	LabelTrigger = "claude.anthropic.com/trigger"
)

// Remote metadata keys that record an on-demand run request on the remote deployment before the
// operator calls Run, so that a restart between the Run call and the status write finds the run
// instead of starting another one.
const (
	// MetadataKeyRunRequest is the spec.runRequest value being acted on.
	MetadataKeyRunRequest = MetadataKeyPrefix + "run-request"
	// MetadataKeyRunRequestAfter is the creation time of the newest manual run before that request
	// (RFC 3339, the API's clock), or "none": the request's run is the first manual run after it.
	MetadataKeyRunRequestAfter = MetadataKeyPrefix + "run-request-after"
)

// ConditionScheduled is True while the deployment's schedule fires on its own, and False when it
// has no schedule (NoSchedule), is suspended by spec.suspend (Suspended), or was paused by the API
// after a failed run (PausedByAPI: fix the cause, then change the spec to resume it).
const ConditionScheduled = "Scheduled"

// RunTrigger is what started a run.
// +kubebuilder:validation:Enum=Schedule;Manual
type RunTrigger string

const (
	// RunTriggerSchedule: the deployment's cron schedule fired.
	RunTriggerSchedule RunTrigger = "Schedule"
	// RunTriggerManual: spec.runRequest, kubectl claude trigger, or a Run call outside the operator.
	RunTriggerManual RunTrigger = "Manual"
)

// AgentDeploymentSpec is a remote deployment: an agent, an environment and the first messages of
// every session it starts, on a cron schedule and on demand. Each run's session shows up as a
// Session owned by the AgentDeployment, followed like any other but never launched by the operator.
// +kubebuilder:validation:XValidation:rule="has(self.agentRef) != has(self.agentID)",message="set exactly one of spec.agentRef or spec.agentID"
// +kubebuilder:validation:XValidation:rule="!has(self.agentVersion) || has(self.agentID)",message="spec.agentVersion pins spec.agentID; with spec.agentRef use spec.agentRef.version"
// +kubebuilder:validation:XValidation:rule="has(self.environmentRef) != has(self.environmentID)",message="set exactly one of spec.environmentRef or spec.environmentID"
// +kubebuilder:validation:XValidation:rule="(has(self.vaultIDs) ? size(self.vaultIDs) : 0) + (has(self.vaultRefs) ? size(self.vaultRefs) : 0) <= 50",message="spec.vaultIDs and spec.vaultRefs together name at most 50 vaults"
type AgentDeploymentSpec struct {
	// AgentRef names an Agent in this namespace, optionally pinned to a version. Without a version the
	// deployment follows the Agent: every new version the Agent gets is deployed. Set this or agentID.
	// +optional
	AgentRef *AgentReference `json:"agentRef,omitempty"`

	// AgentID deploys an existing remote agent (agent_...). Set this or agentRef.
	// +kubebuilder:validation:Pattern=`^agent_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	AgentID string `json:"agentID,omitempty"`

	// AgentVersion pins agentID to a version. Unset deploys the agent's latest version at the time of
	// each change of this spec.
	// +kubebuilder:validation:Minimum=1
	// +optional
	AgentVersion *int64 `json:"agentVersion,omitempty"`

	// EnvironmentRef names an Environment in this namespace. Set this or environmentID.
	// +optional
	EnvironmentRef *LocalObjectReference `json:"environmentRef,omitempty"`

	// EnvironmentID runs in an existing remote environment (env_...). Set this or environmentRef.
	// +kubebuilder:validation:Pattern=`^env_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	EnvironmentID string `json:"environmentID,omitempty"`

	// Name of the remote deployment. Defaults to <namespace>/<metadata.name>.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Name string `json:"name,omitempty"`

	// Description of what the deployment does.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Description string `json:"description,omitempty"`

	// Prompt is the first user message of every run's session: the agent starts on it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	Prompt string `json:"prompt"`

	// Messages are further user messages that every run's session receives right after the prompt,
	// in order. At most 49.
	// +kubebuilder:validation:MaxItems=49
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=8192
	// +listType=atomic
	// +optional
	Messages []string `json:"messages,omitempty"`

	// Resources mounted into every run's container: GitHub repositories, files and memory stores.
	// At most 20.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Resources []SessionResource `json:"resources,omitempty"`

	// VaultIDs of existing remote credential vaults (vlt_...) that runs may use.
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:Pattern=`^vlt_[A-Za-z0-9]+$`
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=set
	// +optional
	VaultIDs []string `json:"vaultIDs,omitempty"`

	// VaultRefs names Vaults in this namespace whose credentials runs may use. The deployment waits
	// until they are Ready.
	// +kubebuilder:validation:MaxItems=50
	// +listType=map
	// +listMapKey=name
	// +optional
	VaultRefs []LocalObjectReference `json:"vaultRefs,omitempty"`

	// Budget caps the list cost of each run's session.
	// +optional
	Budget *Budget `json:"budget,omitempty"`

	// Metadata is stored on the remote deployment and kept equal to this map. Keys prefixed
	// claude.anthropic.com/ are reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// Schedule fires a run on a cron schedule. Without one the deployment runs only on demand
	// (spec.runRequest, kubectl claude trigger).
	// +optional
	Schedule *DeploymentSchedule `json:"schedule,omitempty"`

	// Suspend pauses the schedule remotely: no scheduled run fires while it is true. Runs already
	// started go on, and on-demand runs still start. Setting it back to false resumes the schedule
	// (missed times are not made up).
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// RunRequest starts one run whenever it changes to a new non-empty value (for example a
	// timestamp; kubectl claude trigger sets it). Each value starts exactly one run, also when it is
	// applied again or the operator restarts mid-request; the value acted on is in
	// status.runRequest.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	RunRequest string `json:"runRequest,omitempty"`

	// SuccessfulRunsHistoryLimit is how many finished, successful run Sessions to keep. Older ones are
	// deleted (each per runDeletionPolicy).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=3
	// +optional
	SuccessfulRunsHistoryLimit *int32 `json:"successfulRunsHistoryLimit,omitempty"`

	// FailedRunsHistoryLimit is how many finished, unsuccessful run Sessions (Failed, TimedOut,
	// Terminated) to keep. Older ones are deleted (each per runDeletionPolicy).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=1
	// +optional
	FailedRunsHistoryLimit *int32 `json:"failedRunsHistoryLimit,omitempty"`

	// RunDeletionPolicy is the deletionPolicy of every run Session: what happens to a run's remote
	// session when its Session is deleted by a history limit, by hand, or with this AgentDeployment.
	// +kubebuilder:default=Archive
	// +optional
	RunDeletionPolicy SessionDeletionPolicy `json:"runDeletionPolicy,omitempty"`

	// DeletionPolicy says what happens to the remote deployment when this object is deleted. Its
	// run Sessions are deleted with it either way, each per runDeletionPolicy.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy AgentDeploymentDeletionPolicy `json:"deletionPolicy,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this
	// namespace (key defaults to "api-key"). Run Sessions use the same key.
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// DeploymentSchedule is a cron schedule in a time zone.
type DeploymentSchedule struct {
	// Cron is a 5-field POSIX cron expression: minute hour day-of-month month day-of-week, for
	// example "0 9 * * 1-5" (weekdays at 09:00). Day-of-week is 0-7; 0 and 7 are Sunday. Seconds or
	// year fields, L, W, #, ? and shortcuts such as @daily are not supported. Admission checks the
	// form; values out of range show in the Ready condition (reason InvalidSpec).
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^ *[0-9A-Za-z*,/-]+( +[0-9A-Za-z*,/-]+){4} *$')",message="spec.schedule.cron must be a 5-field cron expression (minute hour day-of-month month day-of-week) of digits, names, *, ',', '-' and '/', for example \"0 9 * * 1-5\""
	Cron string `json:"cron"`

	// TimeZone is the IANA time zone the expression is evaluated in, for example "Europe/Berlin".
	// Defaults to UTC.
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$') && self != 'Local'",message="spec.schedule.timeZone must be an IANA time zone name such as \"UTC\" or \"Europe/Berlin\""
	// +kubebuilder:validation:XValidation:rule="timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0",message="spec.schedule.timeZone is not a known IANA time zone"
	// +kubebuilder:default=UTC
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
}

// AgentDeploymentRun is one run of the deployment, as status shows it.
type AgentDeploymentRun struct {
	// ID of the remote run (drun_...).
	ID string `json:"id"`

	// Trigger is what started it.
	// +optional
	Trigger RunTrigger `json:"trigger,omitempty"`

	// ScheduledTime is the schedule time a scheduled run fired for.
	// +optional
	ScheduledTime *metav1.Time `json:"scheduledTime,omitempty"`

	// StartTime is when the API recorded the run.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// SessionName is the run's Session in this namespace; empty when the run could not start one.
	// +optional
	SessionName string `json:"sessionName,omitempty"`

	// SessionID is the run's remote session (sesn_...).
	// +optional
	SessionID string `json:"sessionID,omitempty"`

	// Phase is the phase of the run's Session, or Failed when the run could not start one.
	// +optional
	Phase SessionPhase `json:"phase,omitempty"`

	// Error is why the run could not start a session (the API's message, truncated).
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Error string `json:"error,omitempty"`
}

// MaxActiveRuns bounds status.activeRuns.
const MaxActiveRuns = 20

// AgentDeploymentStatus is the observed state of the remote deployment and its runs.
type AgentDeploymentStatus struct {
	// ID of the remote deployment (depl_...).
	// +optional
	ID string `json:"id,omitempty"`

	// AgentID and AgentVersion are the agent the remote deployment runs.
	// +optional
	AgentID string `json:"agentID,omitempty"`
	// +optional
	AgentVersion int64 `json:"agentVersion,omitempty"`

	// EnvironmentID is the remote environment runs start in.
	// +optional
	EnvironmentID string `json:"environmentID,omitempty"`

	// PausedReason says why the remote schedule is paused: Manual (spec.suspend, or a pause outside
	// the operator) or the type of the error that made the API pause it. Empty while it is active.
	// +optional
	PausedReason string `json:"pausedReason,omitempty"`

	// NextScheduleTime is when the schedule fires next (the API adds a small jitter). Empty without a
	// schedule or while it is paused.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// LastScheduleTime is the schedule time of the newest scheduled run.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// LastRun is the newest run, scheduled or manual, with its phase.
	// +optional
	LastRun *AgentDeploymentRun `json:"lastRun,omitempty"`

	// ActiveRuns are the runs whose Sessions have not finished, oldest first (at most 20).
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	ActiveRuns []AgentDeploymentRun `json:"activeRuns,omitempty"`

	// RunsSeenUntil is the creation time of the newest run that has its Session: runs up to it are
	// never given a Session again, so a Session deleted by a history limit stays deleted.
	// +optional
	RunsSeenUntil *metav1.MicroTime `json:"runsSeenUntil,omitempty"`

	// RunRequest is the last spec.runRequest acted on; RunRequestRunID is the run it started.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	RunRequest string `json:"runRequest,omitempty"`
	// +optional
	RunRequestRunID string `json:"runRequestRunID,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ConfigHash is a hash of the desired deployment last applied.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last changed or adopted the remote deployment.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// Conditions: Ready (the remote deployment exists and matches the spec), Synced (the last call to
	// the API succeeded), Scheduled (the schedule fires on its own) and Paused (the paused annotation).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AgentDeployment is a Claude Managed Agents deployment: an agent that runs on a cron schedule and
// on demand, each run a Session owned by it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cdeploy,categories=claude
// +kubebuilder:printcolumn:name="Schedule",type=string,JSONPath=`.spec.schedule.cron`
// +kubebuilder:printcolumn:name="Suspend",type=boolean,JSONPath=`.spec.suspend`
// +kubebuilder:printcolumn:name="Last Run",type=string,JSONPath=`.status.lastRun.phase`
// +kubebuilder:printcolumn:name="Next Run",type=date,JSONPath=`.status.nextScheduleTime`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AgentDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired deployment: what each run starts with, when runs fire, and how many to keep.
	Spec AgentDeploymentSpec `json:"spec"`

	// Status is the observed state of the remote deployment and its runs.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status AgentDeploymentStatus `json:"status,omitempty"`
}

// AgentDeploymentList is a list of AgentDeployments.
// +kubebuilder:object:root=true
type AgentDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AgentDeployment `json:"items"`
}
