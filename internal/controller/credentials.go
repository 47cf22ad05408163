// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
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
// One Credentials serves every controller of a manager (NewCredentials), so a key is read once
// however many kinds use it.
//
// It remembers the last key it read from each Secret. While a Secret exists, that is a cache
// (checked against the Secret's resourceVersion). When the Secret is deleted, which is what a
// namespace deletion does before the objects that use it are gone, the last key is kept only to
// release the remote twins of the objects that still reference the Secret (APIKeyForRelease): it
// is forgotten as soon as none of them still holds the finalizer, checked when the Secret goes
// away (SecretDeleted) and each time one of them is released (Released). Keys of Secrets that
// nothing references are thus never kept past the Secret's deletion.
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
	// Users lists the kinds whose objects reference API key Secrets (spec.apiKeySecretRef, indexed
	// as indexAPIKeySecret); a deleted Secret's last key is kept while one of them still holds the
	// finalizer. A new kind with an apiKeySecretRef adds its list here (NewCredentials).
	Users []func() client.ObjectList
	// Lister lists Users through the manager's cache and its field indexes; nil keeps no key of a
	// deleted Secret.
	Lister client.Reader

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
	// gone says the Secret was deleted: the value only serves to release the objects that used it.
	gone bool
}

// APIKey returns the API key for an object in namespace with an optional override.
func (c *Credentials) APIKey(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (string, error) {
	id, err := c.field(namespace, ref)
	if err != nil {
		return "", err
	}
	return c.secretKey(ctx, id)
}

// APIKeyForRelease returns the key with which to release a deleted object's remote twin: the
// Secret's current key or, when the Secret or its key is gone, the last key this process read from
// it (remembered is then true). Without either it returns the *CredentialError; after a restart no
// key of a deleted Secret is known, and the caller gives up on the remote object (giveUpRelease).
func (c *Credentials) APIKeyForRelease(ctx context.Context, namespace string, ref *v1alpha1.SecretKeyReference) (key string, remembered bool, err error) {
	id, err := c.field(namespace, ref)
	if err != nil {
		return "", false, err
	}
	key, err = c.secretKey(ctx, id)
	var credErr *CredentialError
	if !errors.As(err, &credErr) {
		return key, false, err
	}
	c.mu.Lock()
	known, ok := c.known[id]
	c.mu.Unlock()
	if !ok {
		return "", false, err
	}
	return known.value, true, nil
}

// field names the Secret key that holds an object's API key.
func (c *Credentials) field(namespace string, ref *v1alpha1.SecretKeyReference) (secretField, error) {
	switch {
	case ref != nil:
		id := secretField{secret: types.NamespacedName{Namespace: namespace, Name: ref.Name}, field: v1alpha1.DefaultAPIKeySecretKey}
		if ref.Key != "" {
			id.field = ref.Key
		}
		return id, nil
	case c.Default.Name != "":
		return secretField{secret: c.Default, field: v1alpha1.DefaultAPIKeySecretKey}, nil
	default:
		return secretField{}, &CredentialError{Message: "no API key: set spec.apiKeySecretRef, or start the operator with --api-key-secret"}
	}
}

// secretKey returns one key of a Secret, from memory when the Secret's resourceVersion in the
// metadata cache is the one it was read at.
func (c *Credentials) secretKey(ctx context.Context, id secretField) (string, error) {
	if c.Metadata == nil {
		return readSecretKey(ctx, c.Reader, id.secret, id.field)
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := c.Metadata.Get(ctx, id.secret, meta); err == nil {
		c.mu.Lock()
		known, ok := c.known[id]
		c.mu.Unlock()
		if ok && !known.gone && known.resourceVersion == meta.ResourceVersion {
			return known.value, nil
		}
	}
	var secret corev1.Secret
	value, err := readSecret(ctx, c.Reader, id.secret, id.field, &secret)
	var credErr *CredentialError
	if errors.As(err, &credErr) {
		// The Secret or its key went away, whether or not its delete event was seen.
		c.prune(ctx, id.secret, "")
	}
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

// SecretDeleted is told that a Secret is gone. Its keys are forgotten unless an object that still
// holds the finalizer references it; those keep the last key until they are released.
func (c *Credentials) SecretDeleted(ctx context.Context, secret types.NamespacedName) {
	c.prune(ctx, secret, "")
}

// Released is told that an object let go of its remote twin (its finalizer is gone). The last key
// of a deleted Secret that it referenced is forgotten when no other object still needs it.
func (c *Credentials) Released(ctx context.Context, obj client.Object, ref *v1alpha1.SecretKeyReference) {
	id, err := c.field(obj.GetNamespace(), ref)
	if err != nil {
		return
	}
	c.mu.Lock()
	known, ok := c.known[id]
	c.mu.Unlock()
	if ok && known.gone {
		c.prune(ctx, id.secret, obj.GetUID())
	}
}

// prune forgets the keys of a deleted Secret, or marks them gone while an object other than except
// that holds the finalizer references the Secret.
func (c *Credentials) prune(ctx context.Context, secret types.NamespacedName, except types.UID) {
	if !c.holds(secret) {
		return
	}
	keep := c.stillNeeded(ctx, secret, except)
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, known := range c.known {
		switch {
		case id.secret != secret:
		case keep:
			known.gone, known.resourceVersion = true, ""
			c.known[id] = known
		default:
			delete(c.known, id)
		}
	}
}

// holds reports whether any key of the Secret is held.
func (c *Credentials) holds(secret types.NamespacedName) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.known {
		if id.secret == secret {
			return true
		}
	}
	return false
}

// stillNeeded reports whether an object other than except, which still holds the finalizer,
// references the Secret. When the answer cannot be had (a list failed), the key is kept: forgetting
// it could strand a remote object, keeping it costs a few bytes until the next release.
func (c *Credentials) stillNeeded(ctx context.Context, secret types.NamespacedName, except types.UID) bool {
	if c.Lister == nil {
		return false
	}
	opts := []client.ListOption{client.InNamespace(secret.Namespace), client.MatchingFields{indexAPIKeySecret: secret.Name}}
	if secret == c.Default {
		opts = []client.ListOption{client.MatchingFields{indexAPIKeySecret: defaultSecretMarker}}
	}
	for _, newList := range c.Users {
		list := newList()
		if err := c.Lister.List(ctx, list, opts...); err != nil {
			return true
		}
		if holdsFinalizer(list, except) {
			return true
		}
	}
	return false
}

// knownKeys is the number of keys held, for tests of the pruning.
func (c *Credentials) knownKeys() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.known)
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
