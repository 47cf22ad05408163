// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// Field indexes that map a Secret or ConfigMap back to the objects that use it.
const (
	// indexAPIKeySecret holds spec.apiKeySecretRef.name, or defaultSecretMarker for objects that use
	// the operator-wide key.
	indexAPIKeySecret = "spec.apiKeySecretRef.name"
	// indexConfigMap holds the ConfigMaps an object reads (Agent spec.systemFrom).
	indexConfigMap = "spec.configMapRefs"
	// indexSecretRefs holds other Secrets an object reads (Session GitHub tokens).
	indexSecretRefs = "spec.secretRefs"
	// indexAgentRef and indexEnvironmentRef map Agents and Environments to the Sessions that use them.
	indexAgentRef       = "spec.agentRef.name"
	indexEnvironmentRef = "spec.environmentRef.name"
	// defaultSecretMarker cannot be a Secret name, so it never collides with one.
	defaultSecretMarker = "<default>"
)

// apiKeySecretIndex is the index function for indexAPIKeySecret.
func apiKeySecretIndex(ref *v1alpha1.SecretKeyReference) []string {
	if ref == nil {
		return []string{defaultSecretMarker}
	}
	return []string{ref.Name}
}

// specChanged passes spec changes, annotation changes (pause, resync) and deletion, and filters out
// status writes, which would otherwise re-trigger the reconcile that made them.
func specChanged() predicate.Predicate {
	return predicate.Or(
		predicate.GenerationChangedPredicate{},
		predicate.AnnotationChangedPredicate{},
		predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
		}},
	)
}

// refMapper enqueues every object of a list kind whose field index holds a value derived from the
// watched object: its name, or defaultSecretMarker for the operator-wide Secret.
type refMapper struct {
	client        client.Client
	newList       func() client.ObjectList
	index         string
	defaultSecret types.NamespacedName
	// keep, when set, skips objects that need no reconcile for this change.
	keep func(client.Object) bool
}

func (m refMapper) handler() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(m.requests)
}

func (m refMapper) requests(ctx context.Context, obj client.Object) []ctrl.Request {
	if m.defaultSecret.Name != "" && obj.GetNamespace() == m.defaultSecret.Namespace && obj.GetName() == m.defaultSecret.Name {
		return m.list(ctx, client.MatchingFields{m.index: defaultSecretMarker})
	}
	return m.list(ctx, client.InNamespace(obj.GetNamespace()), client.MatchingFields{m.index: obj.GetName()})
}

func (m refMapper) list(ctx context.Context, opts ...client.ListOption) []ctrl.Request {
	list := m.newList()
	if err := m.client.List(ctx, list, opts...); err != nil {
		return nil
	}
	var reqs []ctrl.Request
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(client.Object); ok && (m.keep == nil || m.keep(obj)) {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
		}
		return nil
	})
	return reqs
}
