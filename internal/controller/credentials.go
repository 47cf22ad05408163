// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// CredentialError says why no API key could be read. Its message names the Secret and key, never
// the value.
type CredentialError struct {
	Message string
}

func (e *CredentialError) Error() string { return e.Message }

// Credentials reads API keys from Secrets: a per-object apiKeySecretRef, or the operator-wide default.
type Credentials struct {
	// Reader reads Secrets straight from the API server, so the operator never caches every Secret
	// of the cluster in memory.
	Reader client.Reader
	// Metadata, when set, reads Secret metadata from the manager's cache (the controllers watch
	// Secret metadata anyway). A key is then read from the API server again only when its Secret's
	// resourceVersion changed, not on every reconcile; only the keys in use are held.
	Metadata client.Reader
	// Default is the operator-wide Secret (--api-key-secret); empty Name means none.
	Default types.NamespacedName

	mu    sync.Mutex
	known map[secretField]knownValue
}

// secretField is one key of one Secret.
type secretField struct {
	secret types.NamespacedName
	field  string
}

// knownValue is a key's value as read at a resourceVersion of its Secret.
type knownValue struct {
	resourceVersion, value string
}

// APIKey returns the API key for an object in namespace with an optional override.
func (c *Credentials) APIKey(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (string, error) {
	key := types.NamespacedName{Namespace: namespace}
	field := v1alpha1.DefaultAPIKeySecretKey
	switch {
	case ref != nil:
		key.Name = ref.Name
		if ref.Key != "" {
			field = ref.Key
		}
	case c.Default.Name != "":
		key = c.Default
	default:
		return "", &CredentialError{Message: "no API key: set spec.apiKeySecretRef, or start the operator with --api-key-secret"}
	}
	return c.secretKey(ctx, key, field)
}

// secretKey returns one key of a Secret, from memory when the Secret's resourceVersion in the
// metadata cache is the one it was read at.
func (c *Credentials) secretKey(ctx context.Context, key types.NamespacedName, field string) (string, error) {
	if c.Metadata == nil {
		return readSecretKey(ctx, c.Reader, key, field)
	}
	id := secretField{secret: key, field: field}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := c.Metadata.Get(ctx, key, meta); err == nil {
		c.mu.Lock()
		known, ok := c.known[id]
		c.mu.Unlock()
		if ok && known.resourceVersion == meta.ResourceVersion {
			return known.value, nil
		}
	}
	var secret corev1.Secret
	value, err := readSecret(ctx, c.Reader, key, field, &secret)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.known == nil {
		c.known = map[secretField]knownValue{}
	}
	c.known[id] = knownValue{resourceVersion: secret.ResourceVersion, value: value}
	c.mu.Unlock()
	return value, nil
}

// readSecretKey returns one key of a Secret, with errors that say which Secret and key are missing.
func readSecretKey(ctx context.Context, r client.Reader, key types.NamespacedName, field string) (string, error) {
	var secret corev1.Secret
	return readSecret(ctx, r, key, field, &secret)
}

func readSecret(ctx context.Context, r client.Reader, key types.NamespacedName, field string, secret *corev1.Secret) (string, error) {
	if err := r.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return "", &CredentialError{Message: fmt.Sprintf("Secret %s not found", key)}
		}
		return "", err
	}
	value, ok := secret.Data[field]
	if !ok || len(value) == 0 {
		return "", &CredentialError{Message: fmt.Sprintf("Secret %s has no key %q", key, field)}
	}
	return string(value), nil
}
