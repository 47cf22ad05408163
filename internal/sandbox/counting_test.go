// SPDX-License-Identifier: Apache-2.0

package sandbox_test

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolsevents "k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// The dispatcher's client and Event recorder count what it does, so that a test can tell how often
// it tried to create a Pod and how many Warnings it sent (the API server's Events aggregate
// repeated ones into a series, so they cannot be counted there).
var (
	podCreates = &timeLog{}
	warnings   = &timeLog{}
)

// timeLog keeps the times of things by key.
type timeLog struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (l *timeLog) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.times == nil {
		l.times = map[string][]time.Time{}
	}
	l.times[key] = append(l.times[key], time.Now())
}

// count is how many times key happened in [from, to).
func (l *timeLog) count(key string, from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.times[key] {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// first is when key first happened, zero if never.
func (l *timeLog) first(key string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.times[key]) == 0 {
		return time.Time{}
	}
	return l.times[key][0]
}

// countingClient records every Pod creation the dispatcher attempts, by namespace.
type countingClient struct{ client.Client }

func (c countingClient) Create(ctx context.Context, o client.Object, opts ...client.CreateOption) error {
	if _, ok := o.(*corev1.Pod); ok {
		podCreates.add(o.GetNamespace())
	}
	return c.Client.Create(ctx, o, opts...)
}

// countingRecorder records every Warning the dispatcher sends, by "namespace/Kind/name/reason".
type countingRecorder struct{ toolsevents.EventRecorder }

func (r countingRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...interface{}) {
	if o, ok := regarding.(client.Object); ok && eventtype == corev1.EventTypeWarning {
		warnings.add(warningKey(o.GetNamespace(), kindOf(o), o.GetName(), reason))
	}
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

func warningKey(ns, kind, name, reason string) string {
	return ns + "/" + kind + "/" + name + "/" + reason
}

func kindOf(o client.Object) string {
	switch o.(type) {
	case *corev1.Pod:
		return "Pod"
	case *v1alpha1.Session:
		return "Session"
	case *v1alpha1.Environment:
		return "Environment"
	}
	return o.GetObjectKind().GroupVersionKind().Kind
}
