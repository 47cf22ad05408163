// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
)

// resyncTracker remembers, in memory, when each object was last compared with its remote twin.
// Keeping this out of status is what makes a steady-state resync cost one GET and zero writes.
// After a restart every object is compared once, which is what a restart should do.
//
// A period of 0 (the manager's --resync-period=0, or an object's resync-period annotation "0")
// means never: after its first comparison the object is compared again only when its spec or a
// reference changes.
type resyncTracker struct {
	period time.Duration

	mu       sync.Mutex
	verified map[types.UID]time.Time
}

// idleRecheck is when an object whose resync is off is reconciled again anyway. That reconcile makes
// no API call (due stays false); it only keeps every requeue bounded, as controller-runtime's own
// cache resync does, and callers can take the smaller of it and their own deadlines.
const idleRecheck = 10 * time.Hour

// minResyncPeriod is the shortest resync period an annotation may ask for.
const minResyncPeriod = time.Second

func newResyncTracker(period time.Duration) *resyncTracker {
	return &resyncTracker{period: max(period, 0), verified: map[types.UID]time.Time{}}
}

// periodFor is the object's resync period: its annotation ("0" for never, otherwise a Go duration of
// at least 1s), or the manager-wide default when the annotation is absent or invalid.
func (t *resyncTracker) periodFor(obj client.Object) time.Duration {
	if v, ok := obj.GetAnnotations()[v1alpha1.AnnotationResyncPeriod]; ok {
		if d, err := time.ParseDuration(v); err == nil && (d == 0 || d >= minResyncPeriod) {
			return d
		}
	}
	return t.period
}

// due reports whether the object should be compared with the API now: it never was, or its period
// (when it has one) passed.
func (t *resyncTracker) due(obj client.Object) bool {
	t.mu.Lock()
	last, ok := t.verified[obj.GetUID()]
	t.mu.Unlock()
	if !ok {
		return true
	}
	p := t.periodFor(obj)
	return p > 0 && time.Since(last) >= p
}

// markVerified records a successful comparison and returns when to compare again, jittered by up to
// 10% so that objects created together do not resync together; idleRecheck when resync is off.
func (t *resyncTracker) markVerified(obj client.Object) time.Duration {
	t.mu.Lock()
	t.verified[obj.GetUID()] = time.Now()
	t.mu.Unlock()
	p := t.periodFor(obj)
	if p == 0 {
		return idleRecheck
	}
	return p + time.Duration(rand.Int64N(int64(p)/10+1))
}

// untilDue is how long until the object's next comparison; idleRecheck when resync is off.
func (t *resyncTracker) untilDue(obj client.Object) time.Duration {
	p := t.periodFor(obj)
	if p == 0 {
		return idleRecheck
	}
	t.mu.Lock()
	last := t.verified[obj.GetUID()]
	t.mu.Unlock()
	return max(time.Until(last.Add(p)), time.Second)
}

// interval is the object's resync period, or idleRecheck when its resync is off: how long to wait
// before looking again at something that only time can change.
func (t *resyncTracker) interval(obj client.Object) time.Duration {
	if p := t.periodFor(obj); p > 0 {
		return p
	}
	return idleRecheck
}

// forget drops a deleted object.
func (t *resyncTracker) forget(uid types.UID) {
	t.mu.Lock()
	delete(t.verified, uid)
	t.mu.Unlock()
}
