// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SkillDeletionPolicy says what happens to the remote skill when the Skill is deleted. The API can
// delete skills but not archive them.
// +kubebuilder:validation:Enum=Delete;Retain
type SkillDeletionPolicy string

const (
	// SkillDeletionDelete deletes every version of the remote skill, then the skill. Agents that still
	// use it fail to start new sessions.
	SkillDeletionDelete SkillDeletionPolicy = "Delete"
	// SkillDeletionRetain leaves the remote skill and its versions untouched.
	SkillDeletionRetain SkillDeletionPolicy = "Retain"
)

// SkillSpec is a custom skill whose files come from a ConfigMap in this namespace. Each change of the
// files (a ConfigMap edit or a change of this spec's file list) uploads one new remote skill version;
// Agents that use the Skill through spec.skills[].skillRef without a pinned version follow it.
// +kubebuilder:validation:XValidation:rule="has(self.displayName) == has(oldSelf.displayName) && (!has(self.displayName) || self.displayName == oldSelf.displayName)",message="spec.displayName is immutable: the API cannot rename a skill"
type SkillSpec struct {
	// DisplayName of the remote skill, a single line of at most 255 characters. Defaults to the name
	// in SKILL.md's frontmatter. Immutable: the API cannot rename a skill.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^\r\n]*$`
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// Files are read from this ConfigMap: its data and binaryData keys. The upload puts them in one
	// top-level directory named after this object, which must hold a SKILL.md whose frontmatter gives
	// the skill's name (lowercase letters, digits and hyphens, fixed for the skill's life) and
	// description. At most 8 MiB in all.
	Files SkillFiles `json:"files"`

	// DeletionPolicy says what happens to the remote skill when this object is deleted.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy SkillDeletionPolicy `json:"deletionPolicy,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// SkillFiles selects a skill's files from a ConfigMap.
// +kubebuilder:validation:XValidation:rule="!has(self.items) || self.items.exists(i, i.path == 'SKILL.md')",message="spec.files.items must map a key to the path SKILL.md"
// +kubebuilder:validation:XValidation:rule="!has(self.items) || self.items.all(i, self.items.filter(j, j.path == i.path).size() == 1)",message="spec.files.items: two items map to the same path"
type SkillFiles struct {
	// ConfigMapRef names the ConfigMap in this namespace that holds the files.
	ConfigMapRef LocalObjectReference `json:"configMapRef"`

	// Items picks keys of the ConfigMap and places each at a path inside the skill, such as
	// scripts/fill.py (ConfigMap keys cannot hold a /), at most 128. Unset uploads every key, each at its own name,
	// so the ConfigMap must then have a key SKILL.md.
	// +kubebuilder:validation:MaxItems=128
	// +listType=map
	// +listMapKey=key
	// +optional
	Items []SkillFileItem `json:"items,omitempty"`
}

// SkillFileItem places one ConfigMap key at a path inside the skill.
type SkillFileItem struct {
	// Key of the ConfigMap (in data or binaryData).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`

	// Path of the file inside the skill's directory: relative, clean (no . or .. segments, no empty
	// segment), for example SKILL.md or scripts/fill.py.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.endsWith('/') && self.split('/').all(s, s != '' && s != '.' && s != '..')",message="path must be a clean relative path such as scripts/fill.py"
	Path string `json:"path"`
}

// SkillVersionRecord is one remote skill version that the operator uploaded.
type SkillVersionRecord struct {
	// Version is the remote version id (skillver_...).
	Version string `json:"version"`

	// ContentHash is the SHA-256 of the uploaded files (paths and contents).
	ContentHash string `json:"contentHash"`

	// Time the version was uploaded.
	Time metav1.Time `json:"time"`
}

// MaxSkillVersionHistory bounds status.versionHistory.
const MaxSkillVersionHistory = 10

// SkillStatus is the observed state of the remote skill.
type SkillStatus struct {
	// ID of the remote skill (skill_...).
	// +optional
	ID string `json:"id,omitempty"`

	// LatestVersion is the remote version id (skillver_...) that holds the current files. Agents that
	// reference this Skill without a pinned version use it.
	// +optional
	LatestVersion string `json:"latestVersion,omitempty"`

	// ContentHash is the SHA-256 of the files of LatestVersion, so that an unchanged ConfigMap never
	// uploads a version.
	// +optional
	ContentHash string `json:"contentHash,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ConfigHash is a hash of the desired display name and files last applied.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last uploaded a version or created the skill.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// VersionHistory lists the most recent uploaded versions, newest first (at most 10).
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	// +optional
	VersionHistory []SkillVersionRecord `json:"versionHistory,omitempty"`

	// Conditions: Ready (the latest remote version holds the ConfigMap's files), Synced (the last sync
	// succeeded) and Paused.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Skill is a Claude custom skill whose files come from a ConfigMap; every content change is a new
// remote skill version.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cskill,categories=claude
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Latest Version",type=string,JSONPath=`.status.latestVersion`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Skill struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired skill: where its files come from.
	Spec SkillSpec `json:"spec"`

	// Status is the observed state of the remote skill.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status SkillStatus `json:"status,omitempty"`
}

// SkillList is a list of Skills.
// +kubebuilder:object:root=true
type SkillList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Skill `json:"items"`
}
