// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SessionDeletionPolicy says what happens to the remote session when the Session is deleted.
// A running session is interrupted first in every case but Retain.
// +kubebuilder:validation:Enum=Delete;Archive;Retain
type SessionDeletionPolicy string

const (
	// SessionDeletionDelete deletes the remote session with its events and container.
	SessionDeletionDelete SessionDeletionPolicy = "Delete"
	// SessionDeletionArchive archives it: the history stays readable, no new events are accepted.
	SessionDeletionArchive SessionDeletionPolicy = "Archive"
	// SessionDeletionRetain leaves it untouched, even while running.
	SessionDeletionRetain SessionDeletionPolicy = "Retain"
)

// CompletionPolicy says when a Session counts as finished.
// +kubebuilder:validation:Enum=WhenIdle;Never
type CompletionPolicy string

const (
	// CompletionWhenIdle finishes the Session (phase Succeeded) once every message has been answered and
	// the agent went idle with end_turn. Appending a message later resumes it.
	CompletionWhenIdle CompletionPolicy = "WhenIdle"
	// CompletionNever keeps the Session open (phase Idle) until it is deleted, times out or terminates.
	CompletionNever CompletionPolicy = "Never"
)

// SessionSpec launches an agent in an environment and steers the conversation.
// +kubebuilder:validation:XValidation:rule="has(self.agentRef) != has(self.agentID)",message="set exactly one of spec.agentRef or spec.agentID"
// +kubebuilder:validation:XValidation:rule="has(self.environmentRef) != has(self.environmentID)",message="set exactly one of spec.environmentRef or spec.environmentID"
// +kubebuilder:validation:XValidation:rule="has(self.agentRef) == has(oldSelf.agentRef) && (!has(self.agentRef) || self.agentRef == oldSelf.agentRef)",message="spec.agentRef is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.agentID) == has(oldSelf.agentID) && (!has(self.agentID) || self.agentID == oldSelf.agentID)",message="spec.agentID is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.environmentRef) == has(oldSelf.environmentRef) && (!has(self.environmentRef) || self.environmentRef == oldSelf.environmentRef)",message="spec.environmentRef is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.environmentID) == has(oldSelf.environmentID) && (!has(self.environmentID) || self.environmentID == oldSelf.environmentID)",message="spec.environmentID is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.prompt) == has(oldSelf.prompt) && (!has(self.prompt) || self.prompt == oldSelf.prompt)",message="spec.prompt is immutable: append to spec.messages to continue the conversation"
// +kubebuilder:validation:XValidation:rule="(has(self.resources) ? self.resources.filter(r, has(r.githubRepository)).map(r, [r.githubRepository.url, r.githubRepository.?branch.orValue('none'), r.githubRepository.?commit.orValue('none'), r.githubRepository.?mountPath.orValue('none')]) : []) == (has(oldSelf.resources) ? oldSelf.resources.filter(r, has(r.githubRepository)).map(r, [r.githubRepository.url, r.githubRepository.?branch.orValue('none'), r.githubRepository.?commit.orValue('none'), r.githubRepository.?mountPath.orValue('none')]) : [])",message="spec.resources: GitHub repositories cannot be added, removed or changed after the Session is created (the API mounts them for the session's life); only their tokenSecretRef may change"
// +kubebuilder:validation:XValidation:rule="[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19].all(i, !has(oldSelf.resources) || i >= size(oldSelf.resources.filter(r, has(r.githubRepository))) || !has(oldSelf.resources.filter(r, has(r.githubRepository))[i].githubRepository.tokenSecretRef) || (has(self.resources) && i < size(self.resources.filter(r, has(r.githubRepository))) && has(self.resources.filter(r, has(r.githubRepository))[i].githubRepository.tokenSecretRef)))",message="spec.resources[].githubRepository.tokenSecretRef cannot be removed once set: the API can replace a running session's repository token, never take it away"
// +kubebuilder:validation:XValidation:rule="(has(self.resources) ? self.resources.filter(r, has(r.memoryStore)) : []) == (has(oldSelf.resources) ? oldSelf.resources.filter(r, has(r.memoryStore)) : [])",message="spec.resources: memory stores cannot be added, removed or changed after the Session is created (the API attaches them at creation only)"
// +kubebuilder:validation:XValidation:rule="has(self.vaultIDs) == has(oldSelf.vaultIDs) && (!has(self.vaultIDs) || self.vaultIDs == oldSelf.vaultIDs)",message="spec.vaultIDs is immutable"
// +kubebuilder:validation:XValidation:rule="has(self.vaultRefs) == has(oldSelf.vaultRefs) && (!has(self.vaultRefs) || self.vaultRefs == oldSelf.vaultRefs)",message="spec.vaultRefs is immutable: the API takes a session's vaults at creation only"
// +kubebuilder:validation:XValidation:rule="(has(self.vaultIDs) ? size(self.vaultIDs) : 0) + (has(self.vaultRefs) ? size(self.vaultRefs) : 0) <= 20",message="spec.vaultIDs and spec.vaultRefs together name at most 20 vaults"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.budget) || has(self.budget)",message="spec.budget cannot be removed once set; raise it instead"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.budget) || !has(self.budget) || double(self.budget.maxListCostUSD) >= double(oldSelf.budget.maxListCostUSD)",message="spec.budget.maxListCostUSD cannot be lowered: the API only raises a session's cap"
// +kubebuilder:validation:XValidation:rule="has(oldSelf.budget) || !has(self.budget)",message="spec.budget can only be set when the Session is created"
// +kubebuilder:validation:XValidation:rule="has(self.externalID) == has(oldSelf.externalID) && (!has(self.externalID) || self.externalID == oldSelf.externalID)",message="spec.externalID is immutable"
// +kubebuilder:validation:XValidation:rule="!has(self.externalID) || (!has(self.prompt) && !has(self.resources) && !has(self.vaultIDs) && !has(self.vaultRefs) && !has(self.budget))",message="spec.externalID follows a session that exists already: prompt, resources, vaultIDs, vaultRefs and budget are fixed at its creation and cannot be set"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.messages) || (has(self.messages) && size(self.messages) >= size(oldSelf.messages) && self.messages.slice(0, size(oldSelf.messages)) == oldSelf.messages)",message="spec.messages is append-only: existing messages cannot be changed or removed"
// +kubebuilder:validation:XValidation:rule="!has(self.attachments) || self.attachments.all(a, a.message <= (has(self.messages) ? size(self.messages) : 0))",message="spec.attachments[].message must be 0 (spec.prompt) or the position of an entry of spec.messages (1 for the first)"
// +kubebuilder:validation:XValidation:rule="!has(self.attachments) || has(self.prompt) || self.attachments.all(a, a.message != 0)",message="spec.attachments[].message 0 attaches to spec.prompt, which is not set"
// +kubebuilder:validation:XValidation:rule="!has(self.externalID) || !has(self.attachments)",message="spec.attachments cannot be set with spec.externalID: a followed session takes text messages only"
// +kubebuilder:validation:XValidation:rule="(has(self.attachments) ? self.attachments.filter(a, a.message <= (has(oldSelf.messages) ? size(oldSelf.messages) : 0)) : []) == (has(oldSelf.attachments) ? oldSelf.attachments : [])",message="spec.attachments: the attachments of spec.prompt and of messages already in spec.messages cannot be added, changed or removed (they may have been sent); attach to a message in the update that appends it"
type SessionSpec struct {
	// AgentRef names an Agent in this namespace. The Session waits until it is Ready. Set this or agentID.
	// +optional
	AgentRef *AgentReference `json:"agentRef,omitempty"`

	// AgentID runs an existing remote agent (agent_...) at its latest version. Set this or agentRef.
	// +kubebuilder:validation:Pattern=`^agent_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	AgentID string `json:"agentID,omitempty"`

	// EnvironmentRef names an Environment in this namespace. The Session waits until it is Ready.
	// Set this or environmentID.
	// +optional
	EnvironmentRef *LocalObjectReference `json:"environmentRef,omitempty"`

	// EnvironmentID runs in an existing remote environment (env_...). Set this or environmentRef.
	// +kubebuilder:validation:Pattern=`^env_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	EnvironmentID string `json:"environmentID,omitempty"`

	// ExternalID follows an existing remote session (sesn_...) instead of launching one: the operator
	// never creates a session for this object, it reads the one named here, streams its events into
	// status and Kubernetes Events, and releases it per deletionPolicy. An AgentDeployment sets it on
	// the Session of each run. agentID and environmentID must name the session's agent and
	// environment. Immutable.
	// +kubebuilder:validation:Pattern=`^sesn_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// Title of the remote session. Defaults to <namespace>/<metadata.name>.
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Title string `json:"title,omitempty"`

	// Metadata is stored on the remote session and kept equal to this map while the Session runs:
	// edits and removed keys are applied, and keys set outside the operator are removed at the next
	// resync. Keys prefixed claude.anthropic.com/ are reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// Prompt is the first user message; it starts the agent when the session is created. Immutable.
	// Leave it unset to start an idle session and talk to it through messages.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	// +optional
	Prompt string `json:"prompt,omitempty"`

	// Messages are follow-up user messages, sent once each, in order, after the prompt. Append-only:
	// add an entry to continue the conversation (kubectl claude send does this). At most 100 entries.
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=8192
	// +listType=atomic
	// +optional
	Messages []string `json:"messages,omitempty"`

	// Attachments are images and documents sent with the prompt (message 0) or with a follow-up
	// message (message n is spec.messages[n-1]), each with the message it names. Append-only like
	// messages: attach to a message in the same update that appends it. At most 100.
	// +kubebuilder:validation:MaxItems=100
	// +listType=atomic
	// +optional
	Attachments []MessageAttachment `json:"attachments,omitempty"`

	// Resources mounted into the session's container: GitHub repositories, files and memory stores.
	// At most 20. After the Session is created, files can be added and removed; repositories and memory
	// stores stay as they were, except that a repository's tokenSecretRef may change (and a change of
	// the token in its Secret reaches the running session).
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	Resources []SessionResource `json:"resources,omitempty"`

	// VaultIDs of existing remote credential vaults (vlt_...) the session may use. Immutable. At most
	// 20 together with vaultRefs.
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:Pattern=`^vlt_[A-Za-z0-9]+$`
	// +kubebuilder:validation:items:MaxLength=128
	// +listType=set
	// +optional
	VaultIDs []string `json:"vaultIDs,omitempty"`

	// VaultRefs names Vaults in this namespace whose credentials the session may use. The Session waits
	// until they are Ready. Immutable. At most 20 together with vaultIDs.
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	// +optional
	VaultRefs []LocalObjectReference `json:"vaultRefs,omitempty"`

	// Budget caps the session's list cost. It can only be set at creation; afterwards it can be raised.
	// +optional
	Budget *Budget `json:"budget,omitempty"`

	// ToolConfirmations answer pending always_ask tool calls, one entry per tool use id.
	// Each is sent once, while the call is pending.
	// +kubebuilder:validation:MaxItems=256
	// +listType=map
	// +listMapKey=toolUseID
	// +optional
	ToolConfirmations []ToolConfirmation `json:"toolConfirmations,omitempty"`

	// CustomToolResults answer pending custom tool calls, one entry per tool use id.
	// Each is sent once, while the call is pending.
	// +kubebuilder:validation:MaxItems=256
	// +listType=map
	// +listMapKey=toolUseID
	// +optional
	CustomToolResults []CustomToolResult `json:"customToolResults,omitempty"`

	// InterruptRequest interrupts the running turn whenever it changes to a new non-empty value
	// (for example a timestamp). The operator records the value it acted on in status.interruptRequest.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	InterruptRequest string `json:"interruptRequest,omitempty"`

	// InterruptThreadID makes the next interruptRequest interrupt one sub-agent thread (sthr_...,
	// as listed in status.threads) instead of the whole session.
	// +kubebuilder:validation:Pattern=`^sthr_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	InterruptThreadID string `json:"interruptThreadID,omitempty"`

	// Outcome defines what done means; a grader evaluates the agent's work against it, and the
	// OutcomeMet condition shows the verdict. It is sent once, and again whenever it changes.
	// +optional
	Outcome *SessionOutcome `json:"outcome,omitempty"`

	// Timeout bounds the session's wall-clock time from launch. When it passes, a running turn is
	// interrupted and the Session ends with phase TimedOut.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=duration
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// TTLSecondsAfterFinished deletes the Session this many seconds after it finishes (Succeeded,
	// Failed, TimedOut or Terminated), honoring deletionPolicy. Unset keeps it.
	// +kubebuilder:validation:Minimum=0
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`

	// EventPolicy says which of the session's events become Kubernetes Events: All (every notable
	// event), Messages (user and agent messages, turn ends, errors and pending actions) or None
	// (status only). Unset uses the operator's default (--session-event-policy, chart value
	// sessionEventPolicy; All unless changed). Status counts and summarizes every event whatever the
	// policy, and kubectl claude logs falls back to status.recentEvents. It may change at any time
	// and applies to the events that arrive after the change.
	// +optional
	EventPolicy EventPolicy `json:"eventPolicy,omitempty"`

	// CompletionPolicy says when the Session counts as finished.
	// +kubebuilder:default=WhenIdle
	// +optional
	CompletionPolicy CompletionPolicy `json:"completionPolicy,omitempty"`

	// DeletionPolicy says what happens to the remote session when this object is deleted.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy SessionDeletionPolicy `json:"deletionPolicy,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// AgentReference names an Agent in the same namespace, optionally pinned to a version.
type AgentReference struct {
	// Name of the Agent.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Version pins a remote agent version. Unset uses the version the Agent is at when the session launches.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Version *int64 `json:"version,omitempty"`
}

// SessionResource is one thing mounted into the session's container. Set exactly one member.
// +kubebuilder:validation:XValidation:rule="[has(self.githubRepository), has(self.file), has(self.memoryStore)].filter(x, x).size() == 1",message="each spec.resources entry must set exactly one of githubRepository, file or memoryStore"
type SessionResource struct {
	// GitHubRepository clones a repository into the container.
	// +optional
	GitHubRepository *GitHubRepositoryResource `json:"githubRepository,omitempty"`

	// File mounts a file uploaded with the Files API.
	// +optional
	File *FileResource `json:"file,omitempty"`

	// MemoryStore mounts a memory store.
	// +optional
	MemoryStore *MemoryStoreResource `json:"memoryStore,omitempty"`
}

// GitHubRepositoryResource clones a GitHub repository.
// +kubebuilder:validation:XValidation:rule="!(has(self.branch) && has(self.commit))",message="set at most one of branch or commit"
type GitHubRepositoryResource struct {
	// URL of the repository, for example https://github.com/acme/app.
	// +kubebuilder:validation:Pattern=`^https://github\.com/[^/]+/[^/]+$`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`

	// Branch to check out. Defaults to the repository's default branch.
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Branch string `json:"branch,omitempty"`

	// Commit SHA to check out.
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{7,40}$`
	// +optional
	Commit string `json:"commit,omitempty"`

	// MountPath in the container. Defaults to /workspace/<repository name>.
	// +kubebuilder:validation:Pattern=`^/.*`
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	MountPath string `json:"mountPath,omitempty"`

	// TokenSecretRef names the Secret key that holds a GitHub token, required for private repositories.
	// The key defaults to "token".
	// +optional
	TokenSecretRef *SecretKeyReference `json:"tokenSecretRef,omitempty"`
}

// FileResource mounts a file from the Files API.
type FileResource struct {
	// FileID of the uploaded file (file_...).
	// +kubebuilder:validation:Pattern=`^file_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	FileID string `json:"fileID"`

	// MountPath in the container. Defaults to /mnt/session/uploads/<fileID>.
	// +kubebuilder:validation:Pattern=`^/.*`
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	MountPath string `json:"mountPath,omitempty"`
}

// MemoryStoreAccess says whether the agent may write to a memory store.
// +kubebuilder:validation:Enum=ReadWrite;ReadOnly
type MemoryStoreAccess string

// MemoryStoreResource mounts a memory store, named by remote id or by a MemoryStore in this namespace.
// +kubebuilder:validation:XValidation:rule="has(self.memoryStoreID) != has(self.memoryStoreRef)",message="each memoryStore resource must set exactly one of memoryStoreID or memoryStoreRef"
type MemoryStoreResource struct {
	// MemoryStoreID of an existing remote store (memstore_...). Set this or memoryStoreRef.
	// +kubebuilder:validation:Pattern=`^memstore_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	MemoryStoreID string `json:"memoryStoreID,omitempty"`

	// MemoryStoreRef names a MemoryStore in this namespace. The Session waits until it is Ready. Set
	// this or memoryStoreID.
	// +optional
	MemoryStoreRef *LocalObjectReference `json:"memoryStoreRef,omitempty"`

	// Access mode. The API defaults to ReadWrite.
	// +optional
	Access MemoryStoreAccess `json:"access,omitempty"`

	// Instructions tell the agent how to use the store, at most 4096 characters.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Instructions string `json:"instructions,omitempty"`
}

// Budget caps a session's list cost.
type Budget struct {
	// MaxListCostUSD is the cap in US dollars with at most two decimals, for example "25" or "2.50".
	// When it is reached, the session waits (phase Idle, TurnComplete reason BudgetReached) until the
	// cap is raised. The cap can be raised, never lowered: the API only raises it.
	// +kubebuilder:validation:Pattern=`^[0-9]{1,9}(\.[0-9]{1,2})?$`
	MaxListCostUSD string `json:"maxListCostUSD"`
}

// ConfirmationDecision allows or denies a tool call.
// +kubebuilder:validation:Enum=Allow;Deny
type ConfirmationDecision string

const (
	// ConfirmationAllow lets the tool call run.
	ConfirmationAllow ConfirmationDecision = "Allow"
	// ConfirmationDeny refuses it; the agent sees the message.
	ConfirmationDeny ConfirmationDecision = "Deny"
)

// ToolConfirmation answers a pending tool call that needs confirmation.
// +kubebuilder:validation:XValidation:rule="self.decision == 'Deny' || !has(self.message)",message="message is only allowed with decision Deny"
type ToolConfirmation struct {
	// ToolUseID is the event id of the pending tool use (sevt_...), as listed in status.pendingActions.
	// +kubebuilder:validation:Pattern=`^sevt_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	ToolUseID string `json:"toolUseID"`

	// Decision allows or denies the call.
	Decision ConfirmationDecision `json:"decision"`

	// Message tells the agent why the call was denied.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Message string `json:"message,omitempty"`
}

// CustomToolResult answers a pending custom tool call.
type CustomToolResult struct {
	// ToolUseID is the event id of the pending custom tool use (sevt_...), as listed in status.pendingActions.
	// +kubebuilder:validation:Pattern=`^sevt_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	ToolUseID string `json:"toolUseID"`

	// Text returned to the agent as the tool's output.
	// +kubebuilder:validation:MaxLength=32768
	Text string `json:"text"`

	// IsError marks the result as a failed call.
	// +optional
	IsError bool `json:"isError,omitempty"`
}

// Session is a Claude Managed Agents session: an Agent running in an Environment.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=csession,categories=claude
// +kubebuilder:printcolumn:name="Agent",type=string,JSONPath=`.spec.agentRef.name`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Stop Reason",type=string,JSONPath=`.status.stopReason`
// +kubebuilder:printcolumn:name="Tokens",type=integer,JSONPath=`.status.usage.totalTokens`
// +kubebuilder:printcolumn:name="Cost",type=string,JSONPath=`.status.usage.listCostUSD`
// +kubebuilder:printcolumn:name="Events",type=integer,JSONPath=`.status.eventCount`
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`,priority=1
// +kubebuilder:printcolumn:name="Last Message",type=string,JSONPath=`.status.lastAgentMessage`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Session struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec launches and steers the session.
	Spec SessionSpec `json:"spec"`

	// Status is what the session is doing, built from its event stream.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status SessionStatus `json:"status,omitempty"`
}

// SessionList is a list of Sessions.
// +kubebuilder:object:root=true
type SessionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Session `json:"items"`
}
