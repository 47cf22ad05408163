// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
)

// RBAC of the dispatcher: sandbox Pods and their Secrets in the Environments' namespaces, Pod logs
// for kubectl claude logs --sandbox (read through the API server), the environment key, and the
// status.sandbox of a Session whose Pod the API server refused.
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=environments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=claude.anthropic.com,resources=sessions/status,verbs=patch

// keyMissingRetry is how soon a dispatcher whose environment key cannot be read looks again (the
// Secret watch usually comes first).
const keyMissingRetry = 30 * time.Second

// Supervisor keeps one dispatcher running for every SelfHosted Environment that has a remote
// environment and an environment key, and stops it when the Environment goes or changes its key.
// It is a controller of Environments, so it runs on the leader only.
type Supervisor struct {
	Client   client.Client
	Reader   client.Reader // uncached: the environment key Secret, and a claim's Pod before its item is given back
	Factory  *managedagents.Factory
	Options  Options
	Recorder events.EventRecorder

	mu      sync.Mutex
	running map[types.NamespacedName]*runningDispatcher
	ctx     context.Context
}

type runningDispatcher struct {
	d         *dispatcher
	signature string // remote id and key hash: a change restarts the dispatcher
	cancel    context.CancelFunc
	done      chan struct{}
}

// SetupWithManager registers the Supervisor: it reconciles Environments, and Pods it owns wake
// their Environment's dispatcher.
func (s *Supervisor) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	s.running = map[types.NamespacedName]*runningDispatcher{}
	s.ctx = ctx
	if err := IndexSessions(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("sandbox-dispatcher").
		For(&v1alpha1.Environment{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.(*v1alpha1.Environment).Spec.IsSelfHosted()
		}))).
		Owns(&corev1.Pod{}).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(s.environmentsOfKey), builder.OnlyMetadata).
		Complete(s)
}

// Reconcile starts, restarts or stops the Environment's dispatcher, and wakes it.
func (s *Supervisor) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	env := &v1alpha1.Environment{}
	err := s.Client.Get(ctx, req.NamespacedName, env)
	if apierrors.IsNotFound(err) || (err == nil && !wantsDispatcher(env)) {
		s.stop(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	key, err := s.environmentKey(ctx, env)
	if err != nil {
		logf.FromContext(ctx).Info("Cannot read the environment key; no sandboxes until it can be read", "error", err.Error())
		s.stop(req.NamespacedName)
		return ctrl.Result{RequeueAfter: keyMissingRetry}, nil
	}
	sum := sha256.Sum256([]byte(env.Status.ID + "\x00" + key))
	s.ensure(req.NamespacedName, env.Status.ID, key, hex.EncodeToString(sum[:]))
	return ctrl.Result{}, nil
}

// wantsDispatcher: a SelfHosted Environment with a remote environment. A deleted one keeps its
// dispatcher until its remote environment is released, so that running sandboxes are supervised to
// the end; its Pods go with it (they are owned by it).
func wantsDispatcher(env *v1alpha1.Environment) bool {
	return env.Spec.IsSelfHosted() && env.Spec.SelfHosted != nil && env.Status.ID != "" && env.DeletionTimestamp.IsZero()
}

// environmentKey reads the environment key from its Secret; the value goes to the work client only.
func (s *Supervisor) environmentKey(ctx context.Context, env *v1alpha1.Environment) (string, error) {
	ref := env.Spec.SelfHosted.EnvironmentKeySecretRef
	name, key := ref.Name, ref.Key
	if key == "" {
		key = v1alpha1.DefaultEnvironmentKeySecretKey
	}
	secret := &corev1.Secret{}
	if err := s.Reader.Get(ctx, types.NamespacedName{Namespace: env.Namespace, Name: name}, secret); err != nil {
		return "", fmt.Errorf("secret %s: %w", name, err)
	}
	v := string(secret.Data[key])
	if v == "" {
		return "", fmt.Errorf("secret %s has no key %q", name, key)
	}
	return v, nil
}

// ensure runs the dispatcher with this signature, replacing one with another.
func (s *Supervisor) ensure(key types.NamespacedName, envID, envKey, signature string) {
	s.mu.Lock()
	cur := s.running[key]
	s.mu.Unlock()
	if cur != nil && cur.signature == signature {
		cur.d.Nudge()
		return
	}
	s.stop(key)
	log := ctrl.Log.WithName("sandbox").WithValues("environment", key.String())
	work := s.Factory.WorkClientFor(envID, envKey)
	d := newDispatcher(s.Client, s.Reader, work, key, s.Options, s.Recorder, log)
	ctx, cancel := context.WithCancel(s.ctx)
	rd := &runningDispatcher{d: d, signature: signature, cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.running[key] = rd
	s.mu.Unlock()
	go func() {
		defer close(rd.done)
		d.run(ctx)
	}()
}

// stop ends the Environment's dispatcher, if one runs, and waits for it.
func (s *Supervisor) stop(key types.NamespacedName) {
	s.mu.Lock()
	cur := s.running[key]
	delete(s.running, key)
	s.mu.Unlock()
	if cur != nil {
		cur.cancel()
		<-cur.done
	}
}

// environmentsOfKey maps a Secret to the SelfHosted Environments of its namespace whose environment
// key it holds.
func (s *Supervisor) environmentsOfKey(ctx context.Context, o client.Object) []ctrl.Request {
	var list v1alpha1.EnvironmentList
	if err := s.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var out []ctrl.Request
	for i := range list.Items {
		sh := list.Items[i].Spec.SelfHosted
		if sh != nil && sh.EnvironmentKeySecretRef.Name == o.GetName() {
			out = append(out, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// CacheByObject limits the manager's cache of Pods to sandbox Pods, so that a cluster's other Pods
// cost the operator no memory.
func CacheByObject() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&corev1.Pod{}: {Label: labels.SelectorFromSet(labels.Set{LabelComponent: ComponentSandbox})},
	}
}
