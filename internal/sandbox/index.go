// SPDX-License-Identifier: Apache-2.0

package sandbox

import (
	"context"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// IndexSessionID is the cache's field index of Sessions by their remote session id (status.id):
// every Pod event and every sandbox failure looks up one Session by it, which must not cost a
// list of the whole namespace.
const IndexSessionID = "status.id"

// indexed remembers the indexers that have the index: both the Session controller and the
// Supervisor need it, and an index can be registered once per cache.
var indexed sync.Map

// IndexSessions registers IndexSessionID with a manager's field indexer, once.
func IndexSessions(ctx context.Context, indexer client.FieldIndexer) error {
	if _, done := indexed.Load(indexer); done {
		return nil
	}
	err := indexer.IndexField(ctx, &v1alpha1.Session{}, IndexSessionID, sessionIDOf)
	if err == nil {
		indexed.Store(indexer, true)
	}
	return err
}

func sessionIDOf(o client.Object) []string {
	if id := o.(*v1alpha1.Session).Status.ID; id != "" {
		return []string{id}
	}
	return nil
}

// findSession returns the Session of namespace whose remote session is sessionID, or nil. It
// reads the index; a reader without it (a cache set up without IndexSessions) is listed instead.
func findSession(ctx context.Context, c client.Reader, namespace, sessionID string) *v1alpha1.Session {
	var list v1alpha1.SessionList
	err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexSessionID: sessionID})
	if err != nil {
		logf.FromContext(ctx).V(1).Info("Listing Sessions without the status.id index", "error", err.Error())
		if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
			return nil
		}
	}
	for i := range list.Items {
		if list.Items[i].Status.ID == sessionID {
			return &list.Items[i]
		}
	}
	return nil
}
