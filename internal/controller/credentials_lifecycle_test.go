// SPDX-License-Identifier: Apache-2.0

package controller_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/controller"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// deletionLimit is how long a namespace deletion may take: every object in it must be gone by then.
const deletionLimit = 60 * time.Second

// keyedObjects creates a key Secret, an Agent and an Environment that use it, and waits until both
// are Ready.
func keyedObjects(t *testing.T, ns string) (*corev1.Secret, *v1alpha1.Agent, *v1alpha1.Environment) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "team-key"}, Data: map[string][]byte{"api-key": []byte(simulatorKey)}}
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	ref := &v1alpha1.SecretKeyReference{Name: secret.Name}
	agent := newAgent(ns, "keyed")
	agent.Spec.APIKeySecretRef = ref
	create(t, agent)
	env := newEnvironment(ns, "keyed")
	env.Spec.APIKeySecretRef = ref
	create(t, env)
	agent = waitAgent(t, client.ObjectKeyFromObject(agent), "Agent Ready", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })
	env = waitEnvironment(t, client.ObjectKeyFromObject(env), "Environment Ready", func(e *v1alpha1.Environment) bool { return isReady(e.Status.Conditions) })
	return secret, agent, env
}

// waitGone waits until every object is gone, up to limit.
func waitGone(t *testing.T, limit time.Duration, objs ...client.Object) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for _, obj := range objs {
		for {
			err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
			if client.IgnoreNotFound(err) == nil && err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%T %s still there after %v: finalizers %v", obj, obj.GetName(), limit, obj.GetFinalizers())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func deleteAll(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := k8s.Delete(context.Background(), obj); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
	}
}

func abandoned(t *testing.T, kind string) float64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.RemoteObjectsAbandoned.WithLabelValues(kind).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestNamespaceDeletionReleasesWithTheLastKnownKey proves that a namespace deletion, which removes
// the key Secret together with the objects that use it, finishes: the Agent and Environment are
// released with the last key read from the Secret (their remote twins archived). The test control
// plane runs no namespace controller, so the namespace stays Terminating and the test deletes its
// objects itself, Secret first. The API server refuses new Events in a terminating namespace
// (Forbidden, cause NamespaceTerminating); that answer is final, so each Event is tried once and
// never again.
func TestNamespaceDeletionReleasesWithTheLastKnownKey(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	ns := newNamespace(t)
	var eventWrites atomic.Int64
	restartManagerWith(t, func(s *managerSettings) {
		s.config.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method != http.MethodGet && strings.HasSuffix(r.URL.Path, "/namespaces/"+ns+"/events") {
					eventWrites.Add(1)
				}
				return rt.RoundTrip(r)
			})
		})
	})
	secret, agent, env := keyedObjects(t, ns)
	if err := k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	eventWrites.Store(0)
	deleteAll(t, secret, agent, env)
	waitGone(t, deletionLimit, agent, env)
	written := eventWrites.Load()
	time.Sleep(13 * time.Second) // longer than the Event broadcaster's retry sleep (10 s, jittered by 25%)
	if later := eventWrites.Load() - written; later != 0 {
		t.Errorf("%d Event writes into the terminating namespace after its objects were gone: refused Events are retried", later)
	}
	if written > 4 {
		t.Errorf("%d Event writes into the terminating namespace for two objects released at once", written)
	}

	remoteAgent, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || remoteAgent.ArchivedAt.IsZero() {
		t.Errorf("remote agent %s not archived (%v): the last known key was not used", agent.Status.ID, err)
	}
	remoteEnv, err := getRemoteEnvironment(t, env.Status.ID)
	if err != nil || remoteEnv.ArchivedAt == "" {
		t.Errorf("remote environment %s not archived (%v): the last known key was not used", env.Status.ID, err)
	}
}

// TestDeletionWithoutAnyKeyGivesUp proves that an object whose key Secret is gone, deleted after a
// restart (so no key is known), does not hold its namespace forever: it waits a bounded time for the
// Secret to come back, then goes, leaving its remote twin in place with a RemoteAbandoned Warning
// and the abandoned metric.
func TestDeletionWithoutAnyKeyGivesUp(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	ns := newNamespace(t)
	secret, agent, env := keyedObjects(t, ns)
	deleteAll(t, secret)
	restartManager(t) // forgets every key
	before := abandoned(t, "Agent") + abandoned(t, "Environment")

	start := time.Now()
	deleteAll(t, agent, env)
	waitGone(t, deletionLimit, agent, env)
	if waited := time.Since(start); waited < 20*time.Second {
		t.Errorf("gave up after %v: the Secret was given no time to come back", waited)
	}
	if got := abandoned(t, "Agent") + abandoned(t, "Environment") - before; got != 2 {
		t.Errorf("claude_remote_objects_abandoned_total rose by %v, want 2", got)
	}
	for _, obj := range []client.Object{agent, env} {
		waitEvent(t, obj, controller.ReasonRemoteAbandoned)
	}
	remote, err := sdk().Beta.Agents.Get(ctx, agent.Status.ID, anthropic.BetaAgentGetParams{})
	if err != nil || !remote.ArchivedAt.IsZero() {
		t.Errorf("remote agent %s: %v, archived %v; it should be left in place, as the Event says", agent.Status.ID, err, remote.ArchivedAt)
	}
}

// TestDefaultSecretInAnUnwatchedNamespace proves that with --watch-namespaces the default key Secret
// is watched wherever it lives: rotating it re-queues the objects that use it (an Unauthorized Agent
// recovers without any other change), and reconciles read it from the cache, not the API server.
func TestDefaultSecretInAnUnwatchedNamespace(t *testing.T) {
	ctx := testContext(t, 2*time.Minute)
	watched, keys := newNamespace(t), newNamespace(t)
	key := types.NamespacedName{Namespace: keys, Name: "default-key"}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: keys, Name: key.Name}, Data: map[string][]byte{"api-key": []byte("sk-wrong")}}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	var secretGets atomic.Int64
	restartManagerWith(t, func(s *managerSettings) {
		s.manager.Cache = controller.CacheOptions([]string{watched}, key)
		s.controllers.DefaultAPIKeySecret = key
		s.config.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodGet && r.URL.Path == "/api/v1/namespaces/"+keys+"/secrets/"+key.Name {
					secretGets.Add(1)
				}
				return rt.RoundTrip(r)
			})
		})
	})

	agent := newAgent(watched, "default-keyed")
	agent.Annotations = map[string]string{v1alpha1.AnnotationResyncPeriod: "1s"}
	create(t, agent)
	akey := client.ObjectKeyFromObject(agent)
	waitAgent(t, akey, "Unauthorized with the wrong default key", func(a *v1alpha1.Agent) bool { return hasReason(a.Status.Conditions, controller.ReasonUnauthorized) })

	secret.Data["api-key"] = []byte(simulatorKey)
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	waitAgent(t, akey, "Ready after rotating the default Secret", func(a *v1alpha1.Agent) bool { return isReady(a.Status.Conditions) })

	time.Sleep(time.Second)
	secretGets.Store(0)
	time.Sleep(4 * time.Second) // about four resyncs, each reading the key
	if n := secretGets.Load(); n != 0 {
		t.Errorf("%d GETs of the default Secret from the API server in 4s of resyncs, want 0 (read from the cache)", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
