package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Options configure every controller of the operator.
type Options struct {
	Factory *managedagents.Factory
	// DefaultAPIKeySecret is the operator-wide API key Secret (--api-key-secret).
	DefaultAPIKeySecret types.NamespacedName
	// ResyncPeriod is how often each object is compared with its remote twin (--resync-period).
	ResyncPeriod time.Duration
	// Concurrency is the number of parallel reconciles per kind.
	AgentConcurrency, EnvironmentConcurrency int
}

// SetupAgentAndEnvironment registers the Agent and Environment controllers with the manager.
func SetupAgentAndEnvironment(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	creds := &Credentials{Reader: mgr.GetAPIReader(), Metadata: mgr.GetClient(), Default: opts.DefaultAPIKeySecret}
	if opts.ResyncPeriod <= 0 {
		opts.ResyncPeriod = 10 * time.Minute
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
	agents := &AgentReconciler{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Factory: opts.Factory, Credentials: creds,
		Recorder: countingRecorder{mgr.GetEventRecorder("agent-controller")}, resync: newResyncTracker(opts.ResyncPeriod),
	}
	newAgentList := func() client.ObjectList { return &v1alpha1.AgentList{} }
	err := ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Agent{}, builder.WithPredicates(specChanged())).
		WatchesMetadata(&corev1.Secret{}, refMapper{client: mgr.GetClient(), newList: newAgentList, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.handler()).
		WatchesMetadata(&corev1.ConfigMap{}, refMapper{client: mgr.GetClient(), newList: newAgentList, index: indexConfigMap}.handler()).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.AgentConcurrency, 1)}).
		Complete(agents)
	if err != nil {
		return err
	}
	envs := &EnvironmentReconciler{
		Client: mgr.GetClient(), Factory: opts.Factory, Credentials: creds,
		Recorder: countingRecorder{mgr.GetEventRecorder("environment-controller")}, resync: newResyncTracker(opts.ResyncPeriod),
	}
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
	return indexer.IndexField(ctx, &v1alpha1.Agent{}, indexConfigMap, func(o client.Object) []string {
		if ref := o.(*v1alpha1.Agent).Spec.SystemFrom; ref != nil {
			return []string{ref.Name}
		}
		return nil
	})
}
