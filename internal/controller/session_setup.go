// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/sandbox"
	"github.com/anthropics/managed-agents-operator/internal/sessionstream"
)

// SessionOptions configure the Session controller.
type SessionOptions struct {
	Concurrency int
	// StatusInterval coalesces stream-driven status writes (default 1s); MaxStatusInterval is how far
	// the interval may back off while the API server answers status patches slowly (default: no
	// back-off).
	StatusInterval, MaxStatusInterval time.Duration
	// EventPolicy is the Event policy of Sessions that set no spec.eventPolicy (default All).
	EventPolicy v1alpha1.EventPolicy
	// DeleteTimeout bounds the wait for an interrupted session to go idle on deletion (default
	// DefaultDeleteTimeout).
	DeleteTimeout time.Duration
	// OutcomeGrace bounds how long a session that went idle waits for the grader's verdict on
	// spec.outcome before it ends without one (default DefaultOutcomeGrace).
	OutcomeGrace time.Duration
}

// SetupSessions registers the Session controller and its event Pump with the manager.
func SetupSessions(ctx context.Context, mgr ctrl.Manager, opts Options, sopts SessionOptions) (*sessionstream.Pump, error) {
	if sopts.StatusInterval <= 0 {
		sopts.StatusInterval = time.Second
	}
	if sopts.DeleteTimeout <= 0 {
		sopts.DeleteTimeout = DefaultDeleteTimeout
	}
	if sopts.OutcomeGrace <= 0 {
		sopts.OutcomeGrace = DefaultOutcomeGrace
	}
	if err := indexSessions(ctx, mgr); err != nil {
		return nil, err
	}
	if err := indexSessionContentRefs(ctx, mgr); err != nil {
		return nil, err
	}
	pump := sessionstream.NewPumpWith(mgr.GetClient(), sessionstream.PumpOptions{
		StatusInterval: sopts.StatusInterval, MaxStatusInterval: sopts.MaxStatusInterval, EventPolicy: sopts.EventPolicy,
	})
	if err := mgr.Add(pump); err != nil {
		return nil, err
	}
	r := &SessionReconciler{
		Client: mgr.GetClient(), Factory: opts.Factory,
		Credentials: opts.Credentials,
		Recorder:    countingRecorder{mgr.GetEventRecorder("session-controller")}, Pump: pump,
		DeleteTimeout: sopts.DeleteTimeout,
		OutcomeGrace:  sopts.OutcomeGrace,
		resync:        newResyncTracker(opts.ResyncPeriod),
		reader:        mgr.GetAPIReader(),
	}
	patcher, err := newStatusPatcher(mgr)
	if err != nil {
		return nil, err
	}
	r.statusPatcher = patcher
	list := func() client.ObjectList { return &v1alpha1.SessionList{} }
	c := mgr.GetClient()
	if err := sandbox.IndexSessions(ctx, mgr.GetFieldIndexer()); err != nil { // for SessionsOfPod
		return nil, err
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.Session{}, builder.WithPredicates(specChanged())).
		Watches(&v1alpha1.Agent{}, refMapper{client: c, newList: list, index: indexAgentRef, keep: unlaunched}.handler()).
		Watches(&v1alpha1.Environment{}, refMapper{client: c, newList: list, index: indexEnvironmentRef, keep: unlaunched}.handler()).
		Watches(&v1alpha1.Vault{}, refMapper{client: c, newList: list, index: indexVaultRefs, keep: unlaunched}.handler()).
		Watches(&v1alpha1.MemoryStore{}, refMapper{client: c, newList: list, index: indexMemoryStoreRefs, keep: unlaunched}.handler()).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
			keys := refMapper{client: c, newList: list, index: indexAPIKeySecret, defaultSecret: opts.DefaultAPIKeySecret}.requests(ctx, o)
			return append(keys, refMapper{client: c, newList: list, index: indexSecretRefs, keep: followsSecrets}.requests(ctx, o)...)
		})).
		WatchesMetadata(&corev1.ConfigMap{}, refMapper{client: c, newList: list, index: indexAttachmentConfigMaps, keep: mayStillSend}.handler()).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(sandbox.SessionsOfPod(c))).
		WatchesRawSource(source.Channel(pump.Wakes(), &handler.EnqueueRequestForObject{})).
		WatchesRawSource(source.Channel(pump.Refreshes(), enqueueAtLowPriority())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(sopts.Concurrency, 1)}).
		Named("session").
		Complete(r)
	return pump, err
}

func indexSessions(ctx context.Context, mgr ctrl.Manager) error {
	indexes := map[string]func(*v1alpha1.Session) []string{
		indexAPIKeySecret: func(s *v1alpha1.Session) []string { return apiKeySecretIndex(s.Spec.APIKeySecretRef) },
		indexAgentRef: func(s *v1alpha1.Session) []string {
			if s.Spec.AgentRef == nil {
				return nil
			}
			return []string{s.Spec.AgentRef.Name}
		},
		indexEnvironmentRef: func(s *v1alpha1.Session) []string {
			if s.Spec.EnvironmentRef == nil {
				return nil
			}
			return []string{s.Spec.EnvironmentRef.Name}
		},
		indexAttachmentConfigMaps: attachmentConfigMaps,
		indexSecretRefs: func(s *v1alpha1.Session) []string {
			var names []string
			for _, res := range s.Spec.Resources {
				if gh := res.GitHubRepository; gh != nil && gh.TokenSecretRef != nil {
					names = append(names, gh.TokenSecretRef.Name)
				}
			}
			return names
		},
	}
	for name, fn := range indexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Session{}, name, func(o client.Object) []string {
			return fn(o.(*v1alpha1.Session))
		}); err != nil {
			return err
		}
	}
	return nil
}

// enqueueAtLowPriority queues a generic event's object behind everything of normal priority, when the
// controller's queue is controller-runtime's priority queue (the default); otherwise it just queues it.
func enqueueAtLowPriority() handler.EventHandler {
	return handler.Funcs{GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(e.Object)}
		if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, req)
			return
		}
		q.Add(req)
	}}
}
