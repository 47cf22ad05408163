// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/scheme"
)

// NewClient returns a Kubernetes client that knows the claude.anthropic.com types and can watch.
func NewClient(cfg *rest.Config) (client.WithWatch, error) {
	return client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
}

// GetSession reads a Session; a missing one is an error that says how to find the right name.
func GetSession(ctx context.Context, c client.Reader, key types.NamespacedName) (*v1alpha1.Session, error) {
	sess := &v1alpha1.Session{}
	if err := c.Get(ctx, key, sess); err != nil {
		return nil, notFound(err, "session", key.Name, key.Namespace, "list sessions with `kubectl claude get` (or pass -n NAMESPACE)")
	}
	return sess, nil
}

// KubeSource reads a Session and its Events from the Kubernetes API.
type KubeSource struct {
	Client client.WithWatch
	Key    types.NamespacedName
}

var _ Source = KubeSource{}

// Session implements Source.
func (k KubeSource) Session(ctx context.Context) (*v1alpha1.Session, error) {
	return GetSession(ctx, k.Client, k.Key)
}

// eventsOf selects the Events whose involved object is the Session with this UID.
func (k KubeSource) eventsOf(uid types.UID) []client.ListOption {
	return []client.ListOption{client.InNamespace(k.Key.Namespace), client.MatchingFields{"involvedObject.uid": string(uid)}}
}

// Events implements Source.
func (k KubeSource) Events(ctx context.Context, uid types.UID) ([]Entry, string, error) {
	list := &corev1.EventList{}
	if err := k.Client.List(ctx, list, k.eventsOf(uid)...); err != nil {
		return nil, "", err
	}
	entries := make([]Entry, 0, len(list.Items))
	for i := range list.Items {
		entries = append(entries, FromEvent(&list.Items[i]))
	}
	return entries, list.ResourceVersion, nil
}

// WatchEvents implements Source.
func (k KubeSource) WatchEvents(ctx context.Context, uid types.UID, resourceVersion string) (watch.Interface, error) {
	opts := append(k.eventsOf(uid), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersion}})
	return k.Client.Watch(ctx, &corev1.EventList{}, opts...)
}

// WatchSession implements Source.
func (k KubeSource) WatchSession(ctx context.Context, resourceVersion string) (watch.Interface, error) {
	return k.Client.Watch(ctx, &v1alpha1.SessionList{}, client.InNamespace(k.Key.Namespace),
		client.MatchingFields{"metadata.name": k.Key.Name},
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersion}})
}

// Conversation is a session's history for `logs`: its Events plus the status summaries of events
// whose Event is gone, in order.
func Conversation(ctx context.Context, src Source, sess *v1alpha1.Session) ([]Entry, error) {
	entries, _, err := src.Events(ctx, sess.UID)
	if err != nil {
		return nil, err
	}
	recent := make([]Entry, 0, len(sess.Status.RecentEvents))
	for i := range sess.Status.RecentEvents {
		recent = append(recent, FromRecent(&sess.Status.RecentEvents[i]))
	}
	return Order(Merge(entries, recent)), nil
}
