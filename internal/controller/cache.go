// SPDX-License-Identifier: Apache-2.0

package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CacheOptions are the manager's cache options: informers restricted to the watched namespaces (all
// when there are none), and cached objects without their managedFields, which nothing reads (with
// many Sessions they are a large share of the cache's memory and of the copying and patch
// computation each reconcile does).
//
// The default key Secret (--api-key-secret) is watched wherever it lives. In a namespace that is not
// watched, its informer holds that one Secret (a field selector on its name), so that a rotation
// still re-queues every object that uses it and its reads come from the cache, instead of no
// informer seeing it and every reconcile reading it from the API server.
func CacheOptions(namespaces []string, defaultSecret types.NamespacedName) cache.Options {
	opts := cache.Options{DefaultTransform: cache.TransformStripManagedFields()}
	if len(namespaces) == 0 {
		return opts
	}
	opts.DefaultNamespaces = map[string]cache.Config{}
	for _, ns := range namespaces {
		opts.DefaultNamespaces[ns] = cache.Config{}
	}
	if _, watched := opts.DefaultNamespaces[defaultSecret.Namespace]; defaultSecret.Name == "" || watched {
		return opts
	}
	secrets := map[string]cache.Config{}
	for ns := range opts.DefaultNamespaces {
		secrets[ns] = cache.Config{}
	}
	secrets[defaultSecret.Namespace] = cache.Config{FieldSelector: fields.OneTermEqualSelector("metadata.name", defaultSecret.Name)}
	opts.ByObject = map[client.Object]cache.ByObject{&corev1.Secret{}: {Namespaces: secrets}}
	return opts
}
