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
type resyncTracker struct {
	period time.Duration

	mu       sync.Mutex
	verified map[types.UID]time.Time
}

func newResyncTracker(period time.Duration) *resyncTracker {
	return &resyncTracker{period: period, verified: map[types.UID]time.Time{}}
}

// periodFor is the object's resync period: its annotation, or the manager-wide default.
func (t *resyncTracker) periodFor(obj client.Object) time.Duration {
	if v, ok := obj.GetAnnotations()[v1alpha1.AnnotationResyncPeriod]; ok {
		if d, err := time.ParseDuration(v); err == nil && d >= time.Second {
			return d
		}
	}
	return t.period
}

// due reports whether the object should be compared with the API now.
func (t *resyncTracker) due(obj client.Object) bool {
	t.mu.Lock()
	last, ok := t.verified[obj.GetUID()]
	t.mu.Unlock()
	return !ok || time.Since(last) >= t.periodFor(obj)
}

// markVerified records a successful comparison and returns when to compare again, jittered by up to
// 10% so that objects created together do not resync together.
func (t *resyncTracker) markVerified(obj client.Object) time.Duration {
	t.mu.Lock()
	t.verified[obj.GetUID()] = time.Now()
	t.mu.Unlock()
	p := t.periodFor(obj)
	return p + time.Duration(rand.Int64N(int64(p)/10+1))
}

// untilDue is how long until the object's next comparison.
func (t *resyncTracker) untilDue(obj client.Object) time.Duration {
	t.mu.Lock()
	last := t.verified[obj.GetUID()]
	t.mu.Unlock()
	return max(time.Until(last.Add(t.periodFor(obj))), time.Second)
}

// forget drops a deleted object.
func (t *resyncTracker) forget(uid types.UID) {
	t.mu.Lock()
	delete(t.verified, uid)
	t.mu.Unlock()
}
