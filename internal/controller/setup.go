// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Options configure every controller of the operator.
type Options struct {
	Factory *managedagents.Factory
	// DefaultAPIKeySecret is the operator-wide API key Secret (--api-key-secret).
	DefaultAPIKeySecret types.NamespacedName
	// Credentials is the one key cache that every controller shares (NewCredentials). Required.
	Credentials *Credentials
	// ResyncPeriod is how often each object is compared with its remote twin (--resync-period); 0
	// means never (only spec and reference changes are compared).
	ResyncPeriod time.Duration
	// Concurrency is the number of parallel reconciles per kind.
	AgentConcurrency, EnvironmentConcurrency int
}

// errNoCredentials says that the one Credentials of the manager was not passed.
var errNoCredentials = errors.New("controller.Options.Credentials is required: build it once with NewCredentials and share it")

// SetupAgentAndEnvironment registers the Agent and Environment controllers with the manager.
func SetupAgentAndEnvironment(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	creds := opts.Credentials
	if creds == nil {
		return errNoCredentials
	}
	metrics.ServeStateFrom(mgr.GetClient())
	if err := indexAgents(ctx, mgr); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Environment{}, indexAPIKeySecret, func(o client.Object) []string {
		return apiKeySecretIndex(o.(*v1alpha1.Environment).Spec.APIKeySecretRef)
	}); err != nil {
		return err
	}
	agents := newLifecycle(mgr, opts, creds, "Agent", "agent", agentRemote{client: mgr.GetClient(), reader: mgr.GetAPIReader()})
	newAgentList := func() client.ObjectList { return &v1alpha1.AgentList{} }
	err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Agent{}, builder.WithPredicates(specChanged())).
		WatchesMetadata(&corev1.Secret{}, refMapper{client: mgr.GetClient(), newList: newAgentList, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.handler()).
		WatchesMetadata(&corev1.ConfigMap{}, refMapper{client: mgr.GetClient(), newList: newAgentList, index: indexConfigMap}.handler()).
		Watches(&v1alpha1.Skill{}, refMapper{client: mgr.GetClient(), newList: newAgentList, index: indexSkillRef}.handler()).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.AgentConcurrency, 1)}).
		Complete(agents)
	if err != nil {
		return err
	}
	envs := newLifecycle(mgr, opts, creds, "Environment", "environment", environmentRemote{})
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Environment{}, builder.WithPredicates(specChanged())).
		WatchesMetadata(&corev1.Secret{}, refMapper{client: mgr.GetClient(), newList: func() client.ObjectList { return &v1alpha1.EnvironmentList{} }, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.handler()).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.EnvironmentConcurrency, 1)}).
		Complete(envs)
}

func indexAgents(ctx context.Context, mgr ctrl.Manager) error {
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &v1alpha1.Agent{}, indexAPIKeySecret, func(o client.Object) []string {
		return apiKeySecretIndex(o.(*v1alpha1.Agent).Spec.APIKeySecretRef)
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &v1alpha1.Agent{}, indexSkillRef, skillRefIndex); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &v1alpha1.Agent{}, indexConfigMap, func(o client.Object) []string {
		if ref := o.(*v1alpha1.Agent).Spec.SystemFrom; ref != nil {
			return []string{ref.Name}
		}
		return nil
	})
}

// newLifecycle returns the lifecycle driver for one kind with its translation. kind is the
// Kubernetes kind ("Agent"), noun the remote object's name in Events and logs ("agent"); the Event
// source is "<noun>-controller".
func newLifecycle[O client.Object](mgr ctrl.Manager, opts Options, creds *Credentials, kind, noun string, remote remoteKind[O]) *lifecycle[O] {
	return &lifecycle[O]{
		client: mgr.GetClient(), kind: kind, noun: noun, newObject: newObjectOf[O](), remote: remote,
		apis:     keyedClients{credentials: creds, factory: opts.Factory},
		recorder: countingRecorder{mgr.GetEventRecorder(noun + "-controller")}, resync: newResyncTracker(opts.ResyncPeriod),
	}
}

// newObjectOf returns a constructor of empty objects of O, a pointer type such as *v1alpha1.Agent.
func newObjectOf[O client.Object]() func() O {
	var zero O
	t := reflect.TypeOf(zero).Elem()
	return func() O { return reflect.New(t).Interface().(O) }
}

// SetupVaultsSkillsAndMemoryStores registers the Vault, Skill and MemoryStore controllers with the
// manager. Each runs on the lifecycle driver; a Vault follows the Secrets its credentials read, a
// Skill and a MemoryStore the ConfigMap they read.
func SetupVaultsSkillsAndMemoryStores(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	creds := opts.Credentials
	if creds == nil {
		return errNoCredentials
	}
	if err := indexContentKinds(ctx, mgr); err != nil {
		return err
	}
	recorder := func(name string) countingRecorder {
		return countingRecorder{mgr.GetEventRecorder(name + "-controller")}
	}
	memoryStores := newLifecycle(mgr, opts, creds, "MemoryStore", "memory store", memoryStoreRemote{reader: mgr.GetAPIReader(), recorder: recorder("memorystore")})
	// The noun has a space; the Event source must not.
	memoryStores.recorder = recorder("memorystore")
	reader := mgr.GetAPIReader()
	kinds := []struct {
		obj     client.Object
		newList func() client.ObjectList
		handler reconcile.Reconciler
		refs    []watchedRef
	}{
		{&v1alpha1.Vault{}, func() client.ObjectList { return &v1alpha1.VaultList{} },
			newLifecycle(mgr, opts, creds, "Vault", "vault", vaultRemote{reader: reader, recorder: recorder("vault")}),
			[]watchedRef{{&corev1.Secret{}, indexSecretRefs}}},
		{&v1alpha1.Skill{}, func() client.ObjectList { return &v1alpha1.SkillList{} },
			newLifecycle(mgr, opts, creds, "Skill", "skill", skillRemote{reader: reader}),
			[]watchedRef{{&corev1.ConfigMap{}, indexConfigMap}}},
		{&v1alpha1.MemoryStore{}, func() client.ObjectList { return &v1alpha1.MemoryStoreList{} },
			memoryStores,
			[]watchedRef{{&corev1.ConfigMap{}, indexConfigMap}}},
	}
	for _, k := range kinds {
		b := ctrl.NewControllerManagedBy(mgr).
			For(k.obj, builder.WithPredicates(specChanged())).
			WatchesMetadata(&corev1.Secret{}, refMapper{client: mgr.GetClient(), newList: k.newList, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.handler())
		for _, ref := range k.refs {
			b = b.WatchesMetadata(ref.obj, refMapper{client: mgr.GetClient(), newList: k.newList, index: ref.index}.handler())
		}
		if err := b.WithOptions(controller.Options{MaxConcurrentReconciles: 2}).Complete(k.handler); err != nil {
			return err
		}
	}
	return nil
}

// watchedRef is a kind of object that objects refer to, and the field index that finds them.
type watchedRef struct {
	obj   client.Object
	index string
}
