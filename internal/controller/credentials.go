package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	// Default is the operator-wide Secret (--api-key-secret); empty Name means none.
	Default types.NamespacedName
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
	return readSecretKey(ctx, c.Reader, key, field)
}

// readSecretKey returns one key of a Secret, with errors that say which Secret and key are missing.
func readSecretKey(ctx context.Context, r client.Reader, key types.NamespacedName, field string) (string, error) {
	var secret corev1.Secret
	if err := r.Get(ctx, key, &secret); err != nil {
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
