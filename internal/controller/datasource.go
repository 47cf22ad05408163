// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// readSecrets reads the named Secrets of a namespace straight from the API server (the operator
// caches only Secret metadata) into a DataSource. A missing Secret is absent from it, so that the
// translation can name it; any other read error is returned.
func readSecrets(ctx context.Context, r client.Reader, namespace string, names []string) (managedagents.DataSource, error) {
	data := map[string]map[string][]byte{}
	for _, name := range compactNames(names) {
		var s corev1.Secret
		if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		data[name] = s.Data
	}
	return mapSource(data), nil
}

// readConfigMap reads one ConfigMap (its data and binaryData together) into a DataSource.
func readConfigMap(ctx context.Context, r client.Reader, namespace, name string) (managedagents.DataSource, error) {
	var cm corev1.ConfigMap
	data := map[string]map[string][]byte{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cm); err != nil {
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
		return mapSource(data), nil
	}
	values := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		values[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		values[k] = v
	}
	data[name] = values
	return mapSource(data), nil
}

func mapSource(data map[string]map[string][]byte) managedagents.DataSource {
	return func(name string) (map[string][]byte, bool) {
		d, ok := data[name]
		return d, ok
	}
}

// compactNames sorts names and drops duplicates and empty ones.
func compactNames(names []string) []string {
	out := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// errorText is err's message, or "" for nil.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
