// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// SecretKeyReference names a key of a Secret in the same namespace as the object that refers to it.
type SecretKeyReference struct {
	// Name of the Secret, in the same namespace as the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key within the Secret's data. Defaults to "api-key" for API keys.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Key string `json:"key,omitempty"`
}

// ConfigMapKeyReference names a key of a ConfigMap in the same namespace as the object that refers to it.
type ConfigMapKeyReference struct {
	// Name of the ConfigMap, in the same namespace as the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key within the ConfigMap's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// LocalObjectReference names another object of a known kind in the same namespace.
type LocalObjectReference struct {
	// Name of the referenced object, in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// DefaultAPIKeySecretKey is the Secret key that holds the API key when a reference names no key.
const DefaultAPIKeySecretKey = "api-key"

// Remote metadata keys that the operator writes on every object it creates, so that a crash between
// a remote create and the status write never leaves a duplicate: the next reconcile finds the object by UID.
// Users cannot set keys with this prefix (the CRDs reject them).
const (
	MetadataKeyPrefix    = "claude.anthropic.com/"
	MetadataKeyUID       = MetadataKeyPrefix + "uid"
	MetadataKeyNamespace = MetadataKeyPrefix + "namespace"
	MetadataKeyName      = MetadataKeyPrefix + "name"
	// MetadataKeyCredential names the spec.credentials entry a remote vault credential was made for.
	MetadataKeyCredential = MetadataKeyPrefix + "credential"
)

// Metadata is a user-defined string map stored on the remote object. The API allows 16 pairs; the
// operator reserves three for its own keys, so users get 13. Keys are at most 64 characters and values
// at most 512.
// +kubebuilder:validation:MaxProperties=13
// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) >= 1 && size(k) <= 64)",message="metadata keys must be 1-64 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 512)",message="metadata values must be at most 512 characters"
// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('claude.anthropic.com/'))",message="metadata keys with the prefix claude.anthropic.com/ are reserved for the operator"
type Metadata map[string]string

// SecretKeySelector names a key of a Secret in the same namespace as the referring object. Unlike
// SecretKeyReference, the key has no default: a credential names exactly the value it sends.
type SecretKeySelector struct {
	// Name of the Secret, in the same namespace as the referring object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}
