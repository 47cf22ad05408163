// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// TestStatusRefreshesQueueBehindUserChanges proves that a coalesced status refresh queued first is
// reconciled after a Session change queued later, and that a refresh of a Session already queued
// for a change does not lower that Session's priority.
func TestStatusRefreshesQueueBehindUserChanges(t *testing.T) {
	q := priorityqueue.New[reconcile.Request]("test")
	defer q.ShutDown()
	refresh := func(name string) {
		obj := &v1alpha1.Session{}
		obj.Namespace, obj.Name = "ns", name
		enqueueAtLowPriority().Generic(context.Background(), event.GenericEvent{Object: obj}, q)
	}
	request := func(name string) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: name}}
	}
	refresh("streaming")
	q.Add(request("approved")) // what a spec change queues
	q.Add(request("both"))
	refresh("both")
	for _, want := range []struct {
		name     string
		priority int
	}{{"approved", 0}, {"both", 0}, {"streaming", handler.LowPriority}} {
		got, priority, _ := q.GetWithPriority()
		if got != request(want.name) || priority != want.priority {
			t.Fatalf("dequeued %s at priority %d, want %s at %d", got.Name, priority, want.name, want.priority)
		}
		q.Done(got)
	}
}
