// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnvironmentDeletionPolicy says what happens to the remote environment when the Environment is deleted.
// +kubebuilder:validation:Enum=Delete;Archive;Retain
type EnvironmentDeletionPolicy string

const (
	// EnvironmentDeletionDelete deletes the remote environment.
	EnvironmentDeletionDelete EnvironmentDeletionPolicy = "Delete"
	// EnvironmentDeletionArchive archives it: running sessions continue, new sessions cannot use it.
	EnvironmentDeletionArchive EnvironmentDeletionPolicy = "Archive"
	// EnvironmentDeletionRetain leaves it untouched.
	EnvironmentDeletionRetain EnvironmentDeletionPolicy = "Retain"
)

// EnvironmentSpec is where sessions' tools run: a Cloud container template (packages, networking) or
// SelfHosted sandbox Pods in this cluster. Changes apply to new sessions only.
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'SelfHosted' || has(self.selfHosted)",message="spec.selfHosted is required when spec.type is SelfHosted"
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type == 'SelfHosted') || !has(self.selfHosted)",message="spec.selfHosted is only allowed when spec.type is SelfHosted"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'SelfHosted' || !has(self.packages)",message="spec.packages is Cloud-only: a SelfHosted environment's packages come from spec.selfHosted.sandboxTemplate.image"
// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type != 'SelfHosted' || !has(self.networking)",message="spec.networking is Cloud-only: restrict a SelfHosted environment's egress with a NetworkPolicy on its sandbox Pods"
// +kubebuilder:validation:XValidation:rule="!has(self.packages) || !has(self.networking) || self.networking.type != 'Limited' || (has(self.networking.allowPackageManagers) && self.networking.allowPackageManagers)",message="spec.packages needs spec.networking.allowPackageManagers: true when spec.networking.type is Limited"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.externalID) || (has(self.externalID) && self.externalID == oldSelf.externalID)",message="spec.externalID is immutable once set"
type EnvironmentSpec struct {
	// Name of the remote environment, unique in the organization (1-256 characters). Defaults to
	// <namespace>-<metadata.name>, so that Environments in different namespaces do not collide.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +optional
	Name string `json:"name,omitempty"`

	// Type says where the tools of this Environment's sessions run: Cloud (a container in Anthropic's
	// cloud) or SelfHosted (a sandbox Pod in this cluster, configured by selfHosted). Immutable: the API
	// cannot change an environment's type.
	// +kubebuilder:default=Cloud
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.type is immutable: create a new Environment to change where tools run"
	// +optional
	Type EnvironmentType `json:"type,omitempty"`

	// SelfHosted configures the sandbox Pods of a SelfHosted Environment. Required when type is
	// SelfHosted, and not allowed otherwise.
	// +optional
	SelfHosted *SelfHostedEnvironment `json:"selfHosted,omitempty"`

	// Description of the environment, at most 2048 characters.
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Description string `json:"description,omitempty"`

	// Metadata is stored on the remote environment and kept equal to this map: edits and removed keys are
	// applied, and keys set outside the operator are removed. Keys prefixed claude.anthropic.com/ are
	// reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// Networking controls the container's outbound network access. Defaults to unrestricted. Cloud only.
	// +optional
	Networking *Networking `json:"networking,omitempty"`

	// Packages installed in the container, per package manager. Pin versions with the manager's syntax
	// (for example pandas==2.2.3). Cloud only.
	// +optional
	Packages *Packages `json:"packages,omitempty"`

	// DeletionPolicy says what happens to the remote environment when this object is deleted.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy EnvironmentDeletionPolicy `json:"deletionPolicy,omitempty"`

	// ExternalID adopts an existing remote environment (env_...) instead of creating one. Immutable once set.
	// +kubebuilder:validation:Pattern=`^env_[A-Za-z0-9]+$`
	// +kubebuilder:validation:MaxLength=128
	// +optional
	ExternalID string `json:"externalID,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// NetworkingType selects unrestricted or limited egress.
// +kubebuilder:validation:Enum=Unrestricted;Limited
type NetworkingType string

const (
	// NetworkingUnrestricted allows all outbound traffic.
	NetworkingUnrestricted NetworkingType = "Unrestricted"
	// NetworkingLimited allows only the listed hosts, plus MCP servers and package registries when enabled.
	NetworkingLimited NetworkingType = "Limited"
)

// Networking controls the container's egress. web_fetch and web_search are governed by their own
// domain lists, not by this.
// +kubebuilder:validation:XValidation:rule="self.type == 'Limited' || !(has(self.allowedHosts) || has(self.allowMCPServers) || has(self.allowPackageManagers))",message="allowedHosts, allowMCPServers and allowPackageManagers need networking.type Limited"
type Networking struct {
	// Type of networking.
	// +kubebuilder:default=Unrestricted
	Type NetworkingType `json:"type"`

	// AllowedHosts the container may reach under Limited networking.
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	AllowedHosts []string `json:"allowedHosts,omitempty"`

	// AllowMCPServers lets the container reach the agent's MCP servers beyond allowedHosts.
	// +optional
	AllowMCPServers *bool `json:"allowMCPServers,omitempty"`

	// AllowPackageManagers lets the container reach public package registries. Required for packages
	// under Limited networking.
	// +optional
	AllowPackageManagers *bool `json:"allowPackageManagers,omitempty"`
}

// PackageList is a list of package specifiers for one package manager.
// +kubebuilder:validation:MaxItems=256
// +kubebuilder:validation:items:MinLength=1
// +kubebuilder:validation:items:MaxLength=256
type PackageList []string

// Packages lists packages to install, per manager. They install in alphabetical manager order and
// are cached across sessions that share the environment.
type Packages struct {
	// Apt packages (Debian).
	// +listType=atomic
	// +optional
	Apt PackageList `json:"apt,omitempty"`
	// Cargo crates (Rust).
	// +listType=atomic
	// +optional
	Cargo PackageList `json:"cargo,omitempty"`
	// Gem packages (Ruby).
	// +listType=atomic
	// +optional
	Gem PackageList `json:"gem,omitempty"`
	// Go modules.
	// +listType=atomic
	// +optional
	Go PackageList `json:"go,omitempty"`
	// Npm packages (Node.js).
	// +listType=atomic
	// +optional
	Npm PackageList `json:"npm,omitempty"`
	// Pip packages (Python).
	// +listType=atomic
	// +optional
	Pip PackageList `json:"pip,omitempty"`
}

// EnvironmentStatus is the observed state of the remote environment.
type EnvironmentStatus struct {
	// ID of the remote environment (env_...).
	// +optional
	ID string `json:"id,omitempty"`

	// Name of the remote environment as created.
	// +optional
	Name string `json:"name,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ConfigHash is a hash of the desired remote configuration last applied.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last compared the remote environment with the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// SelfHosted is the state of a SelfHosted Environment's work queue and sandbox Pods.
	// +optional
	SelfHosted *SelfHostedEnvironmentStatus `json:"selfHosted,omitempty"`

	// Conditions: Ready (the remote environment matches the spec), Synced (the last call to the API
	// succeeded) and Paused (the paused annotation holds every remote call).
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Environment is where sessions' tools run: a container in Anthropic's cloud (packages and
// networking), or sandbox Pods in this cluster (SelfHosted).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cenv,categories=claude
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Networking",type=string,JSONPath=`.spec.networking.type`
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Queued",type=integer,JSONPath=`.status.selfHosted.queueDepth`,priority=1
// +kubebuilder:printcolumn:name="Sandboxes",type=integer,JSONPath=`.status.selfHosted.activeSandboxes`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Environment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired environment configuration.
	// +optional
	Spec EnvironmentSpec `json:"spec,omitempty"`

	// Status is the observed state of the remote environment.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status EnvironmentStatus `json:"status,omitempty"`
}

// EnvironmentList is a list of Environments.
// +kubebuilder:object:root=true
type EnvironmentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Environment `json:"items"`
}
