// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxSessionResources bounds status.resources: the spec mounts at most 20 resources, and resources
// mounted outside the operator are removed (files) or cannot exist (repositories and memory stores
// are mounted at creation), so more entries than this are never expected.
const MaxSessionResources = 20

// SessionResourceType is the API's type of a mounted resource.
// +kubebuilder:validation:Enum=github_repository;file;memory_store
type SessionResourceType string

const (
	// SessionResourceGitHubRepository is a cloned repository (spec.resources[].githubRepository).
	SessionResourceGitHubRepository SessionResourceType = "github_repository"
	// SessionResourceFile is a file from the Files API (spec.resources[].file).
	SessionResourceFile SessionResourceType = "file"
	// SessionResourceMemoryStore is a memory store (spec.resources[].memoryStore).
	SessionResourceMemoryStore SessionResourceType = "memory_store"
)

// SessionResourceStatus is one resource mounted into the remote session. It never holds a token:
// a repository's token is known by a salted digest only.
type SessionResourceStatus struct {
	// ID of the remote resource (sesrsc_...), the id the API's resource calls take.
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`

	// Type of the resource: github_repository, file or memory_store.
	Type SessionResourceType `json:"type"`

	// Source is what is mounted: the repository URL, the file id (file_...) or the memory store id
	// (memstore_...).
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	Source string `json:"source,omitempty"`

	// MountPath is where the resource is mounted in the session's container.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	MountPath string `json:"mountPath,omitempty"`

	// TokenDigest is a salted SHA-256 digest (truncated) of the repository token last sent, so that a
	// change of the token's Secret is noticed without sending it again or keeping it. It cannot be
	// turned back into the token. Empty when the operator does not know which token the remote
	// resource holds (it was launched by an earlier process whose answer was lost); the current token
	// is then sent once.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	TokenDigest string `json:"tokenDigest,omitempty"`

	// LastTokenRotation is when the operator last replaced the repository's token on the running
	// session (Resources.Update). Unset until the first rotation: the token sent at launch is not a
	// rotation.
	// +optional
	LastTokenRotation *metav1.Time `json:"lastTokenRotation,omitempty"`
}
