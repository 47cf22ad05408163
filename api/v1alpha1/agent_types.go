// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AgentDeletionPolicy says what happens to the remote agent when the Agent is deleted.
// The hosted API cannot delete agents, only archive them.
// +kubebuilder:validation:Enum=Archive;Retain
type AgentDeletionPolicy string

const (
	// AgentDeletionArchive archives the remote agent: it becomes read-only and no new session can use it.
	AgentDeletionArchive AgentDeletionPolicy = "Archive"
	// AgentDeletionRetain leaves the remote agent untouched.
	AgentDeletionRetain AgentDeletionPolicy = "Retain"
)

// AgentSpec is the desired configuration of a Claude Managed Agent. Every change creates a new remote
// agent version; sessions keep the version they started with.
// +kubebuilder:validation:XValidation:rule="!(has(self.system) && has(self.systemFrom))",message="spec.system and spec.systemFrom are mutually exclusive: set one of them"
// +kubebuilder:validation:XValidation:rule="!has(self.mcpServers) || self.mcpServers.all(s, has(self.tools) && self.tools.exists(t, has(t.mcpToolset) && t.mcpToolset.mcpServerName == s.name))",message="spec.mcpServers: every MCP server must be used by a spec.tools[].mcpToolset with the same mcpServerName"
// +kubebuilder:validation:XValidation:rule="!has(self.tools) || self.tools.all(t, !has(t.mcpToolset) || (has(self.mcpServers) && self.mcpServers.exists(s, s.name == t.mcpToolset.mcpServerName)))",message="spec.tools[].mcpToolset.mcpServerName must name an entry of spec.mcpServers"
// +kubebuilder:validation:XValidation:rule="!has(self.tools) || self.tools.filter(t, has(t.agentToolset)).size() <= 1",message="spec.tools may hold at most one agentToolset"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.externalID) || (has(self.externalID) && self.externalID == oldSelf.externalID)",message="spec.externalID is immutable once set"
type AgentSpec struct {
	// Name of the remote agent (1-256 characters). Defaults to metadata.name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Name string `json:"name,omitempty"`

	// Description of what the agent does, at most 2048 characters.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Description string `json:"description,omitempty"`

	// Model that powers the agent, with its speed and effort.
	Model ModelConfig `json:"model"`

	// System prompt, at most 100,000 characters. Mutually exclusive with systemFrom.
	// +kubebuilder:validation:MaxLength=100000
	// +optional
	System string `json:"system,omitempty"`

	// SystemFrom reads the system prompt from a ConfigMap key in this namespace. The agent is updated
	// whenever that ConfigMap changes. Mutually exclusive with system.
	// +optional
	SystemFrom *ConfigMapKeyReference `json:"systemFrom,omitempty"`

	// Tools available to the agent: the built-in agent toolset, MCP toolsets and custom tools.
	// At most 256 entries.
	// +kubebuilder:validation:MaxItems=256
	// +listType=atomic
	// +optional
	Tools []Tool `json:"tools,omitempty"`

	// MCPServers the agent can connect to. Each must be used by an mcpToolset in tools. At most 20, with unique names.
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	// +optional
	MCPServers []MCPServer `json:"mcpServers,omitempty"`

	// Skills loaded into the agent's container: by skill ID, or by skillRef to a Skill in this
	// namespace. At most 64, each skill once.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(s, !has(s.skillID) || self.filter(t, has(t.skillID) && t.skillID == s.skillID).size() == 1)",message="spec.skills: a skillID appears twice"
	// +kubebuilder:validation:XValidation:rule="self.all(s, !has(s.skillRef) || self.filter(t, has(t.skillRef) && t.skillRef.name == s.skillRef.name).size() == 1)",message="spec.skills: a skillRef names the same Skill twice"
	// +listType=atomic
	// +optional
	Skills []AgentSkill `json:"skills,omitempty"`

	// Multiagent enables delegation to an advisor model, subagents and workflows. Unset means single-threaded.
	// +optional
	Multiagent *Multiagent `json:"multiagent,omitempty"`

	// ExecutionIdentity is the identity the agent's tools run as. Unset means the default service account.
	// +optional
	ExecutionIdentity *ExecutionIdentity `json:"executionIdentity,omitempty"`

	// Metadata is stored on the remote agent and kept equal to this map: edits and removed keys are
	// applied, and keys set outside the operator are removed. Keys prefixed claude.anthropic.com/ are
	// reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// DeletionPolicy says what happens to the remote agent when this object is deleted.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy AgentDeletionPolicy `json:"deletionPolicy,omitempty"`

	// ExternalID adopts an existing remote agent (agent_...) instead of creating one. The operator then
	// manages its configuration. Immutable once set.
	// +kubebuilder:validation:Pattern=`^agent_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// ModelSpeed selects the inference speed tier.
// +kubebuilder:validation:Enum=standard;fast
type ModelSpeed string

// ModelEffort selects how much reasoning effort the model spends.
// +kubebuilder:validation:Enum=low;medium;high;xhigh;max
type ModelEffort string

// ModelConfig selects the model and how it runs.
type ModelConfig struct {
	// ID of the model, for example claude-opus-4-8 or claude-sonnet-4-6.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`

	// Speed tier. The API defaults to standard; some models reject fast.
	// +optional
	Speed ModelSpeed `json:"speed,omitempty"`

	// Effort level. The API resolves an unset effort to the model's default when the agent is saved.
	// +optional
	Effort ModelEffort `json:"effort,omitempty"`

	// InferenceGeo restricts where inference runs, for example "us" or "global".
	// +kubebuilder:validation:MaxLength=64
	// +optional
	InferenceGeo string `json:"inferenceGeo,omitempty"`
}

// MCPServer is a remote MCP server reached over HTTPS.
type MCPServer struct {
	// Name of the server, unique within the agent; mcpToolset entries refer to it.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`

	// URL of the server's MCP endpoint.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
}

// SkillType says who publishes a skill.
// +kubebuilder:validation:Enum=Anthropic;Custom
type SkillType string

const (
	// SkillAnthropic is a skill published by Anthropic, such as xlsx or pdf.
	SkillAnthropic SkillType = "Anthropic"
	// SkillCustom is a skill uploaded to your organization (skill_...).
	SkillCustom SkillType = "Custom"
)

// AgentSkill is a packaged capability loaded into the agent's container: a skill named by type and
// skillID, or a Skill object in this namespace named by skillRef.
// +kubebuilder:validation:XValidation:rule="has(self.skillID) != has(self.skillRef)",message="each spec.skills entry must set exactly one of skillID or skillRef"
// +kubebuilder:validation:XValidation:rule="!has(self.skillID) || has(self.type)",message="spec.skills[].type is required with skillID"
// +kubebuilder:validation:XValidation:rule="!has(self.skillRef) || !has(self.type) || self.type == 'Custom'",message="spec.skills[].skillRef names a custom skill: type must be Custom or unset"
// +kubebuilder:validation:XValidation:rule="!has(self.skillID) || !has(self.type) || self.type != 'Custom' || self.skillID.startsWith('skill_')",message="skillID of a Custom skill must start with skill_"
type AgentSkill struct {
	// Type says who publishes the skill. Required with skillID; a skillRef is always Custom.
	// +optional
	Type SkillType `json:"type,omitempty"`

	// SkillID identifies the skill: a name such as xlsx for Anthropic skills, skill_... for custom ones.
	// Set this or skillRef.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +optional
	SkillID string `json:"skillID,omitempty"`

	// SkillRef names a Skill in this namespace. The Agent waits until it is Ready. Without a pinned
	// version the Agent follows the Skill: each new Skill version makes a new agent version. Set this
	// or skillID.
	// +optional
	SkillRef *LocalObjectReference `json:"skillRef,omitempty"`

	// Version pins the skill version. Unset means the latest version: for skillID the latest when the
	// agent is saved, for skillRef the Skill's status.latestVersion, kept current.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Version string `json:"version,omitempty"`
}

// Multiagent configures delegation (the API's multiagent_20261001 form).
type Multiagent struct {
	// Advisor lets the agent consult a stronger model. Disabled when unset.
	// +optional
	Advisor *MultiagentAdvisor `json:"advisor,omitempty"`

	// Subagents lets the agent delegate to other agents. The API enables it by default.
	// +optional
	Subagents *MultiagentDelegation `json:"subagents,omitempty"`

	// Workflows lets the agent run multi-step workflows of agents. The API enables it by default.
	// +optional
	Workflows *MultiagentDelegation `json:"workflows,omitempty"`
}

// MultiagentAdvisor configures the advisor model.
// +kubebuilder:validation:XValidation:rule="!self.enabled || has(self.model)",message="advisor.model is required when advisor.enabled is true"
type MultiagentAdvisor struct {
	// Enabled turns the advisor on.
	Enabled bool `json:"enabled"`

	// Model the advisor uses, for example claude-opus-4-8.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Model string `json:"model,omitempty"`
}

// MultiagentDelegation configures one kind of delegation.
type MultiagentDelegation struct {
	// Enabled turns this kind of delegation on or off.
	Enabled bool `json:"enabled"`

	// PredefinedAgents the agent may delegate to. At most 20.
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	// +optional
	PredefinedAgents []AgentTarget `json:"predefinedAgents,omitempty"`

	// InlineAgents lets the agent define helpers on the fly.
	// +optional
	InlineAgents *bool `json:"inlineAgents,omitempty"`
}

// AgentTarget names an agent either by Agent object in this namespace or by remote id.
// +kubebuilder:validation:XValidation:rule="has(self.name) != has(self.id)",message="set exactly one of name (an Agent in this namespace) or id (a remote agent_...)"
type AgentTarget struct {
	// Name of an Agent in this namespace.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Name string `json:"name,omitempty"`

	// ID of a remote agent (agent_...).
	// +kubebuilder:validation:Pattern=`^agent_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ID string `json:"id,omitempty"`

	// Version pins the agent version. Unset means the latest.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Version *int64 `json:"version,omitempty"`
}

// ExecutionIdentityType selects the identity the agent's tools run as.
// +kubebuilder:validation:Enum=ServiceAccount;AWSRole
type ExecutionIdentityType string

const (
	// ExecutionIdentityServiceAccount is the platform's default identity.
	ExecutionIdentityServiceAccount ExecutionIdentityType = "ServiceAccount"
	// ExecutionIdentityAWSRole assumes an AWS IAM role.
	ExecutionIdentityAWSRole ExecutionIdentityType = "AWSRole"
)

// ExecutionIdentity is the identity the agent's tools run as.
// +kubebuilder:validation:XValidation:rule="(self.type == 'AWSRole') == has(self.roleARN)",message="roleARN is required for type AWSRole and not allowed otherwise"
type ExecutionIdentity struct {
	// Type of identity.
	Type ExecutionIdentityType `json:"type"`

	// RoleARN of the AWS role to assume (type AWSRole).
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+`
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	RoleARN string `json:"roleARN,omitempty"`
}

// AgentVersionRecord is one remote version that the operator saved or observed.
type AgentVersionRecord struct {
	// Version number on the remote agent.
	Version int64 `json:"version"`

	// ObservedGeneration is the metadata.generation of the Agent that produced this version.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Time the operator recorded this version.
	Time metav1.Time `json:"time"`

	// Reason says why the version exists: Created, Updated, DriftCorrected or Adopted.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Reason string `json:"reason,omitempty"`
}

// MaxAgentVersionHistory bounds status.versionHistory.
const MaxAgentVersionHistory = 10

// AgentStatus is the observed state of the remote agent.
type AgentStatus struct {
	// ID of the remote agent (agent_...).
	// +optional
	ID string `json:"id,omitempty"`

	// Version of the remote agent that matches the spec.
	// +optional
	Version int64 `json:"version,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ConfigHash is a hash of the desired remote configuration last applied, used to detect spec and
	// ConfigMap changes without a remote call.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last compared the remote agent with the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// VersionHistory lists the most recent remote versions, newest first (at most 10).
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	VersionHistory []AgentVersionRecord `json:"versionHistory,omitempty"`

	// Conditions: Ready (the remote agent matches the spec), Synced (the last call to the API
	// succeeded) and Paused (the paused annotation holds every remote call).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Agent is a versioned Claude Managed Agents configuration: model, system prompt, tools, skills and MCP servers.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cagent,categories=claude
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.model.id`
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Version",type=integer,JSONPath=`.status.version`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Agent struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired agent configuration.
	Spec AgentSpec `json:"spec"`

	// Status is the observed state of the remote agent.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status AgentStatus `json:"status,omitempty"`
}

// AgentList is a list of Agents.
// +kubebuilder:object:root=true
type AgentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Agent `json:"items"`
}
