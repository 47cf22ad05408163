// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MemoryStoreDeletionPolicy says what happens to the remote memory store when the MemoryStore is
// deleted.
// +kubebuilder:validation:Enum=Delete;Archive;Retain
type MemoryStoreDeletionPolicy string

const (
	// MemoryStoreDeletionDelete deletes the remote store with its memories.
	MemoryStoreDeletionDelete MemoryStoreDeletionPolicy = "Delete"
	// MemoryStoreDeletionArchive archives it: its memories stay readable, nothing can write to it and
	// new sessions cannot attach it.
	MemoryStoreDeletionArchive MemoryStoreDeletionPolicy = "Archive"
	// MemoryStoreDeletionRetain leaves it untouched.
	MemoryStoreDeletionRetain MemoryStoreDeletionPolicy = "Retain"
)

// MemoryStoreSpec is a remote memory store: a persistent set of small text documents that sessions
// mount (spec.resources[].memoryStore.memoryStoreRef) and agents read and write with their file
// tools.
//
// The remote store is the source of truth for its memories. The seed only creates memories at paths
// that hold none: a memory the agent (or anyone) wrote or changed is never overwritten or deleted
// because the ConfigMap says otherwise, and removing a key from the ConfigMap removes nothing.
type MemoryStoreSpec struct {
	// Name of the remote store (1-255 characters). Sessions mount it under /mnt/memory/ at a directory
	// derived from this name. Defaults to metadata.name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Name string `json:"name,omitempty"`

	// Description of what the store holds, at most 1024 characters. It goes into the system prompt of
	// every session that mounts the store, so write it for the agent.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Description string `json:"description,omitempty"`

	// Seed creates memories from the keys of a ConfigMap in this namespace. The remote store is the
	// source of truth: a seed memory is created only at a path that holds none, so what agents (or
	// anyone) write or change there is never overwritten, and removing a key removes nothing.
	// +optional
	Seed *MemorySeed `json:"seed,omitempty"`

	// Metadata is stored on the remote store and kept equal to this map. Keys prefixed
	// claude.anthropic.com/ are reserved.
	// +optional
	Metadata Metadata `json:"metadata,omitempty"`

	// DeletionPolicy says what happens to the remote store when this object is deleted.
	// +kubebuilder:default=Archive
	// +optional
	DeletionPolicy MemoryStoreDeletionPolicy `json:"deletionPolicy,omitempty"`

	// APIKeySecretRef overrides the operator's default API key with a key from a Secret in this namespace
	// (key defaults to "api-key").
	// +optional
	APIKeySecretRef *SecretKeyReference `json:"apiKeySecretRef,omitempty"`
}

// MemorySeed names the ConfigMap whose keys become the store's first memories.
type MemorySeed struct {
	// ConfigMapRef names the ConfigMap in this namespace. Each key of its data becomes the memory at
	// <pathPrefix><key>, with the value as content (at most 100 kB each).
	ConfigMapRef LocalObjectReference `json:"configMapRef"`

	// PathPrefix is the directory the seeded memories go to, starting and ending with /. Defaults to /.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') && self.endsWith('/') && (self == '/' || self.substring(1, size(self) - 1).split('/').all(s, s != '' && s != '.' && s != '..'))",message="seed.pathPrefix must start and end with / and have no empty, . or .. segments, for example /team/"
	// +kubebuilder:default=/
	// +optional
	PathPrefix string `json:"pathPrefix,omitempty"`
}

// MemoryStoreStatus is the observed state of the remote memory store.
type MemoryStoreStatus struct {
	// ID of the remote store (memstore_...).
	// +optional
	ID string `json:"id,omitempty"`

	// ObservedGeneration is the metadata.generation that the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Memories is how many memories the remote store held at the last sync, seeded or written by agents.
	// +optional
	Memories int64 `json:"memories,omitempty"`

	// SizeBytes is the total size of their contents at the last sync.
	// +optional
	SizeBytes int64 `json:"sizeBytes,omitempty"`

	// SeedHash is the SHA-256 of the seed ConfigMap's content last applied, so that an unchanged
	// ConfigMap costs no remote call.
	// +optional
	SeedHash string `json:"seedHash,omitempty"`

	// ConfigHash is a hash of the desired store and seed last applied.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastSyncTime is when the operator last compared the remote store with the spec.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// Conditions: Ready (the store exists, matches the spec and holds every seed path), Synced (the
	// last sync succeeded) and Paused.
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// MemoryStore is a Claude Managed Agents memory store, optionally seeded from a ConfigMap.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cmemory,categories=claude
// +kubebuilder:printcolumn:name="Remote ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Memories",type=integer,JSONPath=`.status.memories`
// +kubebuilder:printcolumn:name="Size",type=integer,JSONPath=`.status.sizeBytes`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type MemoryStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired memory store and its seed. After seeding, the remote store is the source of
	// truth for its memories.
	Spec MemoryStoreSpec `json:"spec"`

	// Status is the observed state of the remote store.
	// The default marks a new object as not yet observed (observedGeneration -1 before the operator
	// first writes status), so GitOps tools (kstatus) wait instead of calling it Current.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status MemoryStoreStatus `json:"status,omitempty"`
}

// MemoryStoreList is a list of MemoryStores.
// +kubebuilder:object:root=true
type MemoryStoreList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MemoryStore `json:"items"`
}
