package controller

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1alpha1 "github.com/anthropics/managed-agents-operator/api/v1alpha1"
	"github.com/anthropics/managed-agents-operator/internal/managedagents"
	"github.com/anthropics/managed-agents-operator/internal/metrics"
)

// Pump holds one event stream per active session, outside Reconcile. For each session it connects
// the stream first, then folds the full history and the live stream (deduplicated by event id) into
// a sessionevents.State, writes a Kubernetes Event per notable event, and wakes the Session
// reconciler, which turns the state into status. It runs only on the leader.
type Pump struct {
	events *EventWriter
	notify chan event.GenericEvent
	// refresh carries the coalesced wakes of events that change only what status shows. The
	// controller queues them at low priority, behind launches and what users ask for in the spec: with
	// a thousand streaming sessions, an approval must not wait behind a thousand status refreshes.
	refresh chan event.GenericEvent
	// statusInterval is the Session controller's StatusInterval: events that change only what status
	// shows wake the reconciler no sooner than the next status write is due.
	statusInterval time.Duration

	mu      sync.Mutex
	ctx     context.Context
	streams map[types.NamespacedName]*sessionStream
}

// NewPump returns a Pump that writes Kubernetes Events with kube.
func NewPump(kube client.Client) *Pump {
	return &Pump{
		events:  &EventWriter{Client: kube},
		notify:  make(chan event.GenericEvent, 1024),
		refresh: make(chan event.GenericEvent, 1024),
		streams: map[types.NamespacedName]*sessionStream{},
	}
}

// NeedLeaderElection makes the pump run only on the leader, like the controllers.
func (p *Pump) NeedLeaderElection() bool { return true }

// Start runs until ctx ends, then stops every stream. Status is not lost: it is rebuilt from the
// remote history by whichever replica leads next.
func (p *Pump) Start(ctx context.Context) error {
	p.mu.Lock()
	p.ctx = ctx
	p.mu.Unlock()
	<-ctx.Done()
	p.mu.Lock()
	streams := p.streams
	p.streams = map[types.NamespacedName]*sessionStream{}
	p.mu.Unlock()
	for _, s := range streams {
		s.stop()
	}
	return nil
}

// Ensure starts the stream of a launched session unless it runs already, and returns it. It
// returns nil until the pump has started.
func (p *Pump) Ensure(sess *v1alpha1.Session, api managedagents.Client) *sessionStream {
	key := client.ObjectKeyFromObject(sess)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx == nil || p.ctx.Err() != nil {
		return nil
	}
	// A stream that ended because the session ended stays, so the reconciler can read its final state.
	if s, ok := p.streams[key]; ok && s.sessionID == sess.Status.ID && s.uid == sess.UID && (!s.isDone() || s.snapshot().Finished) {
		return s
	} else if ok {
		s.stop()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	// Status counts only events whose Kubernetes Events exist (see apply), so Events resume after it.
	s := &sessionStream{
		key: key, uid: sess.UID, sessionID: sess.Status.ID, api: api, pump: p, cancel: cancel,
		done: make(chan struct{}), emitted: sess.Status.EventCount,
		target: eventTarget{Name: sess.Name, Namespace: sess.Namespace, UID: sess.UID},
	}
	p.streams[key] = s
	metrics.StreamsOpen.Set(float64(len(p.streams)))
	go s.run(ctx)
	return s
}

// Get returns the stream of a session, if one is held.
func (p *Pump) Get(key types.NamespacedName) *sessionStream {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.streams[key]
}

// Stop ends a session's stream; finished and deleted sessions hold none.
func (p *Pump) Stop(key types.NamespacedName) {
	p.mu.Lock()
	s := p.streams[key]
	delete(p.streams, key)
	metrics.StreamsOpen.Set(float64(len(p.streams)))
	p.mu.Unlock()
	if s != nil {
		s.stop()
	}
}

// wake asks the reconciler to look at a session now.
func (p *Pump) wake(key types.NamespacedName) { p.send(p.notify, key) }

// wakeToRefresh asks the reconciler to write what status shows, at low priority.
func (p *Pump) wakeToRefresh(key types.NamespacedName) { p.send(p.refresh, key) }

func (p *Pump) send(ch chan<- event.GenericEvent, key types.NamespacedName) {
	obj := &v1alpha1.Session{}
	obj.Name, obj.Namespace = key.Name, key.Namespace
	select {
	case ch <- event.GenericEvent{Object: obj}:
	case <-time.After(5 * time.Second):
		// The reconciler is far behind; its own requeues will pick the state up.
	}
}

// Reconnect backoff: jittered, doubling from 500ms to 10s, reset after 5s of healthy streaming.
const (
	minBackoff    = 500 * time.Millisecond
	maxBackoff    = 10 * time.Second
	healthyStreak = 5 * time.Second
)

func jittered(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// sleepCtx waits d or until ctx ends; it reports whether ctx is still alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
